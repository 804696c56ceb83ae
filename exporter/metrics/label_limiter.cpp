#include "metrics/label_limiter.hpp"

#include <algorithm>
#include <map>

namespace ke::metrics {

LabelLimiter::LabelLimiter(std::vector<std::string> label_names,
                           const config::CollectorConfig& config)
    : label_names_(std::move(label_names)), config_(config), admitted_(label_names_.size()) {}

bool LabelLimiter::passes_filters(const std::vector<std::string>& values) const {
  for (size_t label = 0; label < label_names_.size(); ++label)
    if (!config_.admits(label_names_[label], values[label])) return false;
  return true;
}

void LabelLimiter::admit(
    const std::vector<std::pair<const std::vector<std::string>*, uint64_t>>& weighted) {
  for (size_t label = 0; label < label_names_.size(); ++label) {
    auto& admitted = admitted_[label];
    if (admitted.size() >= config_.label_limit) continue;
    std::map<std::string, uint64_t, std::less<>> candidates;
    for (const auto& [values, weight] : weighted)
      if ((*values)[label] != kOtherLabelValue && !admitted.contains((*values)[label]))
        candidates[(*values)[label]] += weight;
    std::vector<std::pair<std::string, uint64_t>> busiest(candidates.begin(), candidates.end());
    std::stable_sort(busiest.begin(), busiest.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [value, weight] : busiest) {
      if (admitted.size() >= config_.label_limit) break;
      admitted.insert(value);
    }
  }
}

void LabelLimiter::forget() {
  for (auto& admitted : admitted_) admitted.clear();
}

std::vector<std::string> LabelLimiter::shown(const std::vector<std::string>& values,
                                             bool* folded) const {
  std::vector<std::string> result = values;
  *folded = false;
  for (size_t label = 0; label < label_names_.size(); ++label) {
    if (admitted_[label].contains(result[label])) continue;
    result[label] = kOtherLabelValue;
    *folded = true;
  }
  return result;
}

Labels LabelLimiter::labels(const std::vector<std::string>& values) const {
  Labels result;
  for (size_t label = 0; label < label_names_.size(); ++label)
    result.push_back({label_names_[label], values[label]});
  return result;
}

}  // namespace ke::metrics
