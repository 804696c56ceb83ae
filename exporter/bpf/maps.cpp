#include "bpf/maps.hpp"

#include <algorithm>

namespace ke::bpf {

int possible_cpus() {
  static const int cpus = [] {
    int n = libbpf_num_possible_cpus();
    if (n <= 0) throw std::runtime_error("cannot read the number of possible CPUs");
    return n;
  }();
  return cpus;
}

void for_each_key(int map_fd, size_t key_size, const std::function<void(const void* key)>& visit) {
  std::vector<unsigned char> key(key_size), next(key_size);
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, next.data()) == 0) {
    key = next;
    previous = key.data();
    visit(key.data());
  }
}

void for_each_counters(
    int map_fd, size_t key_size, size_t counter_count,
    const std::function<void(const void* key, std::span<const uint64_t> sums)>& visit) {
  const size_t cpus = possible_cpus();
  std::vector<uint64_t> values(cpus * counter_count), sums(counter_count);
  for_each_key(map_fd, key_size, [&](const void* key) {
    // A key deleted meanwhile is simply skipped.
    if (bpf_map_lookup_elem(map_fd, key, values.data()) != 0) return;
    std::fill(sums.begin(), sums.end(), 0);
    for (size_t cpu = 0; cpu < cpus; ++cpu)
      for (size_t i = 0; i < counter_count; ++i) sums[i] += values[cpu * counter_count + i];
    visit(key, sums);
  });
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
