// Added cost per hooked kernel event of each collector, measured in one run next to the
// reference: an empty tp_btf program reading the same timestamps on the same tracepoints.
//
// For each collector: a calibration pass counts the events one workload iteration fires; then
// rounds of {no BPF, reference, collector} (order rotated each round) time the workload; the
// medians give added ns per event = (median(config) - median(no BPF)) / events per iteration.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_probes.skel.h"
#include "bpf/loader.hpp"
#include "bpf/maps.hpp"
#include "collectors/collector.hpp"
#include "config/config.hpp"
#include "workloads.hpp"

namespace {

struct Scenario {
  std::string collector;
  std::vector<std::string> events;
  std::function<void(int)> workload;
  int iterations;
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

double time_per_iteration_ns(const Scenario& scenario) {
  auto start = std::chrono::steady_clock::now();
  scenario.workload(scenario.iterations);
  std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / scenario.iterations;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
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

  std::vector<double> baseline, reference, collector;
  scenario.workload(scenario.iterations / 4);  // warm-up
  for (int round = 0; round < rounds; ++round) {
    for (int step = 0; step < 3; ++step) {
      switch ((round + step) % 3) {
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
      }
    }
  }
  const double base = median(baseline);
  const double reference_added = (median(reference) - base) / events_per_iteration;
  const double collector_added = (median(collector) - base) / events_per_iteration;
  std::printf("%-10s %12.2f %14.0f %20.1f %20.1f %8.2f\n", scenario.collector.c_str(),
              events_per_iteration, base, reference_added, collector_added,
              collector_added / reference_added);
}

}  // namespace

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
  };
  std::printf("# median of %d rounds; added ns per hooked event over the no-BPF baseline\n",
              rounds);
  std::printf("%-10s %12s %14s %20s %20s %8s\n", "collector", "events/iter", "base ns/iter",
              "reference +ns/event", "collector +ns/event", "ratio");
  for (const Scenario& scenario : scenarios) run(scenario, probes.get(), rounds);
  return 0;
}
