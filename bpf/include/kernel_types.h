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

/* lock: contention tracepoints (5.19+). */
struct trace_event_raw_contention_begin {
  struct trace_entry ent;
  void* lock_addr;
  unsigned int flags;
};

struct trace_event_raw_contention_end {
  struct trace_entry ent;
  void* lock_addr;
};

/* slab: the cache an object comes from (6.1+ kmem tracepoints pass it). */
struct kmem_cache {
  unsigned int size; /* object size including metadata: the tracepoints' bytes_alloc */
  const char* name;
};

struct trace_event_raw_kmem_cache_alloc {
  struct trace_entry ent;
  unsigned long call_site;
  const void* ptr;
  __u32 __data_loc_name; /* offset (low 16 bits) of the name string in the record */
  __u64 bytes_alloc;
};

struct trace_event_raw_kmem_cache_free {
  struct trace_entry ent;
  const void* ptr;
  __u32 __data_loc_name;
};

struct trace_event_raw_kmalloc {
  struct trace_entry ent;
  unsigned long call_site;
  const void* ptr;
  __u64 bytes_alloc;
};

struct trace_event_raw_kfree {
  struct trace_entry ent;
  const void* ptr;
};

/* numa: page migration calls. */
struct trace_event_raw_mm_migrate_pages_start {
  struct trace_entry ent;
  int reason;
};

enum migrate_reason { MR_NUMA_MISPLACED = 5 };

struct trace_event_raw_mm_migrate_pages {
  struct trace_entry ent;
  unsigned long succeeded;
  unsigned long failed;
  unsigned long large_folio_split; /* not in 6.1: shifts mode and reason one argument on */
  int reason;
};

/* memleak: per-CPU and page allocations. */
struct trace_event_raw_percpu_alloc_percpu {
  struct trace_entry ent;
  unsigned long call_site; /* 5.19+ */
  void* ptr;
  __u64 bytes_alloc;
};

struct trace_event_raw_percpu_free_percpu {
  struct trace_entry ent;
  void* ptr;
};

struct trace_event_raw_mm_page_alloc {
  struct trace_entry ent;
  unsigned long pfn; /* -1 when the allocation failed */
  unsigned int order;
  int migratetype;
};

struct trace_event_raw_mm_page_free {
  struct trace_entry ent;
  unsigned long pfn;
};

struct trace_event_raw_mm_page_free_batched {
  struct trace_entry ent;
  unsigned long pfn;
};

enum migratetype { MIGRATE_MOVABLE = 1 };

struct task_struct;

#pragma clang attribute pop

#endif /* KE_KERNEL_TYPES_H */
