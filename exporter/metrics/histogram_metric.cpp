#include "metrics/histogram_metric.hpp"

#include <map>

namespace ke::metrics {

HistogramMetric::HistogramMetric(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 const config::CollectorConfig& config)
    : name_(std::move(name)),
      help_(std::move(help)),
      config_(config),
      limiter_(std::move(label_names), config) {}

Family HistogramMetric::collect(const Observations& observations) {
  std::vector<const Observations::value_type*> admitted;
  std::vector<std::pair<const std::vector<std::string>*, uint64_t>> weighted;
  for (const auto& observation : observations) {
    if (!limiter_.passes_filters(observation.first)) continue;
    admitted.push_back(&observation);
    weighted.emplace_back(&observation.first, observation.second.count());
  }
  limiter_.admit(weighted);

  std::map<std::vector<std::string>, Log2Histogram> series;
  folded_events_ = 0;
  for (const auto* observation : admitted) {
    const auto& [values, histogram] = *observation;
    bool folded;
    auto [entry, inserted] =
        series.try_emplace(limiter_.shown(values, &folded), histogram.schema());
    if (folded) folded_events_ += histogram.count();
    entry->second.merge(histogram);
  }

  Family family{name_, help_, MetricType::histogram, {}};
  for (const auto& [values, histogram] : series) {
    Sample sample;
    sample.labels = limiter_.labels(values);
    sample.histogram = to_histogram(histogram, config_.histogram);
    family.samples.push_back(std::move(sample));
  }
  return family;
}

}  // namespace ke::metrics
