#include "metrics/histogram_metric.hpp"

#include <algorithm>

namespace ke::metrics {

HistogramMetric::HistogramMetric(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 const config::CollectorConfig& config)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      config_(config),
      admitted_(label_names_.size()) {}

void HistogramMetric::admit_new_values(const Observations& observations) {
  for (size_t label = 0; label < label_names_.size(); ++label) {
    auto& admitted = admitted_[label];
    if (admitted.size() >= config_.label_limit) continue;
    std::map<std::string, uint64_t, std::less<>> candidates;
    for (const auto& [values, histogram] : observations)
      if (!admitted.contains(values[label])) candidates[values[label]] += histogram.count();
    std::vector<std::pair<std::string, uint64_t>> busiest(candidates.begin(), candidates.end());
    std::stable_sort(busiest.begin(), busiest.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [value, count] : busiest) {
      if (admitted.size() >= config_.label_limit) break;
      admitted.insert(value);
    }
  }
}

Family HistogramMetric::collect(const Observations& observations) {
  Observations admitted_observations;
  for (const auto& observation : observations) {
    bool passes = true;
    for (size_t label = 0; label < label_names_.size(); ++label)
      passes = passes && config_.admits(label_names_[label], observation.first[label]);
    if (passes) admitted_observations.push_back(observation);
  }
  admit_new_values(admitted_observations);

  std::map<std::vector<std::string>, Log2Histogram> series;
  folded_events_ = 0;
  for (const auto& [values, histogram] : admitted_observations) {
    std::vector<std::string> shown = values;
    bool folded = false;
    for (size_t label = 0; label < label_names_.size(); ++label) {
      if (admitted_[label].contains(shown[label])) continue;
      shown[label] = kOtherLabelValue;
      folded = true;
    }
    if (folded) folded_events_ += histogram.count();
    auto [entry, inserted] = series.try_emplace(shown, histogram.schema());
    entry->second.merge(histogram);
  }

  Family family{name_, help_, MetricType::histogram, {}};
  for (const auto& [values, histogram] : series) {
    Sample sample;
    for (size_t label = 0; label < label_names_.size(); ++label)
      sample.labels.push_back({label_names_[label], values[label]});
    sample.histogram = to_histogram(histogram, config_.histogram);
    family.samples.push_back(std::move(sample));
  }
  return family;
}

}  // namespace ke::metrics
