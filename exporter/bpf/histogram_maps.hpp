// The user-space half of bpf/include/ke_hist.h: configuring an object's histogram bucketing
// before load and reading its histogram maps.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <functional>
#include <span>

#include "ke_hist.h"

namespace ke::bpf {

// The bucketing configuration of `schema` (0..KE_HIST_MAX_SCHEMA): bounds_ns[r] =
// floor(2^(r/2^schema - 30) * 10^9), computed in 113-bit floating point so that no bound is off
// by one.
ke_hist_config histogram_config(int schema);

// After open, before load: writes the configuration into the object's .rodata.ke_hist and
// shrinks every histogram map (KE_HIST_MAP / KE_HIST_ARRAY) to the schema's value size.
void configure_histograms(bpf_object* object, int schema);

// Calls visit(key, per_cpu_slots_summed, sum_ns) for every entry of a histogram map.
// `key` points at key_size bytes; the slot span has KE_HIST_SLOT_COUNT(schema) entries.
void for_each_histogram(int map_fd, size_t key_size, int schema,
                        const std::function<void(const void* key, std::span<const uint64_t> slots,
                                                 uint64_t sum_ns)>& visit);

}  // namespace ke::bpf
