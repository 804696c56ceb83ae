// Added cost per hooked kernel event of each collector, measured in one run next to the
// reference: an empty tp_btf program reading the same timestamps on the same tracepoints.
//
// Two measurements per collector:
//  - in-kernel: the kernel's own accounting (BPF_STATS_RUN_TIME: run_time_ns / run_cnt of every
//    program) while the workload runs, for the collector's programs and for the reference's;
//    precise, but it leaves out the dispatch into the program, which both pay alike;
//  - wall clock: rounds of {no BPF, reference, collector} (order rotated) timing the workload;
//    added ns per event = (median(config) - median(no BPF)) / events per iteration, where a
//    calibration pass counts the events one iteration fires. The whole chain (this thread and
//    the unbound kworkers that run the work items) is confined to CPU 0, so that wall time is
//    the CPU time of the chain rather than cross-CPU wake-up jitter. Scenarios that name a
//    bpftrace program add a fourth configuration to the rounds: that program attached instead,
//    the tool one would otherwise use for the same numbers.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <sched.h>
#include <unistd.h>

#include <fstream>

#include <bpf/bpf.h>

#include <set>

#include "bench_probes.skel.h"
#include "bpf/loader.hpp"
#include "bpf/maps.hpp"
#include "bpftrace.hpp"
#include "collectors/collector.hpp"
#include "config/config.hpp"
#include "run_stats.hpp"
#include "workloads.hpp"

namespace {

using namespace ke::bench;  // the shared benchmark helpers

struct Scenario {
  std::string collector;
  std::vector<std::string> events;
  std::function<void(int)> workload;
  int iterations;
  std::string bpftrace = {};     // an equivalent bpftrace program, or empty
  std::string alternative = {};  // bench_probes' prefix of a design not chosen, or empty
  std::string label = {};        // the table's name for the row, when not the collector's
};

struct ProbesDeleter {
  void operator()(bench_probes_bpf* skeleton) const { bench_probes_bpf__destroy(skeleton); }
};
using Probes = std::unique_ptr<bench_probes_bpf, ProbesDeleter>;

// Attaches `<prefix>__<event>` for each event; detached when the result is destroyed.
std::vector<ke::bpf::Link> attach_probes(bench_probes_bpf* probes, const std::string& prefix,
                                         const std::vector<std::string>& events) {
  std::vector<ke::bpf::Link> links;
  for (const std::string& event : events) {
    std::string name = prefix + "__" + event;
    bpf_program* program = bpf_object__find_program_by_name(probes->obj, name.c_str());
    bpf_link* link = program ? bpf_program__attach(program) : nullptr;
    if (!link) throw std::runtime_error("cannot attach " + name);
    links.emplace_back(link);
  }
  return links;
}

// Per-program in-kernel cost of the collectors, printed after the table.
std::string breakdown;

double time_per_iteration_ns(const Scenario& scenario) {
  auto start = std::chrono::steady_clock::now();
  scenario.workload(scenario.iterations);
  std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / scenario.iterations;
}

void run(const Scenario& scenario, bench_probes_bpf* probes, int rounds) {
  auto schemas = ke::collectors::schemas();
  auto parsed = ke::config::parse_config("", "<bench>", schemas);
  const auto& config = parsed.config.collectors.at(scenario.collector);
  ke::bpf::LoaderOptions loader;
  ke::symbols::KernelSymbols symbols;
  const ke::collectors::Descriptor* descriptor = nullptr;
  for (const auto& d : ke::collectors::all())
    if (d.name == scenario.collector) descriptor = &d;

  double events_per_iteration;
  {
    const int hits_fd = bpf_map__fd(probes->maps.hits);
    uint64_t before = ke::bpf::sum_percpu_u64(hits_fd, 0);
    auto links = attach_probes(probes, "count", scenario.events);
    scenario.workload(scenario.iterations);
    links.clear();
    events_per_iteration =
        double(ke::bpf::sum_percpu_u64(hits_fd, 0) - before) / scenario.iterations;
  }

  // In-kernel cost, from the kernel's per-program run-time accounting.
  RunStats reference_stats, collector_stats;
  {
    std::set<uint32_t> reference_ids;
    for (const std::string& event : scenario.events) {
      auto* program = bpf_object__find_program_by_name(probes->obj, ("stamp__" + event).c_str());
      bpf_prog_info info{};
      uint32_t length = sizeof info;
      bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length);
      reference_ids.insert(info.id);
    }
    auto links = attach_probes(probes, "stamp", scenario.events);
    RunTimeStats stats;
    RunStats before = run_stats(reference_ids);
    scenario.workload(scenario.iterations);
    reference_stats = run_stats(reference_ids) - before;
  }
  {
    std::set<uint32_t> before_ids = program_ids();
    auto attached = descriptor->create({config, loader, symbols});
    std::set<uint32_t> collector_ids;
    for (uint32_t id : program_ids())
      if (!before_ids.contains(id)) collector_ids.insert(id);
    RunTimeStats stats;
    std::vector<RunStats> before;
    for (uint32_t id : collector_ids) before.push_back(run_stats({id}));
    scenario.workload(scenario.iterations);
    size_t index = 0;
    for (uint32_t id : collector_ids) {
      RunStats delta = run_stats({id}) - before[index++];
      collector_stats.run_time_ns += delta.run_time_ns;
      collector_stats.run_count += delta.run_count;
      if (delta.run_count)
        breakdown += "#   " + program_name(id) + ": " +
                     std::to_string(std::lround(delta.ns_per_run())) + " ns/run\n";
    }
  }

  // A design not chosen (bench_probes' <alternative>__<event> programs), in-kernel cost only.
  for (const std::string& event : scenario.events) {
    const std::string name = scenario.alternative + "__" + event;
    auto* program = scenario.alternative.empty()
                        ? nullptr
                        : bpf_object__find_program_by_name(probes->obj, name.c_str());
    if (!program) continue;
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length);
    auto links = attach_probes(probes, scenario.alternative, {event});
    RunTimeStats stats;
    RunStats before = run_stats({info.id});
    scenario.workload(scenario.iterations);
    RunStats delta = run_stats({info.id}) - before;
    breakdown += "#   (not chosen) " + name + ": " +
                 std::to_string(std::lround(delta.ns_per_run())) + " ns/run\n";
  }

  std::vector<double> baseline, reference, collector, bpftrace;
  const int configurations = scenario.bpftrace.empty() ? 3 : 4;
  scenario.workload(scenario.iterations / 4);  // warm-up
  for (int round = 0; round < rounds; ++round) {
    for (int step = 0; step < configurations; ++step) {
      switch ((round + step) % configurations) {
        case 0:
          baseline.push_back(time_per_iteration_ns(scenario));
          break;
        case 1: {
          auto links = attach_probes(probes, "stamp", scenario.events);
          reference.push_back(time_per_iteration_ns(scenario));
          break;
        }
        case 2: {
          auto attached = descriptor->create({config, loader, symbols});
          collector.push_back(time_per_iteration_ns(scenario));
          break;
        }
        case 3: {
          Bpftrace attached(scenario.bpftrace);
          bpftrace.push_back(time_per_iteration_ns(scenario));
          break;
        }
      }
    }
  }
  const double base = median(baseline);
  const double reference_added = (median(reference) - base) / events_per_iteration;
  const double collector_added = (median(collector) - base) / events_per_iteration;
  std::string bpftrace_added = "-";
  if (!bpftrace.empty())
    bpftrace_added = std::to_string(std::lround((median(bpftrace) - base) / events_per_iteration));
  std::printf("%-14s %11.2f %10.1f %10.1f %7.2f %11.0f %10.1f %10.1f %7.2f %10s\n",
              (scenario.label.empty() ? scenario.collector : scenario.label).c_str(),
              events_per_iteration, reference_stats.ns_per_run(), collector_stats.ns_per_run(),
              collector_stats.ns_per_run() / reference_stats.ns_per_run(), base, reference_added,
              collector_added, collector_added / reference_added, bpftrace_added.c_str());
}

}  // namespace

// Confines this thread and unbound workqueue workers to CPU 0; restores both when destroyed.
class SingleCpu {
 public:
  SingleCpu() {
    std::ifstream("/sys/devices/virtual/workqueue/cpumask") >> saved_mask_;
    write_mask("1");
    sched_getaffinity(0, sizeof saved_affinity_, &saved_affinity_);
    cpu_set_t cpu0;
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    sched_setaffinity(0, sizeof cpu0, &cpu0);
  }
  ~SingleCpu() {
    write_mask(saved_mask_);
    sched_setaffinity(0, sizeof saved_affinity_, &saved_affinity_);
  }
  SingleCpu(const SingleCpu&) = delete;
  SingleCpu& operator=(const SingleCpu&) = delete;

 private:
  static void write_mask(const std::string& mask) {
    std::ofstream("/sys/devices/virtual/workqueue/cpumask") << mask;
  }
  std::string saved_mask_;
  cpu_set_t saved_affinity_;
};

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  ke::bpf::install_libbpf_logging();
  Probes probes(bench_probes_bpf__open_and_load());
  if (!probes) {
    std::fprintf(stderr, "cannot load the benchmark probes (root and BTF needed)\n");
    return 1;
  }
  std::vector<Scenario> scenarios = {
      {"workqueue",
       {"workqueue_queue_work", "workqueue_execute_start", "workqueue_execute_end"},
       ke::test::pty_round_trips,
       20000},
      {"softirq",
       {"softirq_entry", "softirq_exit", "tasklet_entry", "tasklet_exit"},
       ke::test::loopback_udp,
       50000},
      // Every open() allocates a struct file ("filp") and a path buffer ("names_cache"), freed
      // again on close (filp after an RCU grace period); bpftrace counts the same events by
      // cache name (and kmalloc by bytes_alloc), as slabratetop users would.
      {"slab",
       {"kmem_cache_alloc", "kmem_cache_free", "kmalloc"},
       ke::test::open_close_files,
       200000,
       "tracepoint:kmem:kmem_cache_alloc { @alloc[str(args->name)] = count(); } "
       "tracepoint:kmem:kmem_cache_free { @free[str(args->name)] = count(); } "
       "tracepoint:kmem:kmalloc { @kmalloc[args->bytes_alloc] = count(); }",
       "byname"},
      // bpftrace keeps the same record per object (time, size, call site) and deletes it at the
      // free, as memleak does.
      {"memleak",
       {"kmem_cache_alloc", "kmem_cache_free", "kmalloc", "kfree"},
       ke::test::open_close_files,
       200000,
       "tracepoint:kmem:kmem_cache_alloc { @a[args->ptr] = (nsecs, args->bytes_alloc, "
       "args->call_site); } "
       "tracepoint:kmem:kmalloc { @a[args->ptr] = (nsecs, args->bytes_alloc, args->call_site); } "
       "tracepoint:kmem:kmem_cache_free { delete(@a[args->ptr]); } "
       "tracepoint:kmem:kfree { delete(@a[args->ptr]); }"},
      // Each cycle maps, touches and unmaps anonymous memory: a page table page (unmovable:
      // recorded with its stack) and the data page (movable: skipped), both freed at munmap.
      {"memleak",
       {"mm_page_alloc", "mm_page_free", "mm_page_free_batched"},
       [](int cycles) { ke::test::mmap_munmap_cycles(1, cycles); },
       50000,
       "tracepoint:kmem:mm_page_alloc /args->migratetype != 1/ { @t[args->pfn] = nsecs; "
       "@s[args->pfn] = kstack(10); } "
       "tracepoint:kmem:mm_page_free { delete(@t[args->pfn]); delete(@s[args->pfn]); } "
       "tracepoint:kmem:mm_page_free_batched { delete(@t[args->pfn]); delete(@s[args->pfn]); }",
       "",
       "memleak-pages"},
  };
  std::printf(
      "# in-kernel: ns per program run (BPF_STATS_RUN_TIME); wall: median of %d rounds,\n"
      "# added ns per hooked event over the no-BPF baseline. ratio = collector/reference;\n"
      "# wall.bt: the scenario's bpftrace program instead (added ns per hooked event)\n",
      rounds);
  std::printf("%-14s %11s %10s %10s %7s %11s %10s %10s %7s %10s\n", "collector", "events/iter",
              "kern.ref", "kern.ours", "ratio", "wall.base", "wall.ref", "wall.ours", "ratio",
              "wall.bt");
  SingleCpu single_cpu;
  for (const Scenario& scenario : scenarios) run(scenario, probes.get(), rounds);
  std::printf("# in-kernel cost per collector program (names truncated by the kernel):\n%s",
              breakdown.c_str());
  return 0;
}
