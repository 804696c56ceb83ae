/* Log2 histogram bucketing shared by every BPF program and by the exporter (host C/C++).
 *
 * Buckets are exact powers of two of seconds: finite bucket k holds durations d with
 * 2^(k-31) s < d <= 2^(k-30) s, i.e. ceil-log2 bucketing in units of 2^-30 s, so that a value
 * equal to an upper bound is counted in that bucket (Prometheus `le` semantics and native
 * histogram schema 0 alike). Durations arrive in nanoseconds; instead of converting each one
 * (two 64-bit divisions), the bucket is found by comparing the nanosecond value with the
 * bound floor(2^(k-30) * 10^9), which is exact because the nanosecond value is an integer.
 */
#ifndef KE_HIST_H
#define KE_HIST_H

#include <linux/types.h>

/* Finite buckets k = 0..KE_HIST_MAX_EXP: upper bound 2^(k - KE_HIST_UNIT_SHIFT) seconds. */
#define KE_HIST_UNIT_SHIFT 30
#define KE_HIST_MAX_EXP 40
/* Slot layout: [0] zero, [1 + k] finite bucket k, [KE_HIST_OVERFLOW_SLOT] beyond the top. */
#define KE_HIST_ZERO_SLOT 0
#define KE_HIST_OVERFLOW_SLOT (KE_HIST_MAX_EXP + 2)
#define KE_HIST_SLOTS (KE_HIST_MAX_EXP + 3)

struct ke_hist {
  __u64 slots[KE_HIST_SLOTS];
  __u64 sum_ns;
};

#ifndef KE_INLINE
#define KE_INLINE static inline __attribute__((always_inline))
#endif

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

/* floor(2^(k-30) * 10^9): the largest nanosecond value inside finite bucket k (k <= 63). */
KE_INLINE __u64 ke_hist_bound_ns(__u32 k) {
  const __u64 ns_per_s = 1000000000ULL;
  return k >= KE_HIST_UNIT_SHIFT ? ns_per_s << (k - KE_HIST_UNIT_SHIFT)
                                 : (ns_per_s << k) >> KE_HIST_UNIT_SHIFT;
}

/* The slot of a duration in nanoseconds. The bound of bucket k is 0.93 * 2^k ns, so the
 * answer is ceil(log2(ns)) or the next bucket: one compare settles it. */
KE_INLINE __u32 ke_hist_slot(__u64 ns) {
  __u32 k;
  if (ns == 0) return KE_HIST_ZERO_SLOT;
  k = ke_ceil_log2(ns);
  if (k > KE_HIST_MAX_EXP) return KE_HIST_OVERFLOW_SLOT;
  if (ns > ke_hist_bound_ns(k)) k++;
  return k > KE_HIST_MAX_EXP ? KE_HIST_OVERFLOW_SLOT : 1 + k;
}

#endif /* KE_HIST_H */
