// Added cost per mutex_lock call of the mutex collector, where its hooks attach: the build host
// refuses them, so bench/mutex_vm.sh runs this in Debian's 6.1 under qemu (tests/vm). For each
// hook family, fentry/fexit then kprobe/kretprobe:
//  - calibration: mutex_lock calls per workload iteration, from the kernel's run count of the
//    collector's own `lock` program;
//  - in-kernel: BPF_STATS_RUN_TIME (run_time_ns / run_cnt) of the collector's programs, and of a
//    reference hooking the same functions with programs that only read the clock
//    (bench/bpf/mutex_probes.bpf.c), per mutex_lock call (its return and its unlock included);
//  - wall clock: median over rounds of {no BPF, reference, collector}, order rotated; added ns
//    per mutex_lock call = (median - median with no BPF) / mutex_lock calls per iteration.
// Workload: this thread, pinned to CPU 0, writes one byte to a pipe and reads it back;
// pipe_write() and pipe_read() each lock and unlock the pipe's mutex.
// First, on any kernel (the host too): the collector's pairing code alone, its three steps for
// one lock and unlock run by BPF_PROG_TEST_RUN; the same BPF work timed on the host and under
// qemu tells how much emulation inflates the figures.
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <bpf/bpf.h>

#include "bpf/histogram_maps.hpp"
#include "bpf/loader.hpp"
#include "collectors/collector.hpp"
#include "config/config.hpp"
#include "mutex_probes.skel.h"
#include "run_stats.hpp"

namespace {

using namespace ke::bench;  // the shared benchmark helpers

constexpr int kIterations = 20000;

struct ProbesDeleter {
  void operator()(mutex_probes_bpf* skeleton) const { mutex_probes_bpf__destroy(skeleton); }
};
using Probes = std::unique_ptr<mutex_probes_bpf, ProbesDeleter>;

// bench/bpf/mutex_probes.bpf.c with only the programs named `prefix`*; null when the kernel
// refuses them.
Probes load_probes(const std::string& prefix) {
  Probes probes(mutex_probes_bpf__open());
  if (!probes) return nullptr;
  bpf_program* program;
  bpf_object__for_each_program(program, probes->obj) {
    bpf_program__set_autoload(program, std::string(bpf_program__name(program)).starts_with(prefix));
  }
  ke::bpf::configure_histograms(probes->obj, 0);
  if (mutex_probes_bpf__load(probes.get()) != 0) return nullptr;
  return probes;
}

uint32_t program_id(bpf_program* program) {
  bpf_prog_info info{};
  uint32_t length = sizeof info;
  bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length);
  return info.id;
}

// The pairing code for one lock and unlock, without hooks: ns per run of each step.
void run_pairing() {
  Probes probes = load_probes("pairing_");
  if (!probes) throw std::runtime_error("cannot load the pairing programs");
  bpf_program* steps[] = {probes->progs.pairing_enter, probes->progs.pairing_return,
                          probes->progs.pairing_unlock};
  std::vector<uint64_t> args = {1, 0xffff888001000000, 0xffffffff81000010};
  LIBBPF_OPTS(bpf_test_run_opts, options, .ctx_in = args.data(),
              .ctx_size_in = static_cast<uint32_t>(args.size() * sizeof(uint64_t)));
  RunTimeStats stats;
  std::vector<RunStats> before;
  for (bpf_program* step : steps) before.push_back(run_stats({program_id(step)}));
  for (int i = 0; i < kIterations; ++i)
    for (bpf_program* step : steps)
      if (bpf_prog_test_run_opts(bpf_program__fd(step), &options) != 0)
        throw std::runtime_error("BPF_PROG_TEST_RUN failed");
  double total = 0;
  std::printf("# pairing code alone (BPF_PROG_TEST_RUN, %d locks):", kIterations);
  for (size_t i = 0; i < std::size(steps); ++i) {
    const double ns = (run_stats({program_id(steps[i])}) - before[i]).ns_per_run();
    total += ns;
    std::printf(" %s %.1f ns,", bpf_program__name(steps[i]), ns);
  }
  std::printf(" total %.1f ns per lock and unlock\n", total);
}

class Pipe {
 public:
  Pipe() {
    if (pipe(ends_) != 0) throw std::runtime_error("cannot create a pipe");
  }
  ~Pipe() {
    close(ends_[0]);
    close(ends_[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  void round_trips(int count) const {
    char byte = 'x';
    for (int i = 0; i < count; ++i)
      if (write(ends_[1], &byte, 1) != 1 || read(ends_[0], &byte, 1) != 1)
        throw std::runtime_error("pipe round trip failed");
  }
  double ns_per_round_trip() const {
    auto start = std::chrono::steady_clock::now();
    round_trips(kIterations);
    std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / kIterations;
  }

 private:
  int ends_[2];
};

// The mutex collector, attached with `family` (fentry or kprobe) while this lives.
class Collector {
 public:
  explicit Collector(const std::string& family) {
    if (family != "fentry") loader_.disabled_hooks.insert("fentry");
    const std::set<uint32_t> before = program_ids();
    for (const auto& descriptor : ke::collectors::all())
      if (descriptor.name == "mutex")
        collector_ = descriptor.create({config_.collectors.at("mutex"), loader_, symbols_});
    for (const auto& program : collector_->programs())
      if (program.slot != "task_exit" && ke::bpf::hook_family(program.hook) != family)
        throw std::runtime_error(program.slot + " attached with " + program.hook);
    for (uint32_t id : program_ids())
      if (!before.contains(id)) ids_.insert(id);
  }
  const std::set<uint32_t>& ids() const { return ids_; }

 private:
  const std::vector<ke::config::CollectorSchema> schemas_ = ke::collectors::schemas();
  const ke::config::Config config_ = ke::config::parse_config("", "<bench>", schemas_).config;
  ke::bpf::LoaderOptions loader_;
  ke::symbols::KernelSymbols symbols_;
  std::unique_ptr<ke::collectors::Collector> collector_;
  std::set<uint32_t> ids_;
};

// The reference programs of `family` attached while this lives.
class Reference {
 public:
  Reference(mutex_probes_bpf* probes, const std::string& family) {
    const std::string exit_hook = family == "fentry" ? "fexit" : "kretprobe";
    for (std::string name :
         {"stamp_lock__" + family, "stamp_lock_return__" + exit_hook, "stamp_unlock__" + family}) {
      bpf_program* program = bpf_object__find_program_by_name(probes->obj, name.c_str());
      links_.emplace_back(bpf_program__attach(program));
      if (!links_.back()) throw std::runtime_error("cannot attach " + name);
      ids_.insert(program_id(program));
    }
  }
  const std::set<uint32_t>& ids() const { return ids_; }

 private:
  std::vector<ke::bpf::Link> links_;
  std::set<uint32_t> ids_;
};

// Per-program in-kernel cost, printed after the table.
std::string breakdown;

void run(const std::string& family, mutex_probes_bpf* probes, const Pipe& pipe, int rounds) {
  // Calibration and in-kernel cost of the collector: every program's runs over one workload.
  double locks_per_iteration, ours_per_lock, reference_per_lock;
  {
    Collector collector(family);
    RunTimeStats stats;
    std::vector<RunStats> before;
    for (uint32_t id : collector.ids()) before.push_back(run_stats({id}));
    pipe.round_trips(kIterations);
    RunStats total;
    uint64_t locks = 0;
    size_t index = 0;
    for (uint32_t id : collector.ids()) {
      RunStats delta = run_stats({id}) - before[index++];
      total.run_time_ns += delta.run_time_ns;
      total.run_count += delta.run_count;
      const std::string name = program_name(id);
      if (name == "lock__" + family) locks = delta.run_count;
      if (delta.run_count)
        breakdown += "#   " + family + " " + name + ": " +
                     std::to_string(std::lround(delta.ns_per_run())) + " ns/run, " +
                     std::to_string(delta.run_count) + " runs\n";
    }
    if (locks == 0) throw std::runtime_error("the workload called no mutex_lock");
    locks_per_iteration = double(locks) / kIterations;
    ours_per_lock = double(total.run_time_ns) / locks;
  }
  {
    Reference reference(probes, family);
    RunTimeStats stats;
    RunStats before = run_stats(reference.ids());
    pipe.round_trips(kIterations);
    reference_per_lock = double((run_stats(reference.ids()) - before).run_time_ns) /
                         (locks_per_iteration * kIterations);
  }

  std::vector<double> baseline, with_reference, with_collector;
  pipe.round_trips(kIterations / 4);  // warm-up
  for (int round = 0; round < rounds; ++round) {
    for (int step = 0; step < 3; ++step) {
      switch ((round + step) % 3) {
        case 0:
          baseline.push_back(pipe.ns_per_round_trip());
          break;
        case 1: {
          Reference reference(probes, family);
          with_reference.push_back(pipe.ns_per_round_trip());
          break;
        }
        case 2: {
          Collector collector(family);
          with_collector.push_back(pipe.ns_per_round_trip());
          break;
        }
      }
    }
  }
  const double base = median(baseline);
  const double reference_added = (median(with_reference) - base) / locks_per_iteration;
  const double collector_added = (median(with_collector) - base) / locks_per_iteration;
  std::printf("%-7s %10.2f %9.1f %9.1f %6.2f %10.0f %9.1f %9.1f %6.2f %7.2f\n", family.c_str(),
              locks_per_iteration, reference_per_lock, ours_per_lock,
              ours_per_lock / reference_per_lock, base, reference_added, collector_added,
              collector_added / reference_added, collector_added * locks_per_iteration / base);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  ke::bpf::install_libbpf_logging();
  cpu_set_t cpu0;
  CPU_ZERO(&cpu0);
  CPU_SET(0, &cpu0);
  sched_setaffinity(0, sizeof cpu0, &cpu0);
  utsname system{};
  uname(&system);
  std::printf(
      "# kernel %s; workload: pipe round trips of one byte on CPU 0, %d per round\n"
      "# kern: BPF_STATS_RUN_TIME ns per mutex_lock call (its return and unlock included)\n"
      "# wall: median of %d rounds, added ns per mutex_lock call over no BPF\n"
      "# ratio = collector/reference; share = collector's added time / round trip time\n",
      system.release, kIterations, rounds);
  run_pairing();
  Probes probes = load_probes("stamp_");
  if (!probes) {
    std::printf("# this kernel refuses fentry or kprobes: run bench/mutex_vm.sh for the rest\n");
    return 0;
  }
  std::printf("%-7s %10s %9s %9s %6s %10s %9s %9s %6s %7s\n", "hooks", "locks/iter", "kern.ref",
              "kern.ours", "ratio", "wall.base", "wall.ref", "wall.ours", "ratio", "share");
  Pipe pipe;
  for (const std::string family : {"fentry", "kprobe"}) run(family, probes.get(), pipe, rounds);
  std::printf("# in-kernel cost per collector program:\n%s", breakdown.c_str());
  return 0;
}
