// Load averages and task counts (loads.bt). The averages come from the kernel's fixed-point
// avenrun at full precision when BPF can read it, else from /proc/loadavg (2 decimals).
#include <bpf/bpf.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "collectors/collector.hpp"
#include "loadavg.skel.h"
#include "log/log.hpp"
#include "metrics/families.hpp"

namespace ke::collectors {
namespace {

constexpr double kFixedOne = 1 << 11;  // FSHIFT: avenrun is fixed point with 11 fraction bits

struct ProcLoadavg {
  double loads[3];
  double runnable;
  double total;
};

// "0.52 0.58 0.59 2/1234 5678": three averages, runnable/total tasks, last pid.
ProcLoadavg read_proc_loadavg() {
  std::ifstream file("/proc/loadavg");
  ProcLoadavg result{};
  char slash = 0;
  if (!(file >> result.loads[0] >> result.loads[1] >> result.loads[2] >> result.runnable >> slash >>
        result.total) ||
      slash != '/')
    throw std::runtime_error("cannot parse /proc/loadavg");
  return result;
}

constexpr std::string_view kAvenrun[] = {"avenrun"};

class LoadavgCollector : public Collector {
 public:
  explicit LoadavgCollector(const Context& context) {
    const auto found = context.symbols.addresses_of(kAvenrun);
    if (found.empty()) {
      const std::string reason =
          "/proc/kallsyms does not list avenrun (a kernel without CONFIG_KALLSYMS_ALL)";
      log::info("loadavg: reading /proc/loadavg (2 decimals): avenrun is not readable by BPF",
                {{"reason", reason}});
      programs_ = {{"read_avenrun", "", {{std::string(bpf::kOnDemandHook), reason}}}};
      return;
    }
    const uint64_t address = found.begin()->second;
    try {
      skeleton_.emplace(bpf::Skeleton<loadavg_bpf>::load(
          KE_SKELETON_OPS(loadavg_bpf), "loadavg", context.loader,
          [address](loadavg_bpf* skeleton) { skeleton->rodata->avenrun_address = address; }));
      programs_ = skeleton_->programs();
    } catch (const bpf::LoadError& error) {
      log::info("loadavg: reading /proc/loadavg (2 decimals): avenrun is not readable by BPF",
                {{"reason", error.what()}});
      programs_ = error.programs();
    }
  }

  void collect(ScrapeOutput& out) override {
    ProcLoadavg proc = read_proc_loadavg();
    double loads[3] = {proc.loads[0], proc.loads[1], proc.loads[2]};
    if (skeleton_) read_avenrun(loads);
    static constexpr const char* kNames[3] = {"kernel_load1", "kernel_load5", "kernel_load15"};
    static constexpr const char* kHelps[3] = {
        "1-minute load average (runnable and uninterruptible tasks, exponentially damped).",
        "5-minute load average (runnable and uninterruptible tasks, exponentially damped).",
        "15-minute load average (runnable and uninterruptible tasks, exponentially damped)."};
    for (int i = 0; i < 3; ++i) {
      auto family = metrics::family(kNames[i], kHelps[i], metrics::MetricType::gauge);
      metrics::add_value(family, {}, loads[i]);
      out.families.push_back(std::move(family));
    }
    auto runnable = metrics::family("kernel_runnable_tasks",
                                    "Tasks currently running or waiting on a run queue.",
                                    metrics::MetricType::gauge);
    metrics::add_value(runnable, {}, proc.runnable);
    out.families.push_back(std::move(runnable));
    auto total = metrics::family("kernel_tasks", "Tasks (threads) that currently exist.",
                                 metrics::MetricType::gauge);
    metrics::add_value(total, {}, proc.total);
    out.families.push_back(std::move(total));
  }

  const std::vector<bpf::ProgramStatus>& programs() const override { return programs_; }

 private:
  void read_avenrun(double loads[3]) {
    LIBBPF_OPTS(bpf_test_run_opts, run);
    if (bpf_prog_test_run_opts(bpf_program__fd((*skeleton_)->progs.read_avenrun), &run) != 0)
      throw std::runtime_error("BPF_PROG_TEST_RUN of read_avenrun failed");
    for (int i = 0; i < 3; ++i) loads[i] = (*skeleton_)->bss->loads[i] / kFixedOne;
  }

  std::optional<bpf::Skeleton<loadavg_bpf>> skeleton_;
  std::vector<bpf::ProgramStatus> programs_;
};

}  // namespace

Descriptor loadavg_descriptor() {
  return {"loadavg",
          "Load averages and task counts",
          true,
          {},
          false,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<LoadavgCollector>(context);
          },
          {},
          kAvenrun};
}

}  // namespace ke::collectors
