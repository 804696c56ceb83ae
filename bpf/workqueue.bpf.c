/* Workqueue execution time and queue latency by work function (the book's workq.bt).
 *
 * One in-flight record per work item, keyed by its work_struct address, carries both times:
 * execute_start then needs one lookup instead of two (workq.bt keys executions by thread). A
 * work item never runs on two workers at once (workqueues are non-reentrant), so the key is
 * unambiguous while it runs, even if its function frees or requeues it. */
#include "ke_bpf.h"

struct work_times {
  __u64 queued_ns;  /* 0: not queued since its last start */
  __u64 started_ns; /* 0: not running */
  __u64 function;
};

KE_INFLIGHT_MAP(in_flight, __u64, struct work_times, 16384);

/* Histograms by work function address. */
KE_HIST_MAP(queue_latency, __u64, 2048);
KE_HIST_MAP(execution_time, __u64, 2048);

KE_INLINE void on_queue_work(struct work_struct* work) {
  __u64 key = (__u64)work;
  struct work_times* times = bpf_map_lookup_elem(&in_flight, &key);
  if (times) {
    times->queued_ns = bpf_ktime_get_ns();
  } else {
    struct work_times queued = {.queued_ns = bpf_ktime_get_ns()};
    ke_inflight_start(&in_flight, &key, &queued);
  }
}

/* Records are reset in place rather than deleted: an update in place costs no allocation. */
KE_INLINE void on_execute_start(struct work_struct* work) {
  __u64 key = (__u64)work;
  __u64 now = bpf_ktime_get_ns();
  __u64 function = (__u64)BPF_CORE_READ(work, func);
  struct work_times* times = bpf_map_lookup_elem(&in_flight, &key);

  if (!times) {
    struct work_times started = {.started_ns = now, .function = function};
    ke_inflight_start(&in_flight, &key, &started);
    return;
  }
  if (times->queued_ns && now > times->queued_ns)
    ke_hist_observe(&queue_latency, &function, now - times->queued_ns);
  times->queued_ns = 0;
  times->started_ns = now;
  times->function = function;
}

KE_INLINE void on_execute_end(struct work_struct* work) {
  __u64 key = (__u64)work;
  struct work_times* times = bpf_map_lookup_elem(&in_flight, &key);
  __u64 function, started;

  if (!times || !times->started_ns) return;
  started = times->started_ns;
  function = times->function;
  times->started_ns = 0;
  ke_hist_observe(&execution_time, &function, bpf_ktime_get_ns() - started);
}

KE_RAW_TRACEPOINT(queue_work, workqueue_queue_work, on_queue_work(work), int req_cpu,
                  struct pool_workqueue* pwq, struct work_struct* work)
KE_CLASSIC_TRACEPOINT(queue_work, workqueue, workqueue_queue_work,
                      struct trace_event_raw_workqueue_queue_work, on_queue_work(ctx->work))

KE_RAW_TRACEPOINT(execute_start, workqueue_execute_start, on_execute_start(work),
                  struct work_struct* work)
KE_CLASSIC_TRACEPOINT(execute_start, workqueue, workqueue_execute_start,
                      struct trace_event_raw_workqueue_execute_start, on_execute_start(ctx->work))

KE_RAW_TRACEPOINT(execute_end, workqueue_execute_end, on_execute_end(work),
                  struct work_struct* work)
KE_CLASSIC_TRACEPOINT(execute_end, workqueue, workqueue_execute_end,
                      struct trace_event_raw_workqueue_execute_end, on_execute_end(ctx->work))
