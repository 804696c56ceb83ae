/* Pairing logic of the mutex collector (bpf/mutex.bpf.c), apart from its hooks so that a
 * test-only object (tests/bpf/mutex_pairing.bpf.c) runs the same code through
 * BPF_PROG_TEST_RUN with synthetic tasks, times and return values.
 *
 * Acquire latency: a lock call's entry records {start, lock} by thread; its return with the lock
 * held observes now - start, by the caller found at return, and starts the hold. Hold time: a hold
 * is keyed by the lock's address (a mutex has one owner at a time) and ends at mutex_unlock() of
 * that address.
 *
 * Both in-flight maps are plain hash maps of fixed size, preallocated (no allocation on the lock
 * path). Not LRU: an LRU map evicts silently when full, and an evicted hold would be an uncounted
 * drop; here a full map refuses the new record and counts a drop (inflight_map_full), and the
 * unpaired return or unlock that follows is ignored, so no latency is ever made up. What could
 * otherwise stay behind for good:
 *  - a call whose return was never seen (a kretprobe runs out of return instances when more
 *    tasks than its maxactive wait at once): the thread's next lock call overwrites it, and
 *    mutex_task_exit(), on sched_process_exit, deletes it when the thread ends (a thread cannot
 *    end inside a lock call, so this never loses a live one);
 *  - a hold whose unlock was never seen: the next acquisition of that address overwrites it, the
 *    next unlock of it deletes it, and it never pairs with another task's unlock (owner check). */
#ifndef KE_MUTEX_H
#define KE_MUTEX_H

#include "ke_bpf.h"

/* Threads inside a lock call at once; the test object shrinks both sizes to test a full map. */
#ifndef KE_MUTEX_CALLS
#define KE_MUTEX_CALLS 8192
#endif
/* Mutexes held at once (that we saw being acquired). */
#ifndef KE_MUTEX_HOLDS
#define KE_MUTEX_HOLDS 8192
#endif

struct mutex_call {
  __u64 start_ns;
  __u64 lock;
};

struct mutex_hold {
  __u64 start_ns;
  __u64 caller;
  __u32 owner_tid;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KE_MUTEX_CALLS);
  __type(key, __u32); /* thread id */
  __type(value, struct mutex_call);
} mutex_calls SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KE_MUTEX_HOLDS);
  __type(key, __u64); /* struct mutex address */
  __type(value, struct mutex_hold);
} mutex_holds SEC(".maps");

/* Histograms by caller address. */
KE_HIST_MAP(acquire_time, __u64, 2048);
KE_HIST_MAP(hold_time, __u64, 2048);

/* Entry to mutex_lock, mutex_lock_interruptible, mutex_lock_killable or mutex_trylock. */
KE_INLINE void mutex_call_enter(__u32 tid, __u64 now, __u64 lock) {
  struct mutex_call call = {.start_ns = now, .lock = lock};
  ke_inflight_start(&mutex_calls, &tid, &call);
}

/* Return from the call `tid` entered, to `caller`; `acquired` when it returned holding the lock,
 * `timed` when its duration is an acquire latency (not for trylock, which never waits). */
KE_INLINE void mutex_call_return(__u32 tid, __u64 now, __u64 caller, int acquired, int timed) {
  struct mutex_call* found = bpf_map_lookup_elem(&mutex_calls, &tid);
  struct mutex_call call;
  struct mutex_hold hold = {};

  if (!found) return; /* entry not seen: attached mid-call, or its record was dropped */
  call = *found;
  bpf_map_delete_elem(&mutex_calls, &tid);
  if (!acquired) return;
  if (timed) ke_hist_observe(&acquire_time, &caller, now - call.start_ns);
  hold.start_ns = now;
  hold.caller = caller;
  hold.owner_tid = tid;
  ke_inflight_start(&mutex_holds, &call.lock, &hold);
}

/* mutex_lock() returns only with the lock; the interruptible and killable variants return 0 when
 * they got it and -EINTR when a signal ended the wait. */
KE_INLINE void mutex_lock_return(__u32 tid, __u64 now, __u64 caller, int ret) {
  mutex_call_return(tid, now, caller, ret == 0, 1);
}

/* mutex_trylock() returns 1 when it got the lock, 0 when the lock was taken. */
KE_INLINE void mutex_trylock_return(__u32 tid, __u64 now, __u64 caller, int ret) {
  mutex_call_return(tid, now, caller, ret == 1, 0);
}

/* Entry to mutex_unlock(): still held, so the owner's record cannot be replaced meanwhile. */
KE_INLINE void mutex_unlock_enter(__u32 tid, __u64 now, __u64 lock) {
  struct mutex_hold* found = bpf_map_lookup_elem(&mutex_holds, &lock);
  struct mutex_hold hold;

  if (!found) return; /* acquired before we attached, through an unhooked path, or dropped */
  hold = *found;
  bpf_map_delete_elem(&mutex_holds, &lock);
  /* Another owner: a hold whose unlock we missed, then an acquisition we did not see. */
  if (hold.owner_tid != tid) return;
  ke_hist_observe(&hold_time, &hold.caller, now - hold.start_ns);
}

KE_INLINE void mutex_task_exit(__u32 tid) {
  bpf_map_delete_elem(&mutex_calls, &tid);
}

#endif /* KE_MUTEX_H */
