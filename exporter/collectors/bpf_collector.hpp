// Plumbing shared by collectors built on a BPF skeleton: loading it with the collector's
// histogram schema, owning it, reading its histogram and drop-counter maps, and handing
// histograms, counters and gauges to their HistogramMetric and ValueMetric.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bpf/histogram_maps.hpp"
#include "bpf/loader.hpp"
#include "collectors/collector.hpp"
#include "metrics/histogram_metric.hpp"
#include "metrics/value_metric.hpp"

namespace ke::collectors {

// Histograms of a map keyed by kernel function address, labelled by function name.
metrics::HistogramMetric::Observations read_function_histograms(int map_fd, int schema,
                                                                symbols::KernelSymbols& symbols);

// Histograms of a per-CPU array, labelled by index through `names` (indices past it skipped);
// empty histograms are left out.
metrics::HistogramMetric::Observations read_indexed_histograms(
    int map_fd, int schema, std::span<const std::string_view> names);

// Appends the family of `metric` for `observations` and its folded-event count.
void emit(metrics::HistogramMetric& metric,
          const metrics::HistogramMetric::Observations& observations, ScrapeOutput& out);

// Appends the family of counter or gauge `metric` for `observations` (ranked by `ranks` when
// given, see ValueMetric::collect) and, for a counter, its folded-event count.
void emit(metrics::ValueMetric& metric, const metrics::ValueMetric::Observations& observations,
          ScrapeOutput& out, std::span<const uint64_t> ranks = {});

// Appends the program's drop counters (the ke_drops map of bpf/include/ke_bpf.h).
void emit_drops(int drops_map_fd, ScrapeOutput& out);

template <class Skel>
class BpfCollector : public Collector {
 public:
  const std::vector<bpf::ProgramStatus>& programs() const override { return skeleton_.programs(); }

 protected:
  // Loads the skeleton with fallback, its histograms bucketed at the configured schema;
  // `configure` (optional) sets the collector's own read-only data after each open.
  BpfCollector(const bpf::SkeletonOps& ops, std::string_view name, const Context& context,
               const std::function<void(Skel*)>& configure = {})
      : schema_(context.config.histogram.schema),
        skeleton_(bpf::Skeleton<Skel>::load(ops, name, context.loader, [&](Skel* skeleton) {
          bpf::configure_histograms(skeleton->obj, schema_);
          if (configure) configure(skeleton);
        })) {}

  // Whether program slot `slot` attached with some hook.
  bool slot_attached(std::string_view slot) const {
    for (const bpf::ProgramStatus& program : skeleton_.programs())
      if (program.slot == slot) return program.attached();
    return false;
  }

  // Every BPF collector ends its collect() with this.
  void emit_drops(ScrapeOutput& out) const {
    collectors::emit_drops(bpf_map__fd(skeleton_->maps.ke_drops), out);
  }

  const int schema_;
  bpf::Skeleton<Skel> skeleton_;
};

}  // namespace ke::collectors
