#include "metrics/histogram.hpp"

#include <cmath>
#include <limits>

namespace ke::metrics {

Log2Histogram Log2Histogram::from_percpu(std::span<const ke_hist> per_cpu) {
  Log2Histogram sum;
  for (const ke_hist& cpu : per_cpu) {
    for (size_t i = 0; i < sum.slots.size(); ++i) sum.slots[i] += cpu.slots[i];
    sum.sum_ns += cpu.sum_ns;
  }
  return sum;
}

void Log2Histogram::merge(const Log2Histogram& other) {
  for (size_t i = 0; i < slots.size(); ++i) slots[i] += other.slots[i];
  sum_ns += other.sum_ns;
}

uint64_t Log2Histogram::count() const {
  uint64_t total = 0;
  for (uint64_t n : slots) total += n;
  return total;
}

prometheus::ClientMetric::Histogram to_classic(const Log2Histogram& histogram,
                                               config::HistogramRange range) {
  prometheus::ClientMetric::Histogram classic;
  classic.sample_count = histogram.count();
  classic.sample_sum = static_cast<double>(histogram.sum_ns) / 1e9;
  uint64_t cumulative = histogram.slots[KE_HIST_ZERO_SLOT];
  int slot = 1;
  for (int exponent = range.min_exponent; exponent <= range.max_exponent; ++exponent) {
    for (; slot < KE_HIST_OVERFLOW_SLOT && Log2Histogram::exponent_of_slot(slot) <= exponent;
         ++slot)
      cumulative += histogram.slots[slot];
    classic.bucket.push_back({cumulative, std::ldexp(1.0, exponent)});
  }
  classic.bucket.push_back({classic.sample_count, std::numeric_limits<double>::infinity()});
  return classic;
}

}  // namespace ke::metrics
