// One histogram metric of a collector, labelled by values that come from the kernel (function
// names, vectors), with the collector's filters and label limit applied.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "metrics/histogram.hpp"
#include "metrics/label_limiter.hpp"
#include "metrics/model.hpp"

namespace ke::metrics {

class HistogramMetric {
 public:
  using Observations = std::vector<std::pair<std::vector<std::string>, Log2Histogram>>;

  HistogramMetric(std::string name, std::string help, std::vector<std::string> label_names,
                  const config::CollectorConfig& config);

  // The schema the collector's BPF histograms are bucketed with.
  int schema() const { return config_.histogram.schema; }

  // Builds this scrape's family. Observations whose label values a filter rejects are left
  // out; the label limit applies as LabelLimiter describes (weight: observation count).
  Family collect(const Observations& observations);

  // Events counted under a folded ("other") label value, as of the last collect().
  uint64_t folded_events() const { return folded_events_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string help_;
  const config::CollectorConfig& config_;
  LabelLimiter limiter_;
  uint64_t folded_events_ = 0;
};

}  // namespace ke::metrics
