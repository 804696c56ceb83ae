// Softirq execution time by vector and tasklet execution time by function.
#include "collectors/bpf_collector.hpp"
#include "softirq.skel.h"

namespace ke::collectors {
namespace {

// The kernel's softirq vector numbers (enum in include/linux/interrupt.h, NR_SOFTIRQS = 10).
constexpr std::string_view kSoftirqVectors[] = {"hi",       "timer",   "net_tx", "net_rx",  "block",
                                                "irq_poll", "tasklet", "sched",  "hrtimer", "rcu"};

class SoftirqCollector : public BpfCollector<softirq_bpf> {
 public:
  explicit SoftirqCollector(const Context& context)
      : BpfCollector(KE_SKELETON_OPS(softirq_bpf), "softirq", context),
        symbols_(context.symbols),
        softirq_("kernel_softirq_execution_seconds",
                 "Time a softirq handler ran, by softirq vector.", {"vector"}, context.config),
        tasklet_("kernel_tasklet_execution_seconds", "Time a tasklet ran, by tasklet function.",
                 {"function"}, context.config) {}

  void collect(ScrapeOutput& out) override {
    emit(softirq_,
         read_indexed_histograms(bpf_map__fd(skeleton_->maps.softirq_time), schema_,
                                 kSoftirqVectors),
         out);
    emit(tasklet_,
         read_function_histograms(bpf_map__fd(skeleton_->maps.tasklet_time), schema_, symbols_),
         out);
    emit_drops(out);
  }

 private:
  symbols::KernelSymbols& symbols_;
  metrics::HistogramMetric softirq_;
  metrics::HistogramMetric tasklet_;
};

}  // namespace

Descriptor softirq_descriptor() {
  return {"softirq",
          "Softirq execution time by vector and tasklet execution time by function",
          true,
          {"vector", "function"},
          true,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<SoftirqCollector>(context);
          }};
}

}  // namespace ke::collectors
