/* The kernel-internal types our programs read, declared by hand instead of a vmlinux.h dumped
 * from the build host: the build then depends on no particular kernel, and CO-RE
 * (preserve_access_index) relocates every field access against the running kernel's BTF at
 * load time. Declare only the fields that are read. */
#ifndef KE_KERNEL_TYPES_H
#define KE_KERNEL_TYPES_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct work_struct {
  void* func;
};

struct tasklet_struct;
struct pool_workqueue;

/* The common header of every classic tracepoint record. */
struct trace_entry {
  unsigned short type;
  unsigned char flags;
  unsigned char preempt_count;
  int pid;
};

struct trace_event_raw_workqueue_queue_work {
  struct trace_entry ent;
  void* work;
  void* function;
};

struct trace_event_raw_workqueue_execute_start {
  struct trace_entry ent;
  void* work;
  void* function;
};

struct trace_event_raw_workqueue_execute_end {
  struct trace_entry ent;
  void* work;
  void* function;
};

struct trace_event_raw_softirq {
  struct trace_entry ent;
  unsigned int vec;
};

struct trace_event_raw_tasklet {
  struct trace_entry ent;
  void* tasklet;
  void* func;
};

#pragma clang attribute pop

#endif /* KE_KERNEL_TYPES_H */
