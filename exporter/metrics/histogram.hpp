// The exporter's view of a BPF log2 histogram (struct ke_hist summed over CPUs) and its
// conversion to a classic Prometheus histogram in seconds.
#pragma once

#include <prometheus/client_metric.h>

#include <array>
#include <cstdint>
#include <span>

#include "config/config.hpp"
#include "ke_hist.h"

namespace ke::metrics {

// The configurable classic bucket range is exactly the range of the BPF slots.
static_assert(config::kMinHistogramExponent == -KE_HIST_UNIT_SHIFT);
static_assert(config::kMaxHistogramExponent == KE_HIST_MAX_EXP - KE_HIST_UNIT_SHIFT);

struct Log2Histogram {
  std::array<uint64_t, KE_HIST_SLOTS> slots{};
  uint64_t sum_ns = 0;

  // Sums the per-CPU copies of one BPF histogram.
  static Log2Histogram from_percpu(std::span<const ke_hist> per_cpu);
  void merge(const Log2Histogram& other);
  uint64_t count() const;
  // The bucket exponent e (upper bound 2^e s) of finite slot `slot`.
  static int exponent_of_slot(int slot) { return slot - 1 - KE_HIST_UNIT_SHIFT; }
};

// Cumulative `le` buckets 2^min..2^max seconds plus +Inf (= count); observations below the
// lowest bound are inside it, observations above the highest only in +Inf.
prometheus::ClientMetric::Histogram to_classic(const Log2Histogram& histogram,
                                               config::HistogramRange range);

}  // namespace ke::metrics
