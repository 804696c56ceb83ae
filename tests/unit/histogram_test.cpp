#include "metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ke::metrics {
namespace {

// The slot of the bucket whose upper bound is 2^exponent seconds, at `schema`.
int slot_of(int exponent, int schema = 0) {
  return 1 + ((exponent + KE_HIST_UNIT_SHIFT) << schema);
}

TEST(Histogram, MergesAndCounts) {
  std::vector<uint64_t> slots(KE_HIST_SLOT_COUNT(0));
  slots[3] = 2;
  Log2Histogram a(0, slots, 10);
  slots[3] = 5;
  Log2Histogram b(0, slots, 20);
  a.merge(b);
  EXPECT_EQ(a.slots()[3], 7u);
  EXPECT_EQ(a.sum_ns(), 30u);
  EXPECT_EQ(a.count(), 7u);
  EXPECT_THROW(a.merge(Log2Histogram(1)), std::invalid_argument);
  EXPECT_THROW(Log2Histogram(1, slots, 0), std::invalid_argument);
}

TEST(Histogram, ClassicBucketsAreCumulativeAndInfIsCount) {
  Log2Histogram h(0);
  h.add(KE_HIST_ZERO_SLOT, 1);
  h.add(slot_of(-25), 2);  // below the lowest bound: counted in it
  h.add(slot_of(-20), 3);
  h.add(slot_of(-3), 4);
  h.add(slot_of(4), 5);
  h.add(slot_of(6), 6);  // above the highest bound: +Inf only
  h.add(KE_HIST_OVERFLOW_SLOT(0), 7);
  Histogram histogram = to_histogram(h, {-20, 4, 0});
  const auto& classic = histogram.classic;
  ASSERT_EQ(classic.size(), 25u + 1);
  EXPECT_EQ(classic.front().upper_bound, std::ldexp(1.0, -20));
  EXPECT_EQ(classic.front().cumulative_count, 6u);
  EXPECT_EQ(classic[16].upper_bound, 0.0625);  // 2^-4
  EXPECT_EQ(classic[16].cumulative_count, 6u);
  EXPECT_EQ(classic[17].upper_bound, 0.125);  // 2^-3
  EXPECT_EQ(classic[17].cumulative_count, 10u);
  EXPECT_EQ(classic[24].upper_bound, 16.0);
  EXPECT_EQ(classic[24].cumulative_count, 15u);
  EXPECT_TRUE(std::isinf(classic.back().upper_bound));
  EXPECT_EQ(classic.back().cumulative_count, 28u);
  EXPECT_EQ(histogram.count, 28u);
}

TEST(Histogram, NativeBucketsAtSchemaZeroAreThePowersOfTwo) {
  Log2Histogram h(0, std::vector<uint64_t>(KE_HIST_SLOT_COUNT(0)), 1500000000);
  h.add(KE_HIST_ZERO_SLOT, 1);
  h.add(slot_of(-20), 3);  // (2^-21, 2^-20] s: native index -20
  h.add(slot_of(0), 4);    // (0.5, 1] s: index 0
  h.add(slot_of(1), 2);    // (1, 2] s: index 1
  Histogram histogram = to_histogram(h, {-20, 4, 0});
  EXPECT_EQ(histogram.schema, 0);
  EXPECT_EQ(histogram.zero_count, 1u);
  EXPECT_GT(histogram.zero_threshold, 0.0);
  EXPECT_LT(histogram.zero_threshold, 1e-30);
  EXPECT_EQ(histogram.positive, (std::vector<NativeBucket>{{-20, 3}, {0, 4}, {1, 2}}));
  EXPECT_DOUBLE_EQ(histogram.sum, 1.5);
}

TEST(Histogram, FinerSchemasKeepClassicBucketsAtPowersOfTwo) {
  Log2Histogram h(3);
  h.add(slot_of(0, 3), 1);      // exactly the bucket ending at 1 s: native index 0
  h.add(slot_of(0, 3) + 1, 2);  // (1, 2^(1/8)] s: index 1
  h.add(slot_of(0, 3) - 1, 4);  // (2^(-2/8), 2^(-1/8)] s: index -1
  Histogram histogram = to_histogram(h, {-1, 1, 3});
  EXPECT_EQ(histogram.schema, 3);
  EXPECT_EQ(histogram.positive, (std::vector<NativeBucket>{{-1, 4}, {0, 1}, {1, 2}}));
  ASSERT_EQ(histogram.classic.size(), 4u);  // 0.5, 1, 2, +Inf
  EXPECT_EQ(histogram.classic[0].cumulative_count, 0u);
  EXPECT_EQ(histogram.classic[1].upper_bound, 1.0);
  EXPECT_EQ(histogram.classic[1].cumulative_count, 5u);
  EXPECT_EQ(histogram.classic[2].cumulative_count, 7u);
  EXPECT_EQ(histogram.classic[3].cumulative_count, 7u);
}

TEST(Histogram, EmptyHistogramIsStillNative) {
  Histogram histogram = to_histogram(Log2Histogram(0), {-2, 1, 0});
  ASSERT_EQ(histogram.classic.size(), 5u);
  for (const auto& bucket : histogram.classic) EXPECT_EQ(bucket.cumulative_count, 0u);
  EXPECT_TRUE(histogram.positive.empty());
  EXPECT_GT(histogram.zero_threshold, 0.0);  // how Prometheus 2.42 tells an empty native one
}

TEST(Histogram, WidestRangeCoversEveryFiniteSlot) {
  Log2Histogram h(0);
  for (int slot = 0; slot < KE_HIST_SLOT_COUNT(0); ++slot) h.add(slot, 1);
  Histogram histogram =
      to_histogram(h, {config::kMinHistogramExponent, config::kMaxHistogramExponent, 0});
  EXPECT_EQ(histogram.classic[0].cumulative_count, 2u);  // zero + 2^-30
  EXPECT_EQ(histogram.classic[histogram.classic.size() - 2].cumulative_count,
            static_cast<uint64_t>(KE_HIST_SLOT_COUNT(0) - 1));
  EXPECT_EQ(histogram.classic.back().cumulative_count,
            static_cast<uint64_t>(KE_HIST_SLOT_COUNT(0)));
}

}  // namespace
}  // namespace ke::metrics
