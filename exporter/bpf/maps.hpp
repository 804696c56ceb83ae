// Reading BPF maps from user space at scrape time; per-CPU values are summed here so that the
// BPF side never needs atomics.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ke::bpf {

// Number of possible CPUs: the number of values a per-CPU map returns per key.
int possible_cpus();

// Calls visit(key, per_cpu_values) for every key of a per-CPU hash or array map.
template <class Key, class Value, class Visit>
void for_each_percpu(int map_fd, Visit&& visit) {
  static_assert(sizeof(Value) % 8 == 0, "per-CPU values are 8-byte aligned per CPU");
  std::vector<Value> values(possible_cpus());
  Key key{}, next{};
  const Key* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
    key = next;
    previous = &key;
    // A key deleted between the two calls is simply skipped.
    if (bpf_map_lookup_elem(map_fd, &key, values.data()) == 0)
      visit(key, std::span<const Value>(values));
  }
}

// The per-CPU sum of one element of a per-CPU array of u64.
uint64_t sum_percpu_u64(int map_fd, uint32_t index);

// Counts of a per-CPU u64 array map, summed over CPUs, index by index.
std::vector<uint64_t> sum_percpu_u64_array(int map_fd, uint32_t entries);

}  // namespace ke::bpf
