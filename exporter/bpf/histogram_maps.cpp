#include "bpf/histogram_maps.hpp"

#include <bpf/bpf.h>
#include <quadmath.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bpf/maps.hpp"

namespace ke::bpf {

ke_hist_config histogram_config(int schema) {
  if (schema < 0 || schema > KE_HIST_MAX_SCHEMA)
    throw std::invalid_argument("histogram schema " + std::to_string(schema) + " is not 0..3");
  ke_hist_config config{};
  config.schema = static_cast<uint32_t>(schema);
  config.slot_count = KE_HIST_SLOT_COUNT(schema);
  const int per_power = 1 << schema;
  for (int r = 0; r <= KE_HIST_MAX_REL(schema); ++r) {
    // Bounds at whole powers of two are exact in any precision; the others are irrational and
    // 113 bits keep them far from the nearest integer's rounding boundary.
    __float128 bound = exp2q(static_cast<__float128>(r) / per_power - KE_HIST_UNIT_SHIFT) *
                       static_cast<__float128>(1000000000);
    config.bounds_ns[r] = static_cast<uint64_t>(floorq(bound));
  }
  return config;
}

void configure_histograms(bpf_object* object, int schema) {
  const ke_hist_config config = histogram_config(schema);
  bpf_map* map;
  bpf_object__for_each_map(map, object) {
    if (std::strstr(bpf_map__name(map), ".rodata.ke_hist")) {
      if (bpf_map__set_initial_value(map, &config, sizeof config) != 0)
        throw std::runtime_error("cannot write the .rodata.ke_hist section");
    } else if (bpf_map__value_size(map) == sizeof(ke_hist)) {
      bpf_map__set_value_size(map, ke_hist_value_size(schema));
    }
  }
}

void for_each_histogram(int map_fd, size_t key_size, int schema,
                        const std::function<void(const void* key, std::span<const uint64_t> slots,
                                                 uint64_t sum_ns)>& visit) {
  // A histogram value is u64 words (sum_ns, then the slots), summed over CPUs like counters.
  const size_t words = ke_hist_value_size(schema) / sizeof(uint64_t);
  for_each_counters(map_fd, key_size, words, [&](const void* key, std::span<const uint64_t> sums) {
    visit(key, sums.subspan(1), sums[0]);
  });
}

}  // namespace ke::bpf
