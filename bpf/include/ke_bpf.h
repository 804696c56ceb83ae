/* Shared BPF helpers: histogram maps, in-flight start times, drop counters and the macros that
 * give each program slot its hook variants. Every bpf/<collector>.bpf.c includes this once. */
#ifndef KE_BPF_H
#define KE_BPF_H

/* uapi types first: libbpf's helper headers use them. */
#include <linux/types.h>

#include <linux/bpf.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ke_drops.h"
#include "ke_hist.h"
#include "kernel_types.h"

char LICENSE[] SEC("license") = "GPL";

/* Events the program had to drop, by enum ke_drop_reason; summed over CPUs by the exporter. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KE_DROP_REASONS);
  __type(key, __u32);
  __type(value, __u64);
} ke_drops SEC(".maps");

KE_INLINE void ke_count_drop(__u32 reason) {
  __u64* count = bpf_map_lookup_elem(&ke_drops, &reason);
  if (count) (*count)++;
}

/* Bucketing configuration, written by the exporter before load. */
const volatile struct ke_hist_config ke_hist_config SEC(".rodata.ke_hist");

/* Histogram maps: per-CPU, bounded to `entries` label keys. Declared by size rather than by
 * BTF type: the exporter shrinks value_size to the configured schema before load, and it
 * recognises these maps by their declared value size (exporter/bpf/histogram_maps.hpp).
 * Hash maps allocate on insert, so memory follows the label keys actually seen. */
#define KE_HIST_MAP(name, key_type, entries)    \
  struct {                                      \
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);     \
    __uint(max_entries, entries);               \
    __uint(map_flags, BPF_F_NO_PREALLOC);       \
    __uint(key_size, sizeof(key_type));         \
    __uint(value_size, sizeof(struct ke_hist)); \
  } name SEC(".maps")

/* A histogram per index 0..entries-1 (small dense keys such as softirq vectors). */
#define KE_HIST_ARRAY(name, entries)            \
  struct {                                      \
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);    \
    __uint(max_entries, entries);               \
    __uint(key_size, sizeof(__u32));            \
    __uint(value_size, sizeof(struct ke_hist)); \
  } name SEC(".maps")

/* Start times of operations in flight. LRU, so that entries whose end never comes (a cancelled
 * work item, a task that exited mid-wait) age out instead of filling the map. */
#define KE_INFLIGHT_MAP(name, key_type, value_type, entries) \
  struct {                                                   \
    __uint(type, BPF_MAP_TYPE_LRU_HASH);                     \
    __uint(max_entries, entries);                            \
    __type(key, key_type);                                   \
    __type(value, value_type);                               \
  } name SEC(".maps")

static const struct ke_hist ke_zero_hist;

KE_INLINE void ke_hist_add(struct ke_hist* hist, __u64 ns) {
  __u64 slot = ke_hist_slot_schema(ns, &ke_hist_config);
  KE_BARRIER_VAR(slot);
  /* The map value holds slot_count slots: the verifier knows this read-only bound. */
  if (slot >= ke_hist_config.slot_count || slot >= KE_HIST_MAX_SLOTS) return;
  hist->slots[slot]++;
  hist->sum_ns += ns;
}

/* Adds one duration to the histogram of `key`, creating it; a full map counts a drop. */
KE_INLINE void ke_hist_observe(void* map, const void* key, __u64 ns) {
  struct ke_hist* hist = bpf_map_lookup_elem(map, key);
  if (!hist) {
    /* NOEXIST: another CPU may have created it meanwhile; only a full map leaves it absent. */
    bpf_map_update_elem(map, key, &ke_zero_hist, BPF_NOEXIST);
    hist = bpf_map_lookup_elem(map, key);
    if (!hist) {
      ke_count_drop(KE_DROP_HIST_MAP_FULL);
      return;
    }
  }
  ke_hist_add(hist, ns);
}

/* Stores a start record; a full map (only possible for non-LRU maps) counts a drop. */
KE_INLINE void ke_inflight_start(void* map, const void* key, const void* value) {
  if (bpf_map_update_elem(map, key, value, BPF_ANY)) ke_count_drop(KE_DROP_INFLIGHT_MAP_FULL);
}

KE_INLINE __u32 ke_current_tid(void) {
  return (__u32)bpf_get_current_pid_tgid();
}

/* Defines the tp_btf and raw_tp variants of program slot `slot` on raw tracepoint `event`,
 * both calling `call` with the tracepoint's typed arguments (the trailing parameter list).
 * The exporter loads the first variant the kernel accepts (see exporter/bpf/loader.hpp). */
#define KE_RAW_TRACEPOINT(slot, event, call, ...)                     \
  SEC("tp_btf/" #event) int BPF_PROG(slot##__tp_btf, ##__VA_ARGS__) { \
    call;                                                             \
    return 0;                                                         \
  }                                                                   \
  SEC("raw_tp/" #event) int BPF_PROG(slot##__raw_tp, ##__VA_ARGS__) { \
    call;                                                             \
    return 0;                                                         \
  }

/* The classic tracepoint variant of `slot`, for kernels without raw tracepoint support;
 * `ctx` is the tracepoint's record (struct trace_event_raw_<...>). */
#define KE_CLASSIC_TRACEPOINT(slot, category, event, record_type, call) \
  SEC("tracepoint/" #category "/" #event)                               \
  int slot##__tracepoint(record_type* ctx) {                            \
    call;                                                               \
    return 0;                                                           \
  }

#endif /* KE_BPF_H */
