/* Softirq execution time by vector and tasklet execution time by function. Softirqs do not
 * nest on a CPU, so one start slot per CPU suffices and needs no hash lookup. */
#include "ke_bpf.h"

#define KE_SOFTIRQ_VECTORS 10 /* NR_SOFTIRQS: hi, timer, ..., rcu */

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} started_at SEC(".maps");

enum { SOFTIRQ_START = 0, TASKLET_START = 1 };

/* Histograms by vector number. */
KE_HIST_ARRAY(softirq_time, KE_SOFTIRQ_VECTORS);

/* Histograms by tasklet function address. */
KE_HIST_MAP(tasklet_time, __u64, 1024);

KE_INLINE void mark_start(__u32 which) {
  __u64* start = bpf_map_lookup_elem(&started_at, &which);
  if (start) *start = bpf_ktime_get_ns();
}

/* Nanoseconds since mark_start(which), or 0 when the start was not seen (attached mid-way). */
KE_INLINE __u64 take_elapsed(__u32 which) {
  __u64* start = bpf_map_lookup_elem(&started_at, &which);
  __u64 elapsed;
  if (!start || !*start) return 0;
  elapsed = bpf_ktime_get_ns() - *start;
  *start = 0;
  return elapsed;
}

KE_INLINE void on_softirq_exit(unsigned int vec) {
  __u64 elapsed = take_elapsed(SOFTIRQ_START);
  struct ke_hist* hist;
  if (!elapsed) return;
  hist = bpf_map_lookup_elem(&softirq_time, &vec);
  if (hist) ke_hist_add(hist, elapsed);
}

KE_INLINE void on_tasklet_exit(void* func) {
  __u64 elapsed = take_elapsed(TASKLET_START);
  __u64 key = (__u64)func;
  if (elapsed) ke_hist_observe(&tasklet_time, &key, elapsed);
}

KE_RAW_TRACEPOINT(softirq_entry, softirq_entry, mark_start(SOFTIRQ_START), unsigned int vec)
KE_CLASSIC_TRACEPOINT(softirq_entry, irq, softirq_entry, struct trace_event_raw_softirq,
                      mark_start(SOFTIRQ_START))
KE_RAW_TRACEPOINT(softirq_exit, softirq_exit, on_softirq_exit(vec), unsigned int vec)
KE_CLASSIC_TRACEPOINT(softirq_exit, irq, softirq_exit, struct trace_event_raw_softirq,
                      on_softirq_exit(ctx->vec))

KE_RAW_TRACEPOINT(tasklet_entry, tasklet_entry, mark_start(TASKLET_START), struct tasklet_struct* t,
                  void* func)
KE_CLASSIC_TRACEPOINT(tasklet_entry, irq, tasklet_entry, struct trace_event_raw_tasklet,
                      mark_start(TASKLET_START))
KE_RAW_TRACEPOINT(tasklet_exit, tasklet_exit, on_tasklet_exit(func), struct tasklet_struct* t,
                  void* func)
KE_CLASSIC_TRACEPOINT(tasklet_exit, irq, tasklet_exit, struct trace_event_raw_tasklet,
                      on_tasklet_exit(ctx->func))
