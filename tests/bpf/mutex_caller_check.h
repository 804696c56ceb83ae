/* What tests/bpf/mutex_pairing.bpf.c's caller checks record, shared with the test that reads
 * them (the skeleton declares the variables but not their type). */
#ifndef KE_MUTEX_CALLER_CHECK_H
#define KE_MUTEX_CALLER_CHECK_H

#include <linux/types.h>

#define CALLER_CHECK_FRAMES 16

/* Per hook: how often it ran for the test's thread, how often the kernel's stack trace showed
 * the traced function and how often the frame after it was the computed caller; the last trace
 * and caller, for the test's failure message. */
struct caller_check {
  __u64 runs;
  __u64 traced_function_found;
  __u64 agreed;
  __u64 caller;
  __u64 function_ip;
  __u64 stack[CALLER_CHECK_FRAMES];
};

#endif /* KE_MUTEX_CALLER_CHECK_H */
