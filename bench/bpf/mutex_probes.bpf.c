/* Benchmark-only programs for the mutex collector (bench/mutex_cost.cpp):
 *  stamp_*: the hooks the collector puts on the functions a pipe round trip calls (entry and
 *           return of mutex_lock, entry of mutex_unlock), in both hook families, each only
 *           reading the clock: the least that any latency tool hooking these functions pays;
 *  pairing_*: the collector's pairing code (bpf/mutex.h) for one lock and unlock, run by
 *           BPF_PROG_TEST_RUN, which works wherever raw tracepoints do: the same BPF work timed
 *           on the host at native speed and under qemu gives emulation's slowdown factor. */
#include "../../bpf/mutex.h"

KE_FUNCTION_ENTRY(stamp_lock, mutex_lock, bpf_ktime_get_ns())
KE_FUNCTION_EXIT(stamp_lock_return, mutex_lock, bpf_ktime_get_ns())
KE_FUNCTION_ENTRY(stamp_unlock, mutex_unlock, bpf_ktime_get_ns())

/* Arguments: thread id, lock address, caller address (all made up). */
SEC("raw_tp")
int pairing_enter(__u64* ctx) {
  mutex_call_enter(ctx[0], bpf_ktime_get_ns(), ctx[1]);
  return 0;
}

SEC("raw_tp")
int pairing_return(__u64* ctx) {
  mutex_lock_return(ctx[0], bpf_ktime_get_ns(), ctx[2], 0);
  return 0;
}

SEC("raw_tp")
int pairing_unlock(__u64* ctx) {
  mutex_unlock_enter(ctx[0], bpf_ktime_get_ns(), ctx[1]);
  return 0;
}
