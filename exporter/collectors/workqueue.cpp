// Workqueue execution time and queue latency by work function (workq.bt).
#include "collectors/bpf_collector.hpp"
#include "workqueue.skel.h"

namespace ke::collectors {
namespace {

class WorkqueueCollector : public BpfCollector<workqueue_bpf> {
 public:
  explicit WorkqueueCollector(const Context& context)
      : BpfCollector(KE_SKELETON_OPS(workqueue_bpf), "workqueue", context),
        symbols_(context.symbols),
        execution_("kernel_workqueue_execution_seconds",
                   "Time a work item's function ran, by work function.", {"function"},
                   context.config),
        queue_latency_("kernel_workqueue_queue_latency_seconds",
                       "Time from queueing a work item to the start of its execution, by work "
                       "function.",
                       {"function"}, context.config) {}

  void collect(ScrapeOutput& out) override {
    emit(execution_,
         read_function_histograms(bpf_map__fd(skeleton_->maps.execution_time), schema_, symbols_),
         out);
    emit(queue_latency_,
         read_function_histograms(bpf_map__fd(skeleton_->maps.queue_latency), schema_, symbols_),
         out);
    emit_drops(out);
  }

 private:
  symbols::KernelSymbols& symbols_;
  metrics::HistogramMetric execution_;
  metrics::HistogramMetric queue_latency_;
};

}  // namespace

Descriptor workqueue_descriptor() {
  return {"workqueue",
          "Workqueue execution time and queue latency by work function",
          true,
          {"function"},
          true,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<WorkqueueCollector>(context);
          }};
}

}  // namespace ke::collectors
