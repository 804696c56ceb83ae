/* Log2 histogram bucketing shared by every BPF program and by the exporter (host C/C++).
 *
 * Buckets are exact powers of two of seconds, subdivided 2^schema times (Prometheus native
 * histogram schemas 0..3). Relative bucket r >= 1 holds durations d with
 *   2^((r-1)/2^s) < d / 2^-30 s <= 2^(r/2^s),
 * so that a value equal to an upper bound is counted in that bucket (Prometheus `le`
 * semantics; native index = r - 30 * 2^s). Durations arrive in nanoseconds; rather than
 * converting each one (divisions), the bucket is found by comparing the nanosecond value with
 * the bound floor(2^(r/2^s - 30) * 10^9), which is exact because the nanosecond value is an
 * integer. Schema 0 bounds have a closed form; finer schemas read a table of bounds that the
 * exporter computes with 113-bit precision and writes before load.
 */
#ifndef KE_HIST_H
#define KE_HIST_H

#include <linux/types.h>

/* Schema-0 buckets k = 0..KE_HIST_MAX_EXP: upper bound 2^(k - KE_HIST_UNIT_SHIFT) seconds. */
#define KE_HIST_UNIT_SHIFT 30
#define KE_HIST_MAX_EXP 40
#define KE_HIST_MAX_SCHEMA 3
/* Largest relative bucket of a schema: KE_HIST_MAX_EXP << schema. */
#define KE_HIST_MAX_REL(schema) (KE_HIST_MAX_EXP << (schema))
/* Slot layout: [0] zero, [1 + r] bucket r (r = 0..MAX_REL), then one overflow slot. */
#define KE_HIST_ZERO_SLOT 0
#define KE_HIST_SLOT_COUNT(schema) (KE_HIST_MAX_REL(schema) + 3)
#define KE_HIST_OVERFLOW_SLOT(schema) (KE_HIST_MAX_REL(schema) + 2)
#define KE_HIST_MAX_SLOTS KE_HIST_SLOT_COUNT(KE_HIST_MAX_SCHEMA)

/* A histogram map value. Maps are created with value_size = ke_hist_value_size(schema): only
 * the slots of the configured schema exist. */
struct ke_hist {
  __u64 sum_ns;
  __u64 slots[KE_HIST_MAX_SLOTS];
};

/* Written by the exporter before load (section .rodata.ke_hist, read-only to programs). */
struct ke_hist_config {
  __u32 schema;
  __u32 slot_count;
  __u64 bounds_ns[KE_HIST_MAX_REL(KE_HIST_MAX_SCHEMA) + 1]; /* bound of bucket r, in ns */
};

#ifndef KE_INLINE
#define KE_INLINE static inline __attribute__((always_inline))
#endif

/* Keeps a bounds-checked index in one register for the check and the access: otherwise clang
 * may zero-extend a 32-bit value into two copies, and the verifier does not carry the bound from
 * one to the other. A no-op on the host. */
#ifdef __bpf__
#define KE_BARRIER_VAR(var) asm volatile("" : "=r"(var) : "0"(var))
#else
#define KE_BARRIER_VAR(var) (void)(var)
#endif

KE_INLINE __u32 ke_hist_value_size(__u32 schema) {
  return (__u32)(sizeof(__u64) * (1 + KE_HIST_SLOT_COUNT(schema)));
}

/* floor(log2(v)) for v >= 1 with shifts and compares: clang 14 crashes on __builtin_clzll for
 * the BPF target. */
KE_INLINE __u32 ke_floor_log2(__u64 v) {
  __u32 r, shift;
  r = (v > 0xFFFFFFFFULL) << 5;
  v >>= r;
  shift = (v > 0xFFFF) << 4;
  v >>= shift;
  r |= shift;
  shift = (v > 0xFF) << 3;
  v >>= shift;
  r |= shift;
  shift = (v > 0xF) << 2;
  v >>= shift;
  r |= shift;
  shift = (v > 0x3) << 1;
  v >>= shift;
  r |= shift;
  return r | (__u32)(v >> 1);
}

/* ceil(log2(v)) for v >= 1. */
KE_INLINE __u32 ke_ceil_log2(__u64 v) {
  return v <= 1 ? 0 : ke_floor_log2(v - 1) + 1;
}

/* floor(2^(k-30) * 10^9): the largest nanosecond value inside schema-0 bucket k (k <= 63). */
KE_INLINE __u64 ke_hist_bound_ns(__u32 k) {
  const __u64 ns_per_s = 1000000000ULL;
  return k >= KE_HIST_UNIT_SHIFT ? ns_per_s << (k - KE_HIST_UNIT_SHIFT)
                                 : (ns_per_s << k) >> KE_HIST_UNIT_SHIFT;
}

/* The schema-0 bucket of ns >= 1, or KE_HIST_MAX_EXP + 1 beyond the top. The bound of bucket
 * k is 0.93 * 2^k ns, so the answer is ceil(log2(ns)) or the next bucket: one compare. */
KE_INLINE __u32 ke_hist_power_bucket(__u64 ns) {
  __u32 k = ke_ceil_log2(ns);
  if (k > KE_HIST_MAX_EXP) return KE_HIST_MAX_EXP + 1;
  return ns > ke_hist_bound_ns(k) ? k + 1 : k;
}

/* The schema-0 slot of a duration in nanoseconds. */
KE_INLINE __u32 ke_hist_slot(__u64 ns) {
  __u32 k;
  if (ns == 0) return KE_HIST_ZERO_SLOT;
  k = ke_hist_power_bucket(ns);
  return k > KE_HIST_MAX_EXP ? KE_HIST_OVERFLOW_SLOT(0) : 1 + k;
}

/* The slot of a duration for config->schema: the power-of-two bucket k first, then the first
 * of its 2^schema sub-buckets whose bound holds ns (the last one always does). */
KE_INLINE __u32 ke_hist_slot_schema(__u64 ns, const volatile struct ke_hist_config* config) {
  __u32 schema = config->schema, k, j;
  __u64 r, bound;
  if (schema == 0 || ns == 0) return ke_hist_slot(ns);
  if (schema > KE_HIST_MAX_SCHEMA) return KE_HIST_ZERO_SLOT;
  k = ke_hist_power_bucket(ns);
  if (k > KE_HIST_MAX_EXP) return KE_HIST_OVERFLOW_SLOT(schema);
  if (k == 0) return 1;
  r = (__u64)(k - 1) << schema;
  for (j = 1; j < (1u << KE_HIST_MAX_SCHEMA); j++) {
    if (j >= (1u << schema)) break;
    bound = r + j;
    KE_BARRIER_VAR(bound);
    if (bound > KE_HIST_MAX_REL(KE_HIST_MAX_SCHEMA)) break;
    if (ns <= config->bounds_ns[bound]) break;
  }
  return (__u32)(1 + r + j);
}

#endif /* KE_HIST_H */
