/* Shared BPF helpers: histogram maps, in-flight start times, drop counters and the macros that
 * give each program slot its hook variants. Every bpf/<collector>.bpf.c includes this once. */
#ifndef KE_BPF_H
#define KE_BPF_H

/* uapi types first: libbpf's helper headers use them. */
#include <linux/types.h>

#include <linux/bpf.h>
#include <linux/ptrace.h> /* struct pt_regs, the context of kprobes */

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

/* Counters by label key: per-CPU, so that the hot path needs no atomics; `value_type` is a
 * struct of __u64 counters, summed over CPUs at scrape time (exporter/bpf/maps.hpp). Not
 * preallocated: memory follows the label keys actually seen. */
#define KE_COUNTER_MAP(name, key_type, value_type, entries) \
  struct {                                                  \
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);                 \
    __uint(max_entries, entries);                           \
    __uint(map_flags, BPF_F_NO_PREALLOC);                   \
    __type(key, key_type);                                  \
    __type(value, value_type);                              \
  } name SEC(".maps")

/* The counters of `key` on this CPU, created zeroed (setting *created) when absent; null, with a
 * drop counted, when the map is full. */
KE_INLINE void* ke_counters_of(void* map, const void* key, const void* zero, int* created) {
  void* counters = bpf_map_lookup_elem(map, key);
  if (counters) return counters;
  /* NOEXIST: another CPU may have created it meanwhile; only a full map leaves it absent. */
  *created = bpf_map_update_elem(map, key, zero, BPF_NOEXIST) == 0;
  counters = bpf_map_lookup_elem(map, key);
  if (!counters) ke_count_drop(KE_DROP_COUNTER_MAP_FULL);
  return counters;
}

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

/* Kernel functions without a tracepoint are hooked at entry by fentry (preferred: a direct call
 * from the function's patched first instruction) or kprobe, and at return by fexit or kretprobe.
 * `call` is the same code in both variants of a slot. */

/* Defines the fentry and kprobe variants of program slot `slot` on entry to kernel function
 * `func`, both calling `call` with the function's arguments (the trailing parameter list). */
#define KE_FUNCTION_ENTRY(slot, func, call, ...)                       \
  SEC("fentry/" #func) int BPF_PROG(slot##__fentry, ##__VA_ARGS__) {   \
    call;                                                              \
    return 0;                                                          \
  }                                                                    \
  SEC("kprobe/" #func) int BPF_KPROBE(slot##__kprobe, ##__VA_ARGS__) { \
    call;                                                              \
    return 0;                                                          \
  }

/* Defines the fexit and kretprobe variants of `slot` on return from `func`. A kretprobe cannot
 * see the function's arguments, so `call` gets none (record what it needs at entry); it reads the
 * return value and the caller through ke_function_return(ctx) and ke_function_caller(ctx), which
 * dispatch on the type of `ctx`. */
#define KE_FUNCTION_EXIT(slot, func, call)                       \
  SEC("fexit/" #func) int BPF_PROG(slot##__fexit) {              \
    call;                                                        \
    return 0;                                                    \
  }                                                              \
  SEC("kretprobe/" #func) int BPF_KRETPROBE(slot##__kretprobe) { \
    call;                                                        \
    return 0;                                                    \
  }

/* The hooked function's return value (a u64: cast it to the function's type, since a kretprobe
 * sees the whole register of which an int return value sets only the lower half). */
#define ke_function_return(ctx) \
  _Generic((ctx), struct pt_regs * : ke_kretprobe_return, default : ke_fexit_return)(ctx)

/* Where the hooked function was called from, at its return: the return address into its caller
 * (the exporter names the function containing it); 0 when unknown. Not offered at a kprobe on
 * entry: the return address on top of the stack is there replaced by the rethook trampoline's as
 * soon as any kretprobe on the same function (ours, for one) has run its entry handler. */
#define ke_function_caller(ctx) \
  _Generic((ctx), struct pt_regs * : ke_kretprobe_caller, default : ke_trampoline_caller)(ctx)

KE_INLINE __u64 ke_kretprobe_return(struct pt_regs* ctx) {
  return PT_REGS_RC(ctx);
}

KE_INLINE __u64 ke_fexit_return(unsigned long long* ctx) {
  __u64 value = 0;
  bpf_get_func_ret(ctx, &value);
  return value;
}

/* The kretprobe handler runs with the instruction pointer set to the real return address, which
 * the rethook trampoline has just recovered (kernels since 5.15). */
KE_INLINE __u64 ke_kretprobe_caller(struct pt_regs* ctx) {
  return PT_REGS_IP(ctx);
}

/* Words of the BPF trampoline's frame searched for the return address into the traced function:
 * enough for six register arguments, the return value slot and the saved frame pointer. */
#define KE_TRAMPOLINE_SCAN_WORDS 10
/* The traced function's return address lies this close after bpf_get_func_ip(): past the
 * patched 5-byte call and an optional 4-byte endbr64. */
#define KE_FENTRY_CALL_SITE_BYTES 16

/* fentry/fexit: the BPF trampoline is entered by the call patched into the traced function's
 * first instruction, before the function touched the stack, and it stores the program's context
 * (the arguments) below its own frame. So, going up from ctx: the arguments, the return value
 * slot, the saved frame pointer, the return address into the traced function, then the return
 * address into its caller; the same in fentry and fexit programs. The x86-64 trampoline has kept
 * this order since it appeared (5.5); the word into the traced function is recognised by value
 * (a few bytes after bpf_get_func_ip(), which the trampoline derives from that very word), so
 * another layout yields 0, not a wrong caller. Checked against the kernel's own stack trace
 * (bpf_get_stack) on Debian's 6.1 by tests/live/mutex_test.cpp; one read instead of a stack walk
 * (~1 us). */
KE_INLINE __u64 ke_trampoline_caller(unsigned long long* ctx) {
#ifdef __TARGET_ARCH_x86
  __u64 words[KE_TRAMPOLINE_SCAN_WORDS];
  __u64 func = bpf_get_func_ip(ctx);
  int i;
  if (bpf_probe_read_kernel(words, sizeof(words), ctx)) return 0;
  for (i = 0; i + 1 < KE_TRAMPOLINE_SCAN_WORDS; i++)
    if (words[i] > func && words[i] - func <= KE_FENTRY_CALL_SITE_BYTES) return words[i + 1];
#endif
  return 0; /* other architectures lay their trampolines out differently: unknown */
}

#endif /* KE_BPF_H */
