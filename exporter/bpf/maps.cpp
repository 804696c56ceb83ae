#include "bpf/maps.hpp"

namespace ke::bpf {

int possible_cpus() {
  static const int cpus = [] {
    int n = libbpf_num_possible_cpus();
    if (n <= 0) throw std::runtime_error("cannot read the number of possible CPUs");
    return n;
  }();
  return cpus;
}

uint64_t sum_percpu_u64(int map_fd, uint32_t index) {
  std::vector<uint64_t> values(possible_cpus());
  if (bpf_map_lookup_elem(map_fd, &index, values.data()) != 0) return 0;
  uint64_t sum = 0;
  for (uint64_t v : values) sum += v;
  return sum;
}

std::vector<uint64_t> sum_percpu_u64_array(int map_fd, uint32_t entries) {
  std::vector<uint64_t> sums(entries);
  for (uint32_t i = 0; i < entries; ++i) sums[i] = sum_percpu_u64(map_fd, i);
  return sums;
}

}  // namespace ke::bpf
