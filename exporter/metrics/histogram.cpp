#include "metrics/histogram.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace ke::metrics {

Log2Histogram::Log2Histogram(int schema) : schema_(schema), slots_(KE_HIST_SLOT_COUNT(schema)) {}

Log2Histogram::Log2Histogram(int schema, std::span<const uint64_t> slots, uint64_t sum_ns)
    : schema_(schema), slots_(slots.begin(), slots.end()), sum_ns_(sum_ns) {
  if (slots_.size() != static_cast<size_t>(KE_HIST_SLOT_COUNT(schema)))
    throw std::invalid_argument("histogram slot count does not match its schema");
}

void Log2Histogram::merge(const Log2Histogram& other) {
  if (other.schema_ != schema_) throw std::invalid_argument("merging histograms of two schemas");
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i] += other.slots_[i];
  sum_ns_ += other.sum_ns_;
}

uint64_t Log2Histogram::count() const {
  uint64_t total = 0;
  for (uint64_t n : slots_) total += n;
  return total;
}

Histogram to_histogram(const Log2Histogram& histogram, const config::HistogramRange& range) {
  const int schema = histogram.schema();
  const int per_power = 1 << schema;
  const std::span<const uint64_t> slots = histogram.slots();
  Histogram result;
  result.count = histogram.count();
  result.sum = static_cast<double>(histogram.sum_ns()) / 1e9;

  // Classic: slot 1 + r has upper bound 2^(r / 2^schema - 30) s.
  uint64_t cumulative = slots[KE_HIST_ZERO_SLOT];
  size_t slot = 1;
  for (int exponent = range.min_exponent; exponent <= range.max_exponent; ++exponent) {
    const size_t last_slot = 1 + static_cast<size_t>((exponent + KE_HIST_UNIT_SHIFT) * per_power);
    for (; slot <= last_slot; ++slot) cumulative += slots[slot];
    result.classic.push_back({std::ldexp(1.0, exponent), cumulative});
  }
  result.classic.push_back({std::numeric_limits<double>::infinity(), result.count});

  result.schema = schema;
  result.zero_threshold = kNativeZeroThreshold;
  result.zero_count = slots[KE_HIST_ZERO_SLOT];
  const int32_t first_index = -KE_HIST_UNIT_SHIFT * per_power;
  for (size_t finite = 1; finite < slots.size(); ++finite)  // the overflow slot comes last
    if (slots[finite] != 0)
      result.positive.push_back({first_index + static_cast<int32_t>(finite - 1), slots[finite]});
  return result;
}

}  // namespace ke::metrics
