/* Lock contention: how long contended waits last, by lock type and caller (perf lock
 * contention, as a histogram).
 *
 * lock:contention_begin/end fire only on the slow path of every sleeping and spinning lock.
 * Where a wait's start is kept depends on the lock, as in perf:
 *  - spinning waits (spinlocks, rwlocks: SPIN without MUTEX) run with preemption off, so they
 *    cannot migrate or interleave with another spinning wait of the same CPU except from an
 *    interrupt: one slot per CPU, no hash lookup;
 *  - every other wait (mutex, rwsem, rt-mutex, percpu-rwsem, semaphore) may sleep and
 *    migrate: one record per task, in an LRU map keyed by thread id (see task_waits).
 * A begin while a wait is already in flight is nested and keeps the first start, so the wait is
 * counted once: an interrupt contending on this CPU while it spins (its end is then ignored
 * too), or a mutex that spins (MUTEX|SPIN) and then sleeps (MUTEX) with no end in between. An
 * end without a begin (attached mid-wait) is ignored. */
#include "ke_bpf.h"
#include "ke_lock.h"

/* Frames of the waiter's stack searched for its caller. Measured on 6.18: the raw tracepoint's
 * dispatch takes 3 frames (the program, bpf_trace_run2, __traceiter_contention_begin), a slow
 * path 1 (native_queued_spin_lock_slowpath), the lock API 1 or 2, so a caller is usually frame
 * 5 or 6; the deepest seen is a run-queue lock taken in schedule() for a sleeping mutex, caller
 * at frame 10 (+ __schedule, schedule, schedule_preempt_disabled, __mutex_lock). With 9 frames,
 * 0.04% of a mixed workload's waits had no caller; with 12, none. The walk costs ~1.3 us plus
 * ~0.15 us per frame here (the rest of the program ~0.2 us), so no more. */
#define KE_LOCK_STACK_FRAMES 12

const volatile struct ke_lock_config lock_config;

/* Set by the exporter once both programs are attached: a begin seen while the end program is
 * not attached yet would leave a wait in flight that no end clears, and a CPU whose slot holds
 * one would ignore every later spinning wait as nested. */
__u32 enabled;

struct lock_wait {
  __u64 start_ns;
  __u64 lock; /* 0: no wait in flight */
  __u64 caller;
  __u32 flags;
  __u32 pad;
};

struct cpu_state {
  struct lock_wait spin;
  /* Our contention_end program is running on this CPU. The map operations it does can contend
   * on a spinlock themselves; the kernel does not run contention_end's program recursively, so
   * that inner wait's end would be lost and its begin must not be recorded either. */
  __u32 in_end;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct cpu_state);
} cpu_states SEC(".maps");

/* Sleeping waits by thread id, in an LRU map rather than task storage: its memory is fixed at
 * load (8192 records, ~0.7 MiB, far more than the tasks that wait at once), where task storage
 * grows with every task that ever waits; and creating task storage from inside a lock tracepoint
 * takes the storage's own locks, which older kernels guard with a trylock that fails under
 * nesting. Records are reset in place, not deleted, so a thread's map update (which takes the
 * LRU's locks) happens at its first wait only. What LRU leaves behind is harmless: the record of
 * a thread that exited (kernel waits do not end that way: killable ones end with an error code)
 * or whose end was lost is reused by the thread's next wait on another lock, or ages out. */
KE_INFLIGHT_MAP(task_waits, __u32, struct lock_wait, 8192);

KE_HIST_MAP(wait_time, struct ke_lock_key, 2048);

KE_INLINE int is_spinning(__u32 flags) {
  return (flags & (KE_LCB_F_SPIN | KE_LCB_F_MUTEX)) == KE_LCB_F_SPIN;
}

KE_INLINE void start_wait(void* ctx, struct lock_wait* wait, __u64 lock, __u32 flags) {
  __u64 frames[KE_LOCK_STACK_FRAMES];
  long bytes = bpf_get_stack(ctx, frames, sizeof frames, 0);
  __u32 count = bytes > 0 ? (__u32)(bytes / sizeof(__u64)) : 0;

  wait->caller = ke_pick_caller(frames, count, KE_LOCK_STACK_FRAMES, lock_config.infrastructure);
  wait->flags = flags;
  /* After the stack walk: the wait measured is the lock's, not the ~2 us our walk added. */
  wait->start_ns = bpf_ktime_get_ns();
  wait->lock = lock;
}

KE_INLINE void on_contention_begin(void* ctx, __u64 lock, __u32 flags) {
  __u32 zero = 0, tid;
  struct cpu_state* cpu;
  struct lock_wait* wait;

  if (!enabled) return;
  cpu = bpf_map_lookup_elem(&cpu_states, &zero);
  if (!cpu || cpu->in_end) return;
  if (is_spinning(flags)) {
    if (!cpu->spin.lock) start_wait(ctx, &cpu->spin, lock, flags);
    return;
  }
  tid = ke_current_tid();
  wait = bpf_map_lookup_elem(&task_waits, &tid);
  if (wait && wait->lock == lock) {
    /* Nested: the wait goes on under a new kind (a mutex that stops spinning and sleeps). Its
     * type is what it ended as; its start and caller stay the first begin's. */
    wait->flags = flags;
  } else if (wait) {
    /* Free, or in flight on another lock: a task waits for one sleeping lock at a time, so
     * that record's end was lost. */
    start_wait(ctx, wait, lock, flags);
  } else {
    struct lock_wait fresh = {};
    start_wait(ctx, &fresh, lock, flags);
    ke_inflight_start(&task_waits, &tid, &fresh);
  }
}

KE_INLINE void finish_wait(struct lock_wait* wait) {
  struct ke_lock_key key = {.caller = wait->caller, .flags = wait->flags};
  __u64 now = bpf_ktime_get_ns();

  if (wait->lock >= lock_config.global_data.start && wait->lock < lock_config.global_data.end)
    key.lock = wait->lock;
  /* The clock is monotonic across CPUs; the guard only keeps a bogus start out of the top. */
  ke_hist_observe(&wait_time, &key, now > wait->start_ns ? now - wait->start_ns : 0);
  /* Last: until here a begin of this CPU or task still sees the wait in flight. */
  wait->lock = 0;
}

KE_INLINE void on_contention_end(__u64 lock) {
  __u32 zero = 0, tid;
  struct cpu_state* cpu;
  struct lock_wait* wait;

  if (!enabled) return;
  cpu = bpf_map_lookup_elem(&cpu_states, &zero);
  if (!cpu) return;
  cpu->in_end = 1;
  if (cpu->spin.lock) {
    /* A CPU that spins does not sleep, so this end is its spinning wait's or, for another
     * lock, that of a wait nested in it (not recorded). */
    if (cpu->spin.lock == lock) finish_wait(&cpu->spin);
  } else {
    tid = ke_current_tid();
    wait = bpf_map_lookup_elem(&task_waits, &tid);
    if (wait && wait->lock == lock) finish_wait(wait);
  }
  cpu->in_end = 0;
}

KE_RAW_TRACEPOINT(contention_begin, contention_begin, on_contention_begin(ctx, (__u64)lock, flags),
                  void* lock, unsigned int flags)
KE_CLASSIC_TRACEPOINT(contention_begin, lock, contention_begin,
                      struct trace_event_raw_contention_begin,
                      on_contention_begin(ctx, (__u64)ctx->lock_addr, ctx->flags))

KE_RAW_TRACEPOINT(contention_end, contention_end, on_contention_end((__u64)lock), void* lock,
                  int ret)
KE_CLASSIC_TRACEPOINT(contention_end, lock, contention_end, struct trace_event_raw_contention_end,
                      on_contention_end((__u64)ctx->lock_addr))
