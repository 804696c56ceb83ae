/* Picking "the caller" out of a kernel stack: the first function outside some infrastructure
 * code (locking primitives, the scheduler) that the stack passes through. Shared by the BPF
 * programs and the exporter's unit tests (host C/C++), like ke_hist.h.
 *
 * A stack taken inside a tracepoint starts with frames that belong to neither the
 * infrastructure nor its caller (the BPF dispatch on raw tracepoints, a lock's slow path that
 * lives in ordinary text, such as native_queued_spin_lock_slowpath), then runs through the
 * infrastructure's API (_raw_spin_lock, mutex_lock, schedule, ...; all in dedicated text
 * sections), then reaches the caller. So the caller is the first frame outside the ranges that
 * follows a frame inside them; frames before the first inside one are never the caller. */
#ifndef KE_STACK_H
#define KE_STACK_H

#include <linux/types.h>

#ifndef KE_INLINE
#define KE_INLINE static inline __attribute__((always_inline))
#endif

/* Kernel address range [start, end); empty when start == end (not known). */
struct ke_address_range {
  __u64 start;
  __u64 end;
};

#define KE_STACK_RANGES 2

KE_INLINE int ke_in_ranges(__u64 ip, const volatile struct ke_address_range* ranges) {
  int i;
  for (i = 0; i < KE_STACK_RANGES; i++)
    if (ip >= ranges[i].start && ip < ranges[i].end) return 1;
  return 0;
}

/* The first of frames[0..count) outside `ranges` that follows a frame inside them, at most
 * max_frames frames looked at; 0 when no frame is inside (stack too short, ranges unknown) or
 * every frame after the first inside one is inside too (stack truncated). */
KE_INLINE __u64 ke_pick_caller(const __u64* frames, __u32 count, __u32 max_frames,
                               const volatile struct ke_address_range* ranges) {
  int seen_inside = 0;
  __u32 i;
  for (i = 0; i < max_frames; i++) {
    if (i >= count) break;
    if (ke_in_ranges(frames[i], ranges))
      seen_inside = 1;
    else if (seen_inside)
      return frames[i];
  }
  return 0;
}

#endif /* KE_STACK_H */
