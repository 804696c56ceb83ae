// The exporter's view of a BPF histogram (struct ke_hist summed over CPUs) and its conversion to
// a model Histogram in seconds: classic `le` buckets at powers of two and native buckets of the
// map's schema, both exact.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "config/config.hpp"
#include "ke_hist.h"
#include "metrics/model.hpp"

namespace ke::metrics {

// The configurable classic bucket range is exactly the range of the BPF buckets.
static_assert(config::kMinHistogramExponent == -KE_HIST_UNIT_SHIFT);
static_assert(config::kMaxHistogramExponent == KE_HIST_MAX_EXP - KE_HIST_UNIT_SHIFT);
static_assert(config::kMaxHistogramSchema == KE_HIST_MAX_SCHEMA);

// 2^-128: the native zero bucket holds exact zeros only; a non-zero threshold also makes
// Prometheus 2.42 take an empty histogram as native.
inline constexpr double kNativeZeroThreshold = 2.938735877055719e-39;

class Log2Histogram {
 public:
  explicit Log2Histogram(int schema = 0);
  Log2Histogram(int schema, std::span<const uint64_t> slots, uint64_t sum_ns);

  void merge(const Log2Histogram& other);
  uint64_t count() const;
  int schema() const { return schema_; }
  std::span<const uint64_t> slots() const { return slots_; }
  uint64_t sum_ns() const { return sum_ns_; }
  // Adds `n` observations to slot `slot` (tests and synthetic data).
  void add(int slot, uint64_t n) { slots_.at(slot) += n; }

 private:
  int schema_;
  std::vector<uint64_t> slots_;  // KE_HIST_SLOT_COUNT(schema)
  uint64_t sum_ns_ = 0;
};

// Classic buckets 2^min..2^max seconds (+Inf = count; observations below the lowest bound are
// inside it, above the highest only in +Inf) and native buckets (index r - 30 * 2^schema of
// relative bucket r; observations beyond 2^10 s, which have no finite native bound here, go to
// the first native bucket above it).
Histogram to_histogram(const Log2Histogram& histogram, const config::HistogramRange& range);

}  // namespace ke::metrics
