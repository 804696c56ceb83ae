#include "metrics/value_metric.hpp"

#include <map>

namespace ke::metrics {

ValueMetric::ValueMetric(std::string name, std::string help, std::vector<std::string> label_names,
                         const config::CollectorConfig& config, MetricType type,
                         Admission admission)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      admission_(admission),
      limiter_(std::move(label_names), config) {}

Family ValueMetric::collect(const Observations& observations, std::span<const uint64_t> ranks) {
  std::vector<std::pair<const std::vector<std::string>*, uint64_t>> passing, ranked;
  for (size_t i = 0; i < observations.size(); ++i) {
    const auto& [values, value] = observations[i];
    if (!limiter_.passes_filters(values)) continue;
    passing.emplace_back(&values, value);
    ranked.emplace_back(&values, ranks.empty() ? value : ranks[i]);
  }
  if (admission_ == Admission::each_scrape) limiter_.forget();
  limiter_.admit(ranked);

  std::map<std::vector<std::string>, uint64_t> series;
  folded_events_ = 0;
  for (const auto& [values, value] : passing) {
    bool folded;
    series[limiter_.shown(*values, &folded)] += value;
    if (folded) folded_events_ += value;
  }

  Family family{name_, help_, type_, {}};
  for (const auto& [values, value] : series)
    family.samples.push_back(Sample{limiter_.labels(values), static_cast<double>(value), {}});
  return family;
}

}  // namespace ke::metrics
