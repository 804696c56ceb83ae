// What the benchmarks share: the kernel's per-program run-time accounting (BPF_STATS_RUN_TIME:
// run_time_ns and run_cnt of every loaded program) and medians of timed rounds.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ke::bench {

// Ids of every BPF program loaded in the kernel.
std::set<uint32_t> program_ids();

struct RunStats {
  uint64_t run_time_ns = 0;
  uint64_t run_count = 0;
  RunStats operator-(const RunStats& o) const {
    return {run_time_ns - o.run_time_ns, run_count - o.run_count};
  }
  double ns_per_run() const { return run_count ? double(run_time_ns) / run_count : 0; }
};

// Per-program run-time accounting, on while it lives (it slows every program down).
class RunTimeStats {
 public:
  RunTimeStats();
  ~RunTimeStats();
  RunTimeStats(const RunTimeStats&) = delete;
  RunTimeStats& operator=(const RunTimeStats&) = delete;

 private:
  int fd_;
};

// The accounting of programs `ids`, summed (counters since load: take differences).
RunStats run_stats(const std::set<uint32_t>& ids);

// The program's name as the kernel keeps it (truncated to 15 characters).
std::string program_name(uint32_t id);

double median(std::vector<double> values);

}  // namespace ke::bench
