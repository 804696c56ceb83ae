/* Test-only programs for the mutex collector (tests/live/mutex_test.cpp).
 *
 * The raw_tp programs run the collector's own pairing code (bpf/mutex.h) through
 * BPF_PROG_TEST_RUN, with the thread id, time, lock, caller and return value as arguments,
 * against in-flight maps of two entries each so that a full map is easy to reach.
 *
 * The fexit and kprobe/kretprobe programs check, where the kernel allows those hooks, that the
 * caller the collector computes cheaply at return (ke_function_caller) is the frame that the
 * kernel's own stack trace (bpf_get_stack) shows just after mutex_lock; they also tell the test
 * whether this kernel loads fentry programs and attaches kprobes at all. */
#define KE_MUTEX_CALLS 2
#define KE_MUTEX_HOLDS 2
#include "../../bpf/mutex.h"
#include "mutex_caller_check.h"

SEC("raw_tp")
int call_enter(__u64* ctx) {
  mutex_call_enter(ctx[0], ctx[1], ctx[2]); /* tid, now, lock */
  return 0;
}

SEC("raw_tp")
int lock_return(__u64* ctx) {
  mutex_lock_return(ctx[0], ctx[1], ctx[2], (int)ctx[3]); /* tid, now, caller, return value */
  return 0;
}

SEC("raw_tp")
int trylock_return(__u64* ctx) {
  mutex_trylock_return(ctx[0], ctx[1], ctx[2], (int)ctx[3]);
  return 0;
}

SEC("raw_tp")
int unlock_enter(__u64* ctx) {
  mutex_unlock_enter(ctx[0], ctx[1], ctx[2]); /* tid, now, lock */
  return 0;
}

SEC("raw_tp")
int task_exit(__u64* ctx) {
  mutex_task_exit(ctx[0]);
  return 0;
}

__u32 target_tid;
struct caller_check fexit_check, kretprobe_check;
__u64 kprobe_reference; /* the caller in the stack trace at the current call's entry */

/* The frame after the traced function in the kernel's stack trace from `ctx`; 0 if absent. */
KE_INLINE __u64 stack_trace_caller(void* ctx, struct caller_check* check) {
  int i;
  check->function_ip = bpf_get_func_ip(ctx);
  if (bpf_get_stack(ctx, check->stack, sizeof(check->stack), 0) <= 0) return 0;
  for (i = 0; i + 1 < CALLER_CHECK_FRAMES; i++)
    if (check->stack[i] > check->function_ip &&
        check->stack[i] - check->function_ip <= KE_FENTRY_CALL_SITE_BYTES)
      return check->stack[i + 1];
  return 0;
}

KE_INLINE void compare(struct caller_check* check, __u64 reference, __u64 caller) {
  check->runs++;
  check->caller = caller;
  if (!reference) return;
  check->traced_function_found++;
  if (reference == caller) check->agreed++;
}

SEC("fexit/mutex_lock")
int BPF_PROG(fexit_caller_check) {
  if (ke_current_tid() == target_tid)
    compare(&fexit_check, stack_trace_caller(ctx, &fexit_check), ke_function_caller(ctx));
  return 0;
}

/* At entry the stack trace still shows mutex_lock (the unwinder sees through the rethook
 * trampoline that kretprobes put in place of the return address); at return it no longer does. */
SEC("kprobe/mutex_lock")
int BPF_KPROBE(kprobe_caller_reference) {
  if (ke_current_tid() == target_tid) kprobe_reference = stack_trace_caller(ctx, &kretprobe_check);
  return 0;
}

SEC("kretprobe/mutex_lock")
int BPF_KRETPROBE(kretprobe_caller_check) {
  if (ke_current_tid() != target_tid) return 0;
  compare(&kretprobe_check, kprobe_reference, ke_function_caller(ctx));
  kprobe_reference = 0;
  return 0;
}
