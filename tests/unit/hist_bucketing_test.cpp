// The shared bucketing helper (bpf/include/ke_hist.h), compiled for the host: every boundary of
// every bucket against an exact rational reference.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "ke_hist.h"

namespace {

// Exact reference: the smallest k with ns <= 2^(k-30) * 10^9, i.e. ns * 2^30 <= 10^9 * 2^k.
uint32_t reference_slot(uint64_t ns) {
  if (ns == 0) return KE_HIST_ZERO_SLOT;
  const unsigned __int128 scaled = static_cast<unsigned __int128>(ns) << KE_HIST_UNIT_SHIFT;
  for (uint32_t k = 0; k <= KE_HIST_MAX_EXP; ++k)
    if (scaled <= static_cast<unsigned __int128>(1000000000ULL) << k) return 1 + k;
  return KE_HIST_OVERFLOW_SLOT;
}

TEST(HistBucketing, FloorAndCeilLog2AtPowersOfTwo) {
  for (uint32_t k = 0; k < 64; ++k) {
    const uint64_t power = 1ULL << k;
    EXPECT_EQ(ke_floor_log2(power), k);
    EXPECT_EQ(ke_ceil_log2(power), k);
    if (power > 2) {
      EXPECT_EQ(ke_floor_log2(power - 1), k - 1);
      EXPECT_EQ(ke_ceil_log2(power - 1), k);
    }
    if (k < 63) {
      EXPECT_EQ(ke_ceil_log2(power + 1), k + 1);
    }
  }
  EXPECT_EQ(ke_floor_log2(std::numeric_limits<uint64_t>::max()), 63u);
}

TEST(HistBucketing, ZeroHasItsOwnSlot) {
  EXPECT_EQ(ke_hist_slot(0), KE_HIST_ZERO_SLOT);
}

TEST(HistBucketing, EveryBoundIsInsideItsBucket) {
  for (uint32_t k = 0; k <= KE_HIST_MAX_EXP; ++k) {
    const uint64_t bound = ke_hist_bound_ns(k);
    SCOPED_TRACE(k);
    if (bound > 0) {
      EXPECT_EQ(ke_hist_slot(bound), reference_slot(bound));
      EXPECT_EQ(ke_hist_slot(bound), 1 + k);
      EXPECT_LT(ke_hist_slot(bound - 1), 2 + k);
    }
    EXPECT_EQ(ke_hist_slot(bound + 1), reference_slot(bound + 1));
    EXPECT_GT(ke_hist_slot(bound + 1), 1 + k);
  }
}

TEST(HistBucketing, ExactPowersOfTwoOfSecondsLandInTheirOwnBucket) {
  // 2^-9 s = 1953125 ns is the smallest power of two of seconds that is a whole number of ns.
  for (int exponent = -9; exponent <= KE_HIST_MAX_EXP - KE_HIST_UNIT_SHIFT; ++exponent) {
    const uint64_t ns = exponent >= 0 ? 1000000000ULL << exponent : 1000000000ULL >> -exponent;
    EXPECT_EQ(ke_hist_slot(ns), static_cast<uint32_t>(1 + exponent + KE_HIST_UNIT_SHIFT));
    EXPECT_EQ(ke_hist_slot(ns + 1), static_cast<uint32_t>(2 + exponent + KE_HIST_UNIT_SHIFT));
  }
}

TEST(HistBucketing, AroundPowersOfTwoOfNanoseconds) {
  for (uint32_t k = 0; k < 64; ++k) {
    const uint64_t power = 1ULL << k;
    for (uint64_t ns : {power - 1, power, power + 1}) {
      SCOPED_TRACE(ns);
      EXPECT_EQ(ke_hist_slot(ns), reference_slot(ns));
    }
  }
}

TEST(HistBucketing, BeyondTheTopBucketIsOverflowNotTheTopBucket) {
  const uint64_t top = ke_hist_bound_ns(KE_HIST_MAX_EXP);
  EXPECT_EQ(ke_hist_slot(top), KE_HIST_OVERFLOW_SLOT - 1);
  EXPECT_EQ(ke_hist_slot(top + 1), KE_HIST_OVERFLOW_SLOT);
  EXPECT_EQ(ke_hist_slot(std::numeric_limits<uint64_t>::max()), KE_HIST_OVERFLOW_SLOT);
}

TEST(HistBucketing, RandomValuesMatchTheReference) {
  std::mt19937_64 random(42);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t ns = random() >> (random() % 64);
    ASSERT_EQ(ke_hist_slot(ns), reference_slot(ns)) << ns;
  }
}

}  // namespace
