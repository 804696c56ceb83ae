/* Page migrations by reason and result, the latency of each migration call, and the scheduler's
 * NUMA task moves (the book's numamove, from tracepoints instead of kprobes).
 *
 * migrate_pages() fires mm_migrate_pages_start(mode, reason) on entry and mm_migrate_pages(
 * succeeded, failed, ..., mode, reason) on return, in the same task: the start time is kept per
 * thread. An end without its start (attached mid-call, or a start dropped) still counts its
 * pages, but gives no latency. Durations stay in nanoseconds (numamove sums milliseconds and so
 * drops every sub-millisecond migration). */
#include "ke_bpf.h"

/* enum migrate_reason has 10 values (MR_TYPES) in 6.18; room for growth, larger ones share the
 * last index. Names are read from the kernel's BTF by the exporter. */
#define KE_NUMA_REASONS 16

struct page_counts {
  __u64 succeeded;
  __u64 failed;
};

enum { TASK_MOVE = 0, TASK_SWAP = 1, TASK_STICK = 2, TASK_MIGRATION_TYPES = 3 };

KE_INFLIGHT_MAP(started_at, __u32, __u64, 4096); /* by thread id */

/* Histograms and page counts by reason: dense small keys, so arrays. */
KE_HIST_ARRAY(migration_time, KE_NUMA_REASONS);

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KE_NUMA_REASONS);
  __type(key, __u32);
  __type(value, struct page_counts);
} pages SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TASK_MIGRATION_TYPES);
  __type(key, __u32);
  __type(value, __u64);
} task_migrations SEC(".maps");

KE_INLINE void on_migrate_start(void) {
  __u32 tid = ke_current_tid();
  __u64 now = bpf_ktime_get_ns();
  ke_inflight_start(&started_at, &tid, &now);
}

/* Ends the migration call this thread started, timing it under reason index `index`. */
KE_INLINE void end_call(__u32 index) {
  __u32 tid = ke_current_tid();
  __u64* start = bpf_map_lookup_elem(&started_at, &tid);
  struct ke_hist* hist;

  if (!start) return;
  hist = bpf_map_lookup_elem(&migration_time, &index);
  if (hist && *start) ke_hist_add(hist, bpf_ktime_get_ns() - *start);
  bpf_map_delete_elem(&started_at, &tid);
}

KE_INLINE void on_migrate_end(__u64 succeeded, __u64 failed, int reason) {
  __u32 index = reason >= 0 && reason < KE_NUMA_REASONS ? reason : KE_NUMA_REASONS - 1;
  struct page_counts* counts = bpf_map_lookup_elem(&pages, &index);

  if (counts) {
    counts->succeeded += succeeded;
    counts->failed += failed;
  }
  end_call(index);
}

/* Fallback for kernels without the migrate_pages tracepoints (before 5.13), numamove's own hooks:
 * the NUMA fault path's call that migrates one misplaced folio (page before 6.9), timed as reason
 * numa_misplaced. Set by the exporter after attaching, only when the tracepoint slots did not
 * attach: with both, every misplaced migration would be timed twice. */
volatile int time_misplaced_calls;

KE_INLINE void on_misplaced_call(void) {
  if (time_misplaced_calls) on_migrate_start();
}

KE_INLINE void on_misplaced_return(void) {
  if (time_misplaced_calls) end_call(bpf_core_enum_value(enum migrate_reason, MR_NUMA_MISPLACED));
}

/* The reason argument of mm_migrate_pages: kernels with large_folio_split (not 6.1) pass one
 * more count before mode and reason; the classic record's layout says which prototype this
 * kernel has. Read through a helper rather than a direct ctx load: clang merges the two loads into
 * one at a computed offset, which the verifier refuses for ctx (migrations are rare, so the
 * helper call costs nothing that matters). */
KE_INLINE int end_reason(unsigned long long* args) {
  __u32 index =
      bpf_core_field_exists(struct trace_event_raw_mm_migrate_pages, large_folio_split) ? 7 : 6;
  __u64 reason = ~0ULL;
  bpf_probe_read_kernel(&reason, sizeof reason, &args[index]);
  return (int)reason;
}

KE_INLINE void count_task_migration(__u32 type) {
  __u64* count = bpf_map_lookup_elem(&task_migrations, &type);
  if (count) (*count)++;
}

KE_RAW_TRACEPOINT(migrate_start, mm_migrate_pages_start, on_migrate_start())
KE_CLASSIC_TRACEPOINT(migrate_start, migrate, mm_migrate_pages_start,
                      struct trace_event_raw_mm_migrate_pages_start, on_migrate_start())

KE_RAW_TRACEPOINT(migrate_end, mm_migrate_pages, on_migrate_end(succeeded, failed, end_reason(ctx)),
                  unsigned long succeeded, unsigned long failed)
KE_CLASSIC_TRACEPOINT(migrate_end, migrate, mm_migrate_pages,
                      struct trace_event_raw_mm_migrate_pages,
                      on_migrate_end(ctx->succeeded, ctx->failed, ctx->reason))

KE_FUNCTION_ENTRY(misplaced_folio, migrate_misplaced_folio, on_misplaced_call())
KE_FUNCTION_EXIT(misplaced_folio_return, migrate_misplaced_folio, on_misplaced_return())
KE_FUNCTION_ENTRY(misplaced_page, migrate_misplaced_page, on_misplaced_call())
KE_FUNCTION_EXIT(misplaced_page_return, migrate_misplaced_page, on_misplaced_return())

KE_RAW_TRACEPOINT(move_numa, sched_move_numa, count_task_migration(TASK_MOVE))
KE_CLASSIC_TRACEPOINT(move_numa, sched, sched_move_numa, struct trace_entry,
                      count_task_migration(TASK_MOVE))
KE_RAW_TRACEPOINT(swap_numa, sched_swap_numa, count_task_migration(TASK_SWAP))
KE_CLASSIC_TRACEPOINT(swap_numa, sched, sched_swap_numa, struct trace_entry,
                      count_task_migration(TASK_SWAP))
KE_RAW_TRACEPOINT(stick_numa, sched_stick_numa, count_task_migration(TASK_STICK))
KE_CLASSIC_TRACEPOINT(stick_numa, sched, sched_stick_numa, struct trace_entry,
                      count_task_migration(TASK_STICK))
