/* Workqueue execution time and queue latency by work function (the book's workq.bt). */
#include "ke_bpf.h"

struct execution {
  __u64 start_ns; /* 0: nothing in flight */
  __u64 function;
};

/* When each work item was queued, by work_struct address. */
KE_INFLIGHT_MAP(queued_at, __u64, __u64, 16384);
/* The item each worker thread runs: a kworker runs one item at a time. */
KE_INFLIGHT_MAP(executing, __u32, struct execution, 4096);

/* Histograms by work function address. */
KE_HIST_MAP(queue_latency, __u64, 2048);
KE_HIST_MAP(execution_time, __u64, 2048);

KE_INLINE void on_queue_work(struct work_struct* work) {
  __u64 key = (__u64)work;
  __u64 now = bpf_ktime_get_ns();
  __u64* queued = bpf_map_lookup_elem(&queued_at, &key);
  if (queued)
    *queued = now;
  else
    ke_inflight_start(&queued_at, &key, &now);
}

/* Entries are reset in place rather than deleted: an update in place costs no allocation. */
KE_INLINE void on_execute_start(struct work_struct* work) {
  __u64 key = (__u64)work;
  __u64 now = bpf_ktime_get_ns();
  __u64 function = (__u64)BPF_CORE_READ(work, func);
  __u32 tid = ke_current_tid();
  __u64* queued = bpf_map_lookup_elem(&queued_at, &key);
  struct execution* running;

  if (queued && *queued) {
    if (now > *queued) ke_hist_observe(&queue_latency, &function, now - *queued);
    *queued = 0;
  }
  running = bpf_map_lookup_elem(&executing, &tid);
  if (running) {
    running->start_ns = now;
    running->function = function;
  } else {
    struct execution started = {.start_ns = now, .function = function};
    ke_inflight_start(&executing, &tid, &started);
  }
}

KE_INLINE void on_execute_end(void) {
  __u32 tid = ke_current_tid();
  struct execution* running = bpf_map_lookup_elem(&executing, &tid);
  __u64 function, now;

  if (!running || !running->start_ns) return;
  now = bpf_ktime_get_ns();
  function = running->function;
  ke_hist_observe(&execution_time, &function, now - running->start_ns);
  running->start_ns = 0;
}

KE_RAW_TRACEPOINT(queue_work, workqueue_queue_work, on_queue_work(work), int req_cpu,
                  struct pool_workqueue* pwq, struct work_struct* work)
KE_CLASSIC_TRACEPOINT(queue_work, workqueue, workqueue_queue_work,
                      struct trace_event_raw_workqueue_queue_work, on_queue_work(ctx->work))

KE_RAW_TRACEPOINT(execute_start, workqueue_execute_start, on_execute_start(work),
                  struct work_struct* work)
KE_CLASSIC_TRACEPOINT(execute_start, workqueue, workqueue_execute_start,
                      struct trace_event_raw_workqueue_execute_start,
                      on_execute_start(ctx->work))

KE_RAW_TRACEPOINT(execute_end, workqueue_execute_end, on_execute_end(), struct work_struct* work)
KE_CLASSIC_TRACEPOINT(execute_end, workqueue, workqueue_execute_end,
                      struct trace_event_raw_workqueue_execute_end, on_execute_end())
