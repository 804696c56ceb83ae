#include "metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ke::metrics {
namespace {

// The slot of finite bucket 2^exponent seconds.
int slot_of(int exponent) {
  return 1 + exponent + KE_HIST_UNIT_SHIFT;
}

TEST(Histogram, SumsPerCpuCopies) {
  ke_hist cpus[2] = {};
  cpus[0].slots[3] = 2;
  cpus[1].slots[3] = 5;
  cpus[0].sum_ns = 10;
  cpus[1].sum_ns = 20;
  Log2Histogram sum = Log2Histogram::from_percpu(cpus);
  EXPECT_EQ(sum.slots[3], 7u);
  EXPECT_EQ(sum.sum_ns, 30u);
  EXPECT_EQ(sum.count(), 7u);
}

TEST(Histogram, ClassicBucketsAreCumulativeAndInfIsCount) {
  Log2Histogram h;
  h.slots[KE_HIST_ZERO_SLOT] = 1;
  h.slots[slot_of(-25)] = 2;  // below the lowest bound: counted in it
  h.slots[slot_of(-20)] = 3;
  h.slots[slot_of(-3)] = 4;
  h.slots[slot_of(4)] = 5;
  h.slots[slot_of(6)] = 6;  // above the highest bound: +Inf only
  h.slots[KE_HIST_OVERFLOW_SLOT] = 7;
  h.sum_ns = 1500000000;
  auto classic = to_classic(h, {-20, 4});
  ASSERT_EQ(classic.bucket.size(), 25u + 1);
  EXPECT_EQ(classic.bucket.front().upper_bound, std::ldexp(1.0, -20));
  EXPECT_EQ(classic.bucket.front().cumulative_count, 6u);
  EXPECT_EQ(classic.bucket[16].upper_bound, 0.0625);  // 2^-4
  EXPECT_EQ(classic.bucket[16].cumulative_count, 6u);
  EXPECT_EQ(classic.bucket[17].upper_bound, 0.125);  // 2^-3
  EXPECT_EQ(classic.bucket[17].cumulative_count, 10u);
  EXPECT_EQ(classic.bucket[24].upper_bound, 16.0);
  EXPECT_EQ(classic.bucket[24].cumulative_count, 15u);
  EXPECT_TRUE(std::isinf(classic.bucket.back().upper_bound));
  EXPECT_EQ(classic.bucket.back().cumulative_count, 28u);
  EXPECT_EQ(classic.sample_count, 28u);
  EXPECT_DOUBLE_EQ(classic.sample_sum, 1.5);
  for (size_t i = 1; i < classic.bucket.size(); ++i)
    EXPECT_GE(classic.bucket[i].cumulative_count, classic.bucket[i - 1].cumulative_count);
}

TEST(Histogram, EmptyHistogramHasAllBucketsAtZero) {
  auto classic = to_classic(Log2Histogram{}, {-2, 1});
  ASSERT_EQ(classic.bucket.size(), 5u);
  for (const auto& bucket : classic.bucket) EXPECT_EQ(bucket.cumulative_count, 0u);
  EXPECT_EQ(classic.sample_sum, 0.0);
}

TEST(Histogram, WidestRangeCoversEveryFiniteSlot) {
  Log2Histogram h;
  for (int slot = 0; slot < KE_HIST_SLOTS; ++slot) h.slots[slot] = 1;
  auto classic = to_classic(h, {config::kMinHistogramExponent, config::kMaxHistogramExponent});
  EXPECT_EQ(classic.bucket[0].cumulative_count, 2u);  // zero + 2^-30
  EXPECT_EQ(classic.bucket[classic.bucket.size() - 2].cumulative_count,
            static_cast<uint64_t>(KE_HIST_SLOTS - 1));
  EXPECT_EQ(classic.bucket.back().cumulative_count, static_cast<uint64_t>(KE_HIST_SLOTS));
}

}  // namespace
}  // namespace ke::metrics
