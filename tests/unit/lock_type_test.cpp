// lock:contention_begin flags to perf lock contention's type names, for every combination of
// the six flags and for bits no kernel sets.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "collectors/lock.hpp"
#include "ke_lock.h"

namespace ke::collectors {
namespace {

TEST(LockType, EveryCombinationOfTheSixFlags) {
  const std::map<uint32_t, std::string_view> named = {
      {0, "semaphore"},
      {KE_LCB_F_SPIN, "spinlock"},
      {KE_LCB_F_SPIN | KE_LCB_F_READ, "rwlock:R"},
      {KE_LCB_F_SPIN | KE_LCB_F_WRITE, "rwlock:W"},
      {KE_LCB_F_READ, "rwsem:R"},
      {KE_LCB_F_WRITE, "rwsem:W"},
      {KE_LCB_F_RT, "rt-mutex"},
      {KE_LCB_F_PERCPU | KE_LCB_F_READ, "pcpu-sem:R"},
      {KE_LCB_F_PERCPU | KE_LCB_F_WRITE, "pcpu-sem:W"},
      {KE_LCB_F_MUTEX, "mutex"},
      {KE_LCB_F_MUTEX | KE_LCB_F_SPIN, "mutex-spin"},
  };
  for (uint32_t flags = 0; flags < 64; ++flags) {
    const auto found = named.find(flags);
    EXPECT_EQ(lock_type_name(flags), found == named.end() ? "unknown" : found->second)
        << "flags " << flags;
  }
}

TEST(LockType, TheFlagValuesAreTheKernels) {
  // include/trace/events/lock.h
  EXPECT_EQ(KE_LCB_F_SPIN, 1u);
  EXPECT_EQ(KE_LCB_F_READ, 2u);
  EXPECT_EQ(KE_LCB_F_WRITE, 4u);
  EXPECT_EQ(KE_LCB_F_RT, 8u);
  EXPECT_EQ(KE_LCB_F_PERCPU, 16u);
  EXPECT_EQ(KE_LCB_F_MUTEX, 32u);
}

TEST(LockType, UnknownBitsGiveOneBoundedValue) {
  std::set<std::string_view> names;
  for (uint32_t bit = 6; bit < 32; ++bit) {
    EXPECT_EQ(lock_type_name(1u << bit), "unknown");
    EXPECT_EQ(lock_type_name((1u << bit) | KE_LCB_F_MUTEX), "unknown");
  }
  for (uint32_t flags = 0; flags < 256; ++flags) names.insert(lock_type_name(flags));
  EXPECT_EQ(names.size(), 12u);  // the eleven names and "unknown"
}

}  // namespace
}  // namespace ke::collectors
