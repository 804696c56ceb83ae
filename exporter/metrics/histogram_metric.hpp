// One histogram metric of a collector, labelled by values that come from the kernel (function
// names, vectors), with the collector's filters and label limit applied.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "metrics/histogram.hpp"
#include "metrics/model.hpp"

namespace ke::metrics {

inline constexpr const char* kOtherLabelValue = "other";

class HistogramMetric {
 public:
  using Observations = std::vector<std::pair<std::vector<std::string>, Log2Histogram>>;

  HistogramMetric(std::string name, std::string help, std::vector<std::string> label_names,
                  const config::CollectorConfig& config);

  // The schema the collector's BPF histograms are bucketed with.
  int schema() const { return config_.histogram.schema; }

  // Builds this scrape's family. Observations whose label values a filter rejects are left
  // out. Each label keeps at most label_limit values of its own across scrapes, admitted
  // busiest first; later values fold into "other", so series never flap.
  Family collect(const Observations& observations);

  // Events counted under a folded ("other") label value, as of the last collect().
  uint64_t folded_events() const { return folded_events_; }
  const std::string& name() const { return name_; }

 private:
  void admit_new_values(const Observations& observations);

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  const config::CollectorConfig& config_;
  std::vector<std::set<std::string, std::less<>>> admitted_;  // per label
  uint64_t folded_events_ = 0;
};

}  // namespace ke::metrics
