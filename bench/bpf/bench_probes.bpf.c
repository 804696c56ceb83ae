/* Benchmark-only programs on the tracepoints our collectors hook:
 *  count__<event>: counts hits, to learn how many events a workload fires (calibration);
 *  stamp__<event>: only reads the clock, the reference "empty tp_btf program reading the same
 *                  timestamps" that each collector's added cost is compared with;
 *  byname__<event>: a design the collector did not choose, measured next to it (slab: counters
 *                  keyed by the cache name copied per event, instead of by cache address). */
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
BENCH_PROBES(kmem_cache_alloc)
BENCH_PROBES(kmem_cache_free)
BENCH_PROBES(kmalloc)
BENCH_PROBES(kfree)
BENCH_PROBES(percpu_alloc_percpu)
BENCH_PROBES(percpu_free_percpu)
BENCH_PROBES(mm_page_alloc)
BENCH_PROBES(mm_page_free)
BENCH_PROBES(mm_page_free_batched)
BENCH_PROBES(contention_begin)
BENCH_PROBES(contention_end)

/* slab keyed by name: the name copied on every allocation, then a 48-byte key hashed. */
struct slab_name {
  char name[48];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 4096);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct slab_name);
  __type(value, __u64);
} by_name SEC(".maps");

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(byname__kmem_cache_alloc, unsigned long call_site, const void* ptr,
             struct kmem_cache* s) {
  static const __u64 zero;
  struct slab_name key = {};
  __u64* count;
  bpf_probe_read_kernel_str(key.name, sizeof key.name, BPF_CORE_READ(s, name));
  count = bpf_map_lookup_elem(&by_name, &key);
  if (!count) {
    bpf_map_update_elem(&by_name, &key, &zero, BPF_NOEXIST);
    count = bpf_map_lookup_elem(&by_name, &key);
  }
  if (count) (*count)++;
  return 0;
}
