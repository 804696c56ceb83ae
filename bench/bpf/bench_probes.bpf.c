/* Benchmark-only programs on the tracepoints our collectors hook:
 *  count__<event>: counts hits, to learn how many events a workload fires (calibration);
 *  stamp__<event>: only reads the clock, the reference "empty tp_btf program reading the same
 *                  timestamps" that each collector's added cost is compared with. */
#include "ke_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

KE_INLINE void count_hit(void) {
  __u32 zero = 0;
  __u64* count = bpf_map_lookup_elem(&hits, &zero);
  if (count) (*count)++;
}

#define BENCH_PROBES(event)                            \
  SEC("tp_btf/" #event) int BPF_PROG(count__##event) { \
    count_hit();                                       \
    return 0;                                          \
  }                                                    \
  SEC("tp_btf/" #event) int BPF_PROG(stamp__##event) { \
    bpf_ktime_get_ns();                                \
    return 0;                                          \
  }

BENCH_PROBES(workqueue_queue_work)
BENCH_PROBES(workqueue_execute_start)
BENCH_PROBES(workqueue_execute_end)
BENCH_PROBES(softirq_entry)
BENCH_PROBES(softirq_exit)
BENCH_PROBES(tasklet_entry)
BENCH_PROBES(tasklet_exit)
