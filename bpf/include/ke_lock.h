/* Layouts shared by bpf/lock.bpf.c and exporter/collectors/lock.cpp. */
#ifndef KE_LOCK_H
#define KE_LOCK_H

#include <linux/types.h>

#include "ke_stack.h"

/* lock:contention_begin flags (include/trace/events/lock.h). */
#define KE_LCB_F_SPIN (1U << 0)
#define KE_LCB_F_READ (1U << 1)
#define KE_LCB_F_WRITE (1U << 2)
#define KE_LCB_F_RT (1U << 3)
#define KE_LCB_F_PERCPU (1U << 4)
#define KE_LCB_F_MUTEX (1U << 5)

/* Histogram key: who waited (caller), for what kind of lock, and which lock when it is a named
 * global one (0 otherwise, and always 0 unless named locks are on). */
struct ke_lock_key {
  __u64 caller; /* return address in the caller; 0 when no caller was found */
  __u64 lock;
  __u32 flags;
  __u32 pad; /* zero: keys are compared as bytes */
};

/* Written by the exporter before load (read-only data of bpf/lock.bpf.c). */
struct ke_lock_config {
  /* The locking and scheduler text, [__lock_text_start, __lock_text_end) and
   * [__sched_text_start, __sched_text_end): frames the caller search walks through. */
  struct ke_address_range infrastructure[KE_STACK_RANGES];
  /* The kernel image's data and bss: a lock inside is a global one, identified by its address.
   * Empty unless named locks are on; heap locks are never inside, so the keys stay bounded. */
  struct ke_address_range global_data;
};

#endif /* KE_LOCK_H */
