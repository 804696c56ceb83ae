// Each collector loaded and attached for real, driven by a workload, checked against ground
// truth: a count the test controls, /proc/softirqs, /proc/loadavg.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <bpf/bpf.h>

#include "bpf/histogram_maps.hpp"
#include "collectors/bpf_collector.hpp"
#include "softirq.skel.h"
#include "test_support.hpp"
#include "workloads.hpp"

namespace ke::test {
namespace {

using Families = std::vector<metrics::Family>;

class LiveCollector {
 public:
  LiveCollector(std::string_view name, const std::string& disabled_hooks = "")
      : config_(default_collector_config(name)) {
    for (size_t start = 0; start < disabled_hooks.size();) {
      size_t comma = disabled_hooks.find(',', start);
      if (comma == std::string::npos) comma = disabled_hooks.size();
      loader_.disabled_hooks.insert(disabled_hooks.substr(start, comma - start));
      start = comma + 1;
    }
    for (const auto& descriptor : collectors::all())
      if (descriptor.name == name) collector_ = descriptor.create({config_, loader_, symbols_});
  }

  Families collect() {
    collectors::ScrapeOutput out;
    collector_->collect(out);
    return std::move(out.families);
  }

  const std::vector<bpf::ProgramStatus>& programs() const { return collector_->programs(); }

 private:
  config::CollectorConfig config_;
  bpf::LoaderOptions loader_;
  symbols::KernelSymbols symbols_;
  std::unique_ptr<collectors::Collector> collector_;
};

// Each hook of the fallback chain, forced by disabling the ones before it.
class WorkqueueLive : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
 protected:
  void SetUp() override { KE_REQUIRE_LIVE_ENVIRONMENT(); }
};

TEST_P(WorkqueueLive, CountsEveryFlushToLdiscOfAPtyWorkload) {
  const auto& [disabled, expected_hook] = GetParam();
  if (expected_hook == "tracepoint") ensure_tracefs();
  LiveCollector collector("workqueue", disabled);
  for (const auto& program : collector.programs()) {
    EXPECT_EQ(program.hook, expected_hook) << program.slot;
  }
  const metrics::Labels labels = {{"function", "flush_to_ldisc"}};
  constexpr int kRoundTrips = 500;
  uint64_t executions_before =
      histogram_count(collector.collect(), "kernel_workqueue_execution_seconds", labels);
  uint64_t latencies_before =
      histogram_count(collector.collect(), "kernel_workqueue_queue_latency_seconds", labels);
  pty_round_trips(kRoundTrips);
  Families after = collector.collect();
  EXPECT_GE(
      histogram_count(after, "kernel_workqueue_execution_seconds", labels) - executions_before,
      static_cast<uint64_t>(kRoundTrips));
  EXPECT_GE(
      histogram_count(after, "kernel_workqueue_queue_latency_seconds", labels) - latencies_before,
      static_cast<uint64_t>(kRoundTrips));
}

INSTANTIATE_TEST_SUITE_P(Hooks, WorkqueueLive,
                         ::testing::Values(std::pair{"", "tp_btf"}, std::pair{"tp_btf", "raw_tp"},
                                           std::pair{"tp_btf,raw_tp", "tracepoint"}),
                         [](const auto& info) { return info.param.second; });

TEST(WorkqueueLiveVmstat, VmstatUpdateShowsUp) {
  KE_REQUIRE_LIVE_ENVIRONMENT();
  LiveCollector collector("workqueue");
  // vmstat_update runs every second on CPUs with pending statistics; dirty some.
  for (int attempt = 0; attempt < 50; ++attempt) {
    pty_round_trips(10);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (histogram_count(collector.collect(), "kernel_workqueue_execution_seconds",
                        {{"function", "vmstat_update"}}) > 0)
      return;
  }
  ADD_FAILURE() << "vmstat_update never appeared in kernel_workqueue_execution_seconds";
}

class SoftirqLive : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
 protected:
  void SetUp() override { KE_REQUIRE_LIVE_ENVIRONMENT(); }
};

// Tasklet tracepoints exist since 6.4; before, their programs have no hook to attach to.
bool kernel_has_tasklet_tracepoints() {
  ensure_tracefs();
  return std::filesystem::exists("/sys/kernel/tracing/events/irq/tasklet_entry");
}

// Our counts of completed handler runs against the kernel's own /proc/softirqs.
TEST_P(SoftirqLive, NetRxAndTimerAgreeWithProcSoftirqs) {
  const auto& [disabled, expected_hook] = GetParam();
  if (expected_hook == "tracepoint") ensure_tracefs();
  LiveCollector collector("softirq", disabled);
  const bool tasklets = kernel_has_tasklet_tracepoints();
  for (const auto& program : collector.programs()) {
    if (program.slot.starts_with("tasklet") && !tasklets) {
      EXPECT_FALSE(program.attached()) << program.slot;
      EXPECT_FALSE(program.failures.empty()) << program.slot;  // with the kernel's reasons
    } else {
      EXPECT_EQ(program.hook, expected_hook) << program.slot;
    }
  }
  auto ours = [&](const char* vector) {
    return histogram_count(collector.collect(), "kernel_softirq_execution_seconds",
                           {{"vector", vector}});
  };
  uint64_t net_rx_before = ours("net_rx"), timer_before = ours("timer");
  auto proc_before = proc_softirqs();
  loopback_udp(3000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto proc_after = proc_softirqs();
  uint64_t net_rx = ours("net_rx") - net_rx_before, timer = ours("timer") - timer_before;
  uint64_t proc_net_rx = proc_after["NET_RX"] - proc_before["NET_RX"];
  uint64_t proc_timer = proc_after["TIMER"] - proc_before["TIMER"];
  EXPECT_GE(proc_net_rx, 1000u) << "the workload did not raise NET_RX";
  // The two reads are microseconds apart, not atomic: allow a handful of events in between.
  EXPECT_NEAR(static_cast<double>(net_rx), static_cast<double>(proc_net_rx),
              5 + 0.01 * proc_net_rx);
  EXPECT_GT(timer, 0u);
  EXPECT_NEAR(static_cast<double>(timer), static_cast<double>(proc_timer), 5 + 0.05 * proc_timer);
}

INSTANTIATE_TEST_SUITE_P(Hooks, SoftirqLive,
                         ::testing::Values(std::pair{"", "tp_btf"}, std::pair{"tp_btf", "raw_tp"},
                                           std::pair{"tp_btf,raw_tp", "tracepoint"}),
                         [](const auto& info) { return info.param.second; });

struct SoftirqSkeletonDeleter {
  void operator()(softirq_bpf* skeleton) const { softirq_bpf__destroy(skeleton); }
};

// Tasklets rarely run on a virtual machine, so their pairing logic is driven through
// BPF_PROG_TEST_RUN of the raw_tp variants, which share their code with the tp_btf ones.
TEST(SoftirqPairing, EntryExitPairsCountOnceAndUnpairedExitsNever) {
  KE_REQUIRE_LIVE_ENVIRONMENT();
  std::unique_ptr<softirq_bpf, SoftirqSkeletonDeleter> skeleton(softirq_bpf__open());
  ASSERT_TRUE(skeleton);
  // Only the raw_tp variants: they load whether or not the kernel has the tracepoints.
  bpf_program* program;
  bpf_object__for_each_program(program, skeleton->obj) {
    bpf_program__set_autoload(program,
                              bpf::parse_program_name(bpf_program__name(program)).hook == "raw_tp");
  }
  bpf::configure_histograms(skeleton->obj, 0);
  ASSERT_EQ(softirq_bpf__load(skeleton.get()), 0);
  auto run = [](bpf_program* program, std::vector<uint64_t> args) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args.data(),
                .ctx_size_in = static_cast<__u32>(args.size() * sizeof(uint64_t)),
                .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = 0);
    ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(program), &opts), 0);
  };
  const uint64_t function = 0xffffffff81234560;
  run(skeleton->progs.tasklet_exit__raw_tp, {0, function});  // no entry seen: ignored
  run(skeleton->progs.tasklet_entry__raw_tp, {0, function});
  run(skeleton->progs.tasklet_exit__raw_tp, {0, function});
  run(skeleton->progs.tasklet_exit__raw_tp, {0, function});  // second exit: ignored
  run(skeleton->progs.softirq_entry__raw_tp, {3});
  run(skeleton->progs.softirq_exit__raw_tp, {3});

  symbols::KernelSymbols symbols;
  auto tasklets =
      collectors::read_function_histograms(bpf_map__fd(skeleton->maps.tasklet_time), 0, symbols);
  ASSERT_EQ(tasklets.size(), 1u);
  EXPECT_EQ(tasklets[0].second.count(), 1u);
  const std::string_view vectors[] = {"hi", "timer", "net_tx", "net_rx"};
  auto softirqs =
      collectors::read_indexed_histograms(bpf_map__fd(skeleton->maps.softirq_time), 0, vectors);
  ASSERT_EQ(softirqs.size(), 1u);
  EXPECT_EQ(softirqs[0].first[0], "net_rx");
  EXPECT_EQ(softirqs[0].second.count(), 1u);
}

TEST(LoadavgLive, AgreesWithProcLoadavg) {
  KE_REQUIRE_LIVE_ENVIRONMENT();
  LiveCollector collector("loadavg");
  ASSERT_EQ(collector.programs().size(), 1u);
  const auto& program = collector.programs().front();
  // Full precision where BPF can read avenrun (kallsyms lists it); else a reason is recorded
  // and /proc is used.
  std::ifstream kallsyms("/proc/kallsyms");
  bool avenrun_listed = false;
  for (std::string address, type, name; kallsyms >> address >> type >> name;) {
    avenrun_listed |= name == "avenrun";
    kallsyms.ignore(256, '\n');
  }
  if (avenrun_listed) {
    EXPECT_EQ(program.hook, bpf::kOnDemandHook);
  } else {
    EXPECT_FALSE(program.attached());
    ASSERT_FALSE(program.failures.empty());
    EXPECT_NE(program.failures[0].reason.find("avenrun"), std::string::npos)
        << program.failures[0].reason;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    double proc[3];
    std::ifstream("/proc/loadavg") >> proc[0] >> proc[1] >> proc[2];
    Families families = collector.collect();
    double again[3];
    std::ifstream("/proc/loadavg") >> again[0] >> again[1] >> again[2];
    if (proc[0] != again[0] || proc[1] != again[1] || proc[2] != again[2]) continue;  // updated
    const char* names[3] = {"kernel_load1", "kernel_load5", "kernel_load15"};
    for (int i = 0; i < 3; ++i) {
      const auto* series = find_series(families, names[i], {});
      ASSERT_TRUE(series) << names[i];
      // /proc/loadavg rounds to 2 decimals (adding FIXED_1/200 first).
      EXPECT_NEAR(series->value, proc[i], 0.0051) << names[i];
    }
    const auto* total = find_series(families, "kernel_tasks", {});
    ASSERT_TRUE(total);
    EXPECT_GT(total->value, 10);
    ASSERT_TRUE(find_series(families, "kernel_runnable_tasks", {}));
    return;
  }
  FAIL() << "/proc/loadavg kept changing";
}

}  // namespace
}  // namespace ke::test
