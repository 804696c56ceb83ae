// Small builders for prometheus-cpp metric families.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace ke::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

inline prometheus::MetricFamily family(std::string name, std::string help,
                                       prometheus::MetricType type) {
  return prometheus::MetricFamily{std::move(name), std::move(help), type, {}};
}

inline void add_gauge(prometheus::MetricFamily& family, const Labels& labels, double value) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

inline void add_counter(prometheus::MetricFamily& family, const Labels& labels, double value) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  metric.counter.value = value;
  family.metric.push_back(std::move(metric));
}

}  // namespace ke::metrics
