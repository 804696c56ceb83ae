#include "run_stats.hpp"

#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace ke::bench {

std::set<uint32_t> program_ids() {
  std::set<uint32_t> ids;
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) ids.insert(id);
  return ids;
}

RunTimeStats::RunTimeStats() : fd_(bpf_enable_stats(BPF_STATS_RUN_TIME)) {
  if (fd_ < 0) throw std::runtime_error("cannot enable BPF run-time statistics");
}

RunTimeStats::~RunTimeStats() {
  close(fd_);
}

RunStats run_stats(const std::set<uint32_t>& ids) {
  RunStats total;
  for (uint32_t id : ids) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0) {
      total.run_time_ns += info.run_time_ns;
      total.run_count += info.run_cnt;
    }
    close(fd);
  }
  return total;
}

std::string program_name(uint32_t id) {
  int fd = bpf_prog_get_fd_by_id(id);
  bpf_prog_info info{};
  uint32_t length = sizeof info;
  bpf_obj_get_info_by_fd(fd, &info, &length);
  close(fd);
  return info.name;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace ke::bench
