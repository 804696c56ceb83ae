// One counter or gauge metric of a collector, labelled by values that come from the kernel (cache
// names, migrate reasons, functions), with the collector's filters and label limit applied as for
// histograms.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "metrics/label_limiter.hpp"
#include "metrics/model.hpp"

namespace ke::metrics {

// Which label values a metric shows when there are more than its label limit.
enum class Admission {
  // The busiest values of the first scrapes that had room, for good: a counter's series never
  // flap.
  sticky,
  // The busiest values of each scrape: a gauge of current state shows what matters now.
  each_scrape,
};

class ValueMetric {
 public:
  // Values by label values; equal label values are added up.
  using Observations = std::vector<std::pair<std::vector<std::string>, uint64_t>>;

  ValueMetric(std::string name, std::string help, std::vector<std::string> label_names,
              const config::CollectorConfig& config, MetricType type = MetricType::counter,
              Admission admission = Admission::sticky);

  // Builds this scrape's family (a counter's name includes "_total"). Values are admitted
  // busiest first: largest value, or largest `ranks[i]` for observations[i] when ranks are given
  // (so that metrics describing the same things, such as counts and bytes, show the same ones).
  Family collect(const Observations& observations, std::span<const uint64_t> ranks = {});

  // The part of the value shown under a folded ("other") label value, as of the last
  // collect(): events for counts, bytes for a byte counter.
  uint64_t folded_events() const { return folded_events_; }
  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  Admission admission_;
  LabelLimiter limiter_;
  uint64_t folded_events_ = 0;
};

}  // namespace ke::metrics
