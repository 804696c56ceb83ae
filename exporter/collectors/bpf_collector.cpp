#include "collectors/bpf_collector.hpp"

#include <cstring>

#include "bpf/maps.hpp"
#include "ke_drops.h"

namespace ke::collectors {

metrics::HistogramMetric::Observations read_function_histograms(int map_fd, int schema,
                                                                symbols::KernelSymbols& symbols) {
  std::vector<uint64_t> addresses;
  std::vector<metrics::Log2Histogram> histograms;
  bpf::for_each_histogram(map_fd, sizeof(uint64_t), schema,
                          [&](const void* key, std::span<const uint64_t> slots, uint64_t sum_ns) {
                            uint64_t address;
                            std::memcpy(&address, key, sizeof address);
                            addresses.push_back(address);
                            histograms.emplace_back(schema, slots, sum_ns);
                          });
  std::vector<std::string> names = symbols.functions_at(addresses);
  metrics::HistogramMetric::Observations observations;
  for (size_t i = 0; i < names.size(); ++i)
    observations.push_back({{std::move(names[i])}, std::move(histograms[i])});
  return observations;
}

metrics::HistogramMetric::Observations read_indexed_histograms(
    int map_fd, int schema, std::span<const std::string_view> names) {
  metrics::HistogramMetric::Observations observations;
  bpf::for_each_histogram(map_fd, sizeof(uint32_t), schema,
                          [&](const void* key, std::span<const uint64_t> slots, uint64_t sum_ns) {
                            uint32_t index;
                            std::memcpy(&index, key, sizeof index);
                            metrics::Log2Histogram histogram(schema, slots, sum_ns);
                            if (index < names.size() && histogram.count() > 0)
                              observations.push_back({{std::string(names[index])}, histogram});
                          });
  return observations;
}

void emit(metrics::HistogramMetric& metric,
          const metrics::HistogramMetric::Observations& observations, ScrapeOutput& out) {
  out.families.push_back(metric.collect(observations));
  out.folded_events.emplace_back(metric.name(), metric.folded_events());
}

void emit(metrics::ValueMetric& metric, const metrics::ValueMetric::Observations& observations,
          ScrapeOutput& out, std::span<const uint64_t> ranks) {
  out.families.push_back(metric.collect(observations, ranks));
  // Folded events add up to a counter: a gauge's folded part comes and goes, and shows in its
  // own "other" series.
  if (metric.type() == metrics::MetricType::counter)
    out.folded_events.emplace_back(metric.name(), metric.folded_events());
}

void emit_drops(int drops_map_fd, ScrapeOutput& out) {
  static constexpr std::string_view kReasons[KE_DROP_REASONS] = {
      "hist_map_full", "inflight_map_full", "counter_map_full"};
  std::vector<uint64_t> counts = bpf::sum_percpu_u64_array(drops_map_fd, KE_DROP_REASONS);
  for (uint32_t reason = 0; reason < KE_DROP_REASONS; ++reason)
    out.dropped_events.emplace_back(std::string(kReasons[reason]), counts[reason]);
}

}  // namespace ke::collectors
