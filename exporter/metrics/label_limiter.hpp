// The label filters and label limit of one metric, shared by histogram and counter metrics: each
// label keeps at most label_limit values of its own across scrapes, admitted busiest first;
// later values fold into "other", so series never flap.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "metrics/model.hpp"

namespace ke::metrics {

inline constexpr const char* kOtherLabelValue = "other";

class LabelLimiter {
 public:
  LabelLimiter(std::vector<std::string> label_names, const config::CollectorConfig& config);

  // True when every label's filter admits the values.
  bool passes_filters(const std::vector<std::string>& values) const;
  // Admits new values, busiest (by weight) first, while a label has room. Pass only
  // observations that passed the filters. "other" is never admitted: it is what unadmitted values
  // show as anyway, and must not take the room of a real value.
  void admit(const std::vector<std::pair<const std::vector<std::string>*, uint64_t>>& weighted);
  // Forgets every admitted value (for metrics that rank their values afresh each scrape).
  void forget();
  // The values shown for `values`: unadmitted ones replaced by "other"; sets *folded if any was.
  std::vector<std::string> shown(const std::vector<std::string>& values, bool* folded) const;
  // The labels of a sample with these (shown) values.
  Labels labels(const std::vector<std::string>& values) const;
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  std::vector<std::string> label_names_;
  const config::CollectorConfig& config_;
  std::vector<std::set<std::string, std::less<>>> admitted_;  // per label
};

}  // namespace ke::metrics
