// Added cost per contended lock wait of the lock collector, measured in one run next to bpftrace
// building the same histogram (wait time by contention_begin flags) from the same tracepoints.
//
// Unlike bench_event_cost, this cannot confine the workload to one CPU (contention needs two
// running at once), and the number of contended waits varies from run to run (how often the
// writers meet), so each timed run counts its own: a counting program on contention_end (one hit
// per wait, nested begins or not) stays attached in every configuration, its cost cancelling
// out. Rounds of {no other BPF, lock collector, bpftrace}, order rotated; per configuration the
// medians of wall time, CPU time (user + system of this process, where every contended wait of
// the workload and every program run on its behalf is spent) and waits; added ns per wait =
// (median(config) - median(none)) / median(waits of config). In-kernel, separately: the
// kernel's run_time_ns / run_cnt of the collector's programs and of bpftrace's.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_probes.skel.h"
#include "bpf/maps.hpp"
#include "bpftrace.hpp"
#include "collectors/collector.hpp"
#include "config/config.hpp"
#include "run_stats.hpp"
#include "workloads.hpp"

namespace {

using namespace ke::bench;  // the shared benchmark helpers

// The histogram a bpftrace user would write: start and flags by thread, wait by flags.
constexpr const char* kBpftraceProgram =
    "tracepoint:lock:contention_begin { @start[tid] = (nsecs, args->flags); } "
    "tracepoint:lock:contention_end /@start[tid].0/ { $s = @start[tid]; "
    "@wait[$s.1] = hist(nsecs - $s.0); delete(@start[tid]); }";

constexpr int kWriters = 4;

struct ProbesDeleter {
  void operator()(bench_probes_bpf* skeleton) const { bench_probes_bpf__destroy(skeleton); }
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Run {
  double wall_ns;
  double cpu_ns;
  double waits;
};

class Bench {
 public:
  Bench(bench_probes_bpf* probes, int writes, const std::string& disabled_hooks)
      : probes_(probes),
        writes_(writes),
        schemas_(ke::collectors::schemas()),
        config_(ke::config::parse_config("", "<bench>", schemas_).config.collectors.at("lock")) {
    for (const auto& d : ke::collectors::all())
      if (d.name == "lock") descriptor_ = &d;
    for (size_t start = 0; start < disabled_hooks.size();) {
      const size_t comma = std::min(disabled_hooks.find(',', start), disabled_hooks.size());
      loader_.disabled_hooks.insert(disabled_hooks.substr(start, comma - start));
      start = comma + 1;
    }
    bpf_link* link = bpf_program__attach(probes_->progs.count__contention_end);
    if (!link) throw std::runtime_error("cannot attach the counting program");
    counting_.reset(link);
  }

  std::unique_ptr<ke::collectors::Collector> attach_collector() {
    return descriptor_->create({config_, loader_, symbols_});
  }

  Run timed_run() {
    const uint64_t waits_before = waits();
    const double cpu_before = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    ke::test::contended_pipe_writes(kWriters, writes_ / kWriters);
    const std::chrono::duration<double, std::nano> wall = std::chrono::steady_clock::now() - start;
    return {wall.count(), (cpu_seconds() - cpu_before) * 1e9, double(waits() - waits_before)};
  }

  // ns per run of the programs that `attach` loads, one workload run long.
  template <class Attach>
  std::string in_kernel(Attach attach, double& total_ns_per_wait) {
    const std::set<uint32_t> before = program_ids();
    auto attached = attach();
    std::set<uint32_t> ids;
    for (uint32_t id : program_ids())
      if (!before.contains(id)) ids.insert(id);
    RunTimeStats stats;
    std::vector<RunStats> start;
    for (uint32_t id : ids) start.push_back(run_stats({id}));
    const uint64_t waits_before = waits();
    ke::test::contended_pipe_writes(kWriters, writes_ / kWriters);
    const double waits_seen = double(waits() - waits_before);
    std::string text;
    double total_ns = 0;
    size_t index = 0;
    for (uint32_t id : ids) {
      const RunStats delta = run_stats({id}) - start[index++];
      if (!delta.run_count) continue;
      total_ns += double(delta.run_time_ns);
      text += " " + program_name(id) + " " + std::to_string(std::lround(delta.ns_per_run())) +
              " ns/run (" + std::to_string(delta.run_count) + " runs);";
    }
    total_ns_per_wait = waits_seen ? total_ns / waits_seen : 0;
    return text;
  }

 private:
  uint64_t waits() const { return ke::bpf::sum_percpu_u64(bpf_map__fd(probes_->maps.hits), 0); }

  bench_probes_bpf* probes_;
  int writes_;
  std::vector<ke::config::CollectorSchema> schemas_;
  ke::config::CollectorConfig config_;
  ke::bpf::LoaderOptions loader_;
  ke::symbols::KernelSymbols symbols_;
  const ke::collectors::Descriptor* descriptor_ = nullptr;
  ke::bpf::Link counting_;
};

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const int writes = argc > 2 ? std::atoi(argv[2]) : 200000;
  const std::string disabled_hooks = argc > 3 ? argv[3] : "";  // as --bpf.disable-hooks
  ke::bpf::install_libbpf_logging();
  std::unique_ptr<bench_probes_bpf, ProbesDeleter> probes(bench_probes_bpf__open_and_load());
  if (!probes) {
    std::fprintf(stderr, "cannot load the benchmark probes (root and BTF needed)\n");
    return 1;
  }
  Bench bench(probes.get(), writes, disabled_hooks);

  double ours_kernel = 0, bpftrace_kernel = 0;
  const std::string ours_programs =
      bench.in_kernel([&] { return bench.attach_collector(); }, ours_kernel);
  const std::string bpftrace_programs = bench.in_kernel(
      [&] { return std::make_unique<Bpftrace>(kBpftraceProgram); }, bpftrace_kernel);

  std::vector<double> wall[3], cpu[3], waits[3];
  bench.timed_run();  // warm-up
  for (int round = 0; round < rounds; ++round) {
    for (int step = 0; step < 3; ++step) {
      const int configuration = (round + step) % 3;
      Run run;
      if (configuration == 0) {
        run = bench.timed_run();
      } else if (configuration == 1) {
        auto attached = bench.attach_collector();
        run = bench.timed_run();
      } else {
        Bpftrace attached(kBpftraceProgram);
        run = bench.timed_run();
      }
      wall[configuration].push_back(run.wall_ns);
      cpu[configuration].push_back(run.cpu_ns);
      waits[configuration].push_back(run.waits);
    }
  }
  auto added = [&](std::vector<double>* times, int configuration) {
    return (median(times[configuration]) - median(times[0])) / median(waits[configuration]);
  };
  // The same workload's added time per write: independent of how the programs' cost changed how
  // often the writers met.
  auto per_write = [&](std::vector<double>* times, int configuration) {
    return (median(times[configuration]) - median(times[0])) / writes;
  };
  std::printf(
      "# %d writers, %d pipe writes per run, %d rounds, medians; waits = contention_end hits\n",
      kWriters, writes, rounds);
  std::printf("%-9s %9s %8s %8s %10s %10s %11s %11s %11s\n", "config", "waits/run", "wall ms",
              "cpu ms", "wall+/wait", "cpu+/wait", "wall+/write", "cpu+/write", "kern/wait");
  const char* names[3] = {"none", "lock", "bpftrace"};
  const double kernel[3] = {0, ours_kernel, bpftrace_kernel};
  for (int c = 0; c < 3; ++c) {
    std::printf("%-9s %9.0f %8.1f %8.1f %10.0f %10.0f %11.0f %11.0f %11.0f\n", names[c],
                median(waits[c]), median(wall[c]) / 1e6, median(cpu[c]) / 1e6,
                c ? added(wall, c) : 0.0, c ? added(cpu, c) : 0.0, c ? per_write(wall, c) : 0.0,
                c ? per_write(cpu, c) : 0.0, kernel[c]);
  }
  std::printf(
      "ratio lock/bpftrace (ns): per wait wall %.2f cpu %.2f; per write wall %.2f cpu %.2f; "
      "in-kernel per wait %.2f\n",
      added(wall, 1) / added(wall, 2), added(cpu, 1) / added(cpu, 2),
      per_write(wall, 1) / per_write(wall, 2), per_write(cpu, 1) / per_write(cpu, 2),
      ours_kernel / bpftrace_kernel);
  std::printf("# in-kernel per program (BPF_STATS_RUN_TIME):\n#   lock:%s\n#   bpftrace:%s\n",
              ours_programs.c_str(), bpftrace_programs.c_str());
  return 0;
}
