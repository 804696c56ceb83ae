// Small builders for model families.
#pragma once

#include <string>
#include <utility>

#include "metrics/model.hpp"

namespace ke::metrics {

inline Family family(std::string name, std::string help, MetricType type) {
  return Family{std::move(name), std::move(help), type, {}};
}

// Adds a gauge or counter sample.
inline void add_value(Family& family, Labels labels, double value) {
  family.samples.push_back(Sample{std::move(labels), value, {}});
}

}  // namespace ke::metrics
