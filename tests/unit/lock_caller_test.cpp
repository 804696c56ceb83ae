// The caller of a lock wait, picked out of synthetic kernel stacks by the same code the BPF
// program runs (bpf/include/ke_stack.h).
#include <gtest/gtest.h>

#include <vector>

#include "ke_stack.h"

namespace {

constexpr __u64 kLockStart = 0xffffffff82203140, kLockEnd = 0xffffffff82204b88;
constexpr __u64 kSchedStart = 0xffffffff821fa620, kSchedEnd = 0xffffffff82203137;
constexpr ke_address_range kRanges[KE_STACK_RANGES] = {{kLockStart, kLockEnd},
                                                       {kSchedStart, kSchedEnd}};

// Frames outside both ranges.
constexpr __u64 kBpfDispatch = 0xffffffff81300000;  // bpf_trace_run2 and the like
constexpr __u64 kSlowPath = 0xffffffff81100000;     // native_queued_spin_lock_slowpath
constexpr __u64 kAnonPipeWrite = 0xffffffff81500010;
constexpr __u64 kVfsWrite = 0xffffffff81500800;
// Frames inside.
constexpr __u64 kRawSpinLock = kLockStart + 0x40;     // _raw_spin_lock
constexpr __u64 kMutexLockSlow = kSchedStart + 0x10;  // __mutex_lock
constexpr __u64 kMutexLock = kSchedStart + 0x900;     // mutex_lock
constexpr __u64 kSchedule = kSchedStart + 0x2000;     // schedule

constexpr __u32 kMaxFrames = 12;

__u64 pick(const std::vector<__u64>& frames, __u32 max_frames = kMaxFrames,
           const ke_address_range* ranges = kRanges) {
  return ke_pick_caller(frames.data(), static_cast<__u32>(frames.size()), max_frames, ranges);
}

TEST(LockCaller, PipeMutex) {
  EXPECT_EQ(
      pick({kBpfDispatch, kBpfDispatch, kMutexLockSlow, kMutexLock, kAnonPipeWrite, kVfsWrite}),
      kAnonPipeWrite);
}

TEST(LockCaller, SlowPathOutsideTheRangesIsSkippedUntilTheLockApi) {
  EXPECT_EQ(pick({kBpfDispatch, kSlowPath, kRawSpinLock, kAnonPipeWrite}), kAnonPipeWrite);
}

TEST(LockCaller, LockFrameFirst) {
  EXPECT_EQ(pick({kRawSpinLock, kVfsWrite, kAnonPipeWrite}), kVfsWrite);
  EXPECT_EQ(pick({kMutexLock, kRawSpinLock, kSchedule, kAnonPipeWrite}), kAnonPipeWrite);
}

TEST(LockCaller, RunQueueLockTakenInsideScheduleOnBehalfOfAMutex) {
  // _raw_spin_lock <- __schedule <- schedule <- __mutex_lock <- mutex_lock <- anon_pipe_write
  EXPECT_EQ(pick({kBpfDispatch, kSlowPath, kRawSpinLock, kSchedule, kSchedule, kMutexLockSlow,
                  kMutexLock, kAnonPipeWrite}),
            kAnonPipeWrite);
}

TEST(LockCaller, NoLockFrameGivesNoCaller) {
  EXPECT_EQ(pick({kBpfDispatch, kSlowPath, kAnonPipeWrite, kVfsWrite}), 0u);
}

TEST(LockCaller, AllLockFramesGiveNoCaller) {
  EXPECT_EQ(pick({kRawSpinLock, kMutexLockSlow, kMutexLock, kSchedule}), 0u);
}

TEST(LockCaller, StackShorterThanExpected) {
  EXPECT_EQ(pick({}), 0u);
  EXPECT_EQ(pick({kRawSpinLock}), 0u);
  EXPECT_EQ(pick({kBpfDispatch}), 0u);
  EXPECT_EQ(pick({kMutexLock, kAnonPipeWrite}), kAnonPipeWrite);
}

TEST(LockCaller, OnlyTheFramesTheKernelFilledAreRead) {
  // Frames past `count` are left over from an earlier, deeper stack.
  const __u64 frames[] = {kMutexLock, kMutexLock, kAnonPipeWrite};
  EXPECT_EQ(ke_pick_caller(frames, 2, kMaxFrames, kRanges), 0u);
}

TEST(LockCaller, AtMostMaxFramesAreLookedAt) {
  EXPECT_EQ(pick({kBpfDispatch, kRawSpinLock, kSchedule, kAnonPipeWrite}, 3), 0u);
  EXPECT_EQ(pick({kBpfDispatch, kRawSpinLock, kSchedule, kAnonPipeWrite}, 4), kAnonPipeWrite);
}

TEST(LockCaller, RangesAreHalfOpen) {
  EXPECT_EQ(pick({kLockStart, kLockEnd}), kLockEnd);  // the end is outside
  EXPECT_EQ(pick({kLockEnd - 1, kSchedEnd}), kSchedEnd);
  EXPECT_EQ(pick({kSchedStart - 1, kSchedStart, kAnonPipeWrite}), kAnonPipeWrite);
}

TEST(LockCaller, UnknownRangesFindNoCaller) {
  const ke_address_range unknown[KE_STACK_RANGES] = {};
  EXPECT_EQ(pick({kBpfDispatch, kRawSpinLock, kAnonPipeWrite}, kMaxFrames, unknown), 0u);
}

}  // namespace
