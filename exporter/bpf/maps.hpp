// Reading BPF maps from user space at scrape time; per-CPU values are summed here so that the
// BPF side never needs atomics.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ke::bpf {

// Number of possible CPUs: the number of values a per-CPU map returns per key.
int possible_cpus();

// Calls visit(key) for every key of a map with `key_size`-byte keys, one key at a time. For maps
// whose entries are never deleted (counters, histograms): the kernel's walk starts over when the
// previous key was deleted meanwhile.
void for_each_key(int map_fd, size_t key_size, const std::function<void(const void* key)>& visit);

// Calls visit(key, per_cpu_values) for every key of a per-CPU hash or array map.
template <class Key, class Value, class Visit>
void for_each_percpu(int map_fd, Visit&& visit) {
  static_assert(sizeof(Value) % 8 == 0, "per-CPU values are 8-byte aligned per CPU");
  std::vector<Value> values(possible_cpus());
  for_each_key(map_fd, sizeof(Key), [&](const void* key) {
    // A key deleted meanwhile is simply skipped.
    if (bpf_map_lookup_elem(map_fd, key, values.data()) == 0)
      visit(*static_cast<const Key*>(key), std::span<const Value>(values));
  });
}

// Calls visit(key, value) for every entry of a plain (not per-CPU) hash map, in batches of
// `kEntryBatch`: a syscall per batch rather than two per entry, and, unlike key-by-key iteration
// (which starts over when the previous key was deleted meanwhile), each entry of a map that
// changes during the walk is seen at most once.
inline constexpr uint32_t kEntryBatch = 4096;
template <class Key, class Value, class Visit>
void for_each_entry(int map_fd, Visit&& visit) {
  std::vector<Key> keys(kEntryBatch);
  std::vector<Value> values(kEntryBatch);
  uint64_t position = 0, next_position = 0;  // opaque batch positions (a hash bucket index)
  for (bool first = true;; first = false) {
    uint32_t count = kEntryBatch;
    const int error = bpf_map_lookup_batch(map_fd, first ? nullptr : &position, &next_position,
                                           keys.data(), values.data(), &count, nullptr);
    for (uint32_t i = 0; i < count; ++i) visit(keys[i], values[i]);
    if (error) {
      if (errno == ENOENT) return;  // the end of the map
      throw std::runtime_error(std::string("BPF map batch lookup failed: ") + strerror(errno));
    }
    position = next_position;
  }
}

// Calls visit(key, sums) for every key of a per-CPU hash or array map whose value is
// `counter_count` u64 counters (a struct of them, KE_COUNTER_MAP in bpf/include/ke_bpf.h); each
// counter is summed over CPUs. `key` points at key_size bytes.
void for_each_counters(
    int map_fd, size_t key_size, size_t counter_count,
    const std::function<void(const void* key, std::span<const uint64_t> sums)>& visit);

// The per-CPU sum of one element of a per-CPU array of u64.
uint64_t sum_percpu_u64(int map_fd, uint32_t index);

// Counts of a per-CPU u64 array map, summed over CPUs, index by index.
std::vector<uint64_t> sum_percpu_u64_array(int map_fd, uint32_t entries);

}  // namespace ke::bpf
