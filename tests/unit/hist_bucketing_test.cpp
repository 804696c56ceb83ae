// The shared bucketing helper (bpf/include/ke_hist.h), compiled for the host: every boundary of
// every bucket against an exact rational reference.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include <quadmath.h>

#include "bpf/histogram_maps.hpp"
#include "ke_hist.h"

namespace {

// Exact reference: the smallest k with ns <= 2^(k-30) * 10^9, i.e. ns * 2^30 <= 10^9 * 2^k.
uint32_t reference_slot(uint64_t ns) {
  if (ns == 0) return KE_HIST_ZERO_SLOT;
  const unsigned __int128 scaled = static_cast<unsigned __int128>(ns) << KE_HIST_UNIT_SHIFT;
  for (uint32_t k = 0; k <= KE_HIST_MAX_EXP; ++k)
    if (scaled <= static_cast<unsigned __int128>(1000000000ULL) << k) return 1 + k;
  return KE_HIST_OVERFLOW_SLOT(0);
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
  EXPECT_EQ(ke_hist_slot(top), KE_HIST_OVERFLOW_SLOT(0) - 1);
  EXPECT_EQ(ke_hist_slot(top + 1), KE_HIST_OVERFLOW_SLOT(0));
  EXPECT_EQ(ke_hist_slot(std::numeric_limits<uint64_t>::max()), KE_HIST_OVERFLOW_SLOT(0));
}

TEST(HistBucketing, RandomValuesMatchTheReference) {
  std::mt19937_64 random(42);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t ns = random() >> (random() % 64);
    ASSERT_EQ(ke_hist_slot(ns), reference_slot(ns)) << ns;
  }
}

// Independent reference for every schema: relative bucket r = ceil(2^s * log2(ns / 2^-30 s)),
// in 113-bit arithmetic (exact at whole powers of two, far from rounding elsewhere).
uint32_t reference_slot_schema(uint64_t ns, int schema) {
  if (ns == 0) return KE_HIST_ZERO_SLOT;
  const __float128 units =
      static_cast<__float128>(ns) * exp2q(KE_HIST_UNIT_SHIFT) / static_cast<__float128>(1000000000);
  const __float128 r = ceilq(log2q(units) * (1 << schema));
  if (r > KE_HIST_MAX_REL(schema)) return KE_HIST_OVERFLOW_SLOT(schema);
  return 1 + static_cast<uint32_t>(r < 0 ? 0 : r);
}

class HistBucketingSchema : public ::testing::TestWithParam<int> {};

TEST_P(HistBucketingSchema, EveryBoundAndItsNeighboursMatchTheReference) {
  const int schema = GetParam();
  const ke_hist_config config = ke::bpf::histogram_config(schema);
  EXPECT_EQ(config.slot_count, static_cast<uint32_t>(KE_HIST_SLOT_COUNT(schema)));
  for (int r = 1; r <= KE_HIST_MAX_REL(schema); ++r) {
    const uint64_t bound = config.bounds_ns[r];
    SCOPED_TRACE(r);
    // Below ~2 ns, neighbouring bounds can floor to the same nanosecond: such a bucket holds no
    // whole number of nanoseconds.
    if (bound == config.bounds_ns[r - 1]) continue;
    ASSERT_EQ(ke_hist_slot_schema(bound, &config), static_cast<uint32_t>(1 + r));
    ASSERT_EQ(ke_hist_slot_schema(bound + 1, &config), reference_slot_schema(bound + 1, schema));
    ASSERT_GT(ke_hist_slot_schema(bound + 1, &config), static_cast<uint32_t>(1 + r));
    if (bound > 0) {
      ASSERT_EQ(ke_hist_slot_schema(bound, &config), reference_slot_schema(bound, schema));
    }
  }
  EXPECT_EQ(ke_hist_slot_schema(0, &config), static_cast<uint32_t>(KE_HIST_ZERO_SLOT));
  EXPECT_EQ(ke_hist_slot_schema(UINT64_MAX, &config),
            static_cast<uint32_t>(KE_HIST_OVERFLOW_SLOT(schema)));
}

TEST_P(HistBucketingSchema, RandomValuesMatchTheReference) {
  const int schema = GetParam();
  const ke_hist_config config = ke::bpf::histogram_config(schema);
  std::mt19937_64 random(schema);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t ns = random() >> (random() % 64);
    ASSERT_EQ(ke_hist_slot_schema(ns, &config), reference_slot_schema(ns, schema)) << ns;
  }
}

TEST_P(HistBucketingSchema, WholePowersOfTwoOfSecondsStayClassicBounds) {
  const int schema = GetParam();
  const ke_hist_config config = ke::bpf::histogram_config(schema);
  for (int exponent = -9; exponent <= KE_HIST_MAX_EXP - KE_HIST_UNIT_SHIFT; ++exponent) {
    const uint64_t ns = exponent >= 0 ? 1000000000ULL << exponent : 1000000000ULL >> -exponent;
    EXPECT_EQ(ke_hist_slot_schema(ns, &config),
              static_cast<uint32_t>(1 + ((exponent + KE_HIST_UNIT_SHIFT) << schema)));
  }
}

INSTANTIATE_TEST_SUITE_P(Schemas, HistBucketingSchema, ::testing::Values(0, 1, 2, 3));

}  // namespace
