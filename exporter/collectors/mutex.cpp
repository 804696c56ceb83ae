// Mutex acquire latency and hold time by caller (mlock.bt, mheld.bt, klockstat).
#include "collectors/bpf_collector.hpp"
#include "mutex.skel.h"

namespace ke::collectors {
namespace {

// Cleans up after missed returns (bpf/mutex.h) but measures nothing by itself.
constexpr std::string_view kHousekeepingSlot = "task_exit";

class MutexCollector : public BpfCollector<mutex_bpf> {
 public:
  explicit MutexCollector(const Context& context)
      : BpfCollector(KE_SKELETON_OPS(mutex_bpf), "mutex", context),
        symbols_(context.symbols),
        acquire_("kernel_mutex_acquire_seconds",
                 "Time from a mutex_lock call (or its interruptible or killable variant) to its "
                 "return holding the mutex, by the function that called it.",
                 {"caller"}, context.config),
        hold_("kernel_mutex_hold_seconds",
              "Time a mutex was held, from its acquisition (mutex_lock or a successful "
              "mutex_trylock) to its mutex_unlock, by the function that acquired it.",
              {"caller"}, context.config) {
    require_a_lock_hook();
  }

  void collect(ScrapeOutput& out) override {
    emit(acquire_,
         read_function_histograms(bpf_map__fd(skeleton_->maps.acquire_time), schema_, symbols_),
         out);
    emit(hold_, read_function_histograms(bpf_map__fd(skeleton_->maps.hold_time), schema_, symbols_),
         out);
    emit_drops(out);
  }

 private:
  // The loader succeeds as soon as one slot attaches, and the housekeeping slot attaches
  // wherever raw tracepoints work. Alone it would make a collector that is up and never
  // measures anything: report it unavailable instead, with the lock hooks' refusals.
  void require_a_lock_hook() const {
    std::vector<bpf::ProgramStatus> programs = skeleton_.programs();
    for (const bpf::ProgramStatus& program : programs)
      if (program.attached() && program.slot != kHousekeepingSlot) return;
    for (bpf::ProgramStatus& program : programs) {
      if (program.slot != kHousekeepingSlot || !program.attached()) continue;
      program.failures.push_back({program.hook, "detached: no mutex function could be hooked"});
      program.hook.clear();
    }
    throw bpf::LoadError("mutex: no mutex function could be hooked (fentry and kprobe refused)",
                         std::move(programs));
  }

  symbols::KernelSymbols& symbols_;
  metrics::HistogramMetric acquire_;
  metrics::HistogramMetric hold_;
};

}  // namespace

Descriptor mutex_descriptor() {
  return {"mutex",
          "Mutex acquire latency and hold time by caller",
          false,  // hooks every mutex_lock/unlock in the kernel: see docs/performance.md
          {"caller"},
          true,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<MutexCollector>(context);
          }};
}

}  // namespace ke::collectors
