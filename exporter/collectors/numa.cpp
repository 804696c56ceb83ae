// Page migrations by reason and result, migration call latency, and NUMA task moves (numamove).
#include <bpf/btf.h>

#include <array>
#include <cctype>
#include <cstring>

#include "bpf/maps.hpp"
#include "collectors/bpf_collector.hpp"
#include "numa.skel.h"

namespace ke::collectors {
namespace {

constexpr uint32_t kReasons = 16;  // KE_NUMA_REASONS in bpf/numa.bpf.c
constexpr std::string_view kTaskMigrationTypes[] = {"move", "swap", "stick"};

// Names of enum migrate_reason values, from the running kernel's BTF, so that a reason added or
// renumbered by a later kernel is still named right: MR_COMPACTION -> "compaction". MR_SYSCALL
// takes the name the kernel's own tracepoint prints for it ("syscall_or_cpuset"). Values without
// an enum name (and everything past the map, which the BPF side counts in the last index) are
// "unknown".
std::vector<std::string> migrate_reason_names() {
  std::vector<std::string> names(kReasons, "unknown");
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return names;
  const int id = btf__find_by_name_kind(vmlinux, "migrate_reason", BTF_KIND_ENUM);
  if (id > 0) {
    const btf_type* type = btf__type_by_id(vmlinux, id);
    const struct btf_enum* values = btf_enum(type);
    for (int i = 0; i < btf_vlen(type); ++i) {
      std::string name = btf__name_by_offset(vmlinux, values[i].name_off);
      if (values[i].val < 0 || static_cast<uint32_t>(values[i].val) >= kReasons - 1 ||
          !name.starts_with("MR_") || name == "MR_TYPES")
        continue;
      name = name == "MR_SYSCALL" ? "syscall_or_cpuset" : name.substr(3);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      names[values[i].val] = name;
    }
  }
  btf__free(vmlinux);
  return names;
}

class NumaCollector : public BpfCollector<numa_bpf> {
 public:
  explicit NumaCollector(const Context& context)
      : BpfCollector(KE_SKELETON_OPS(numa_bpf), "numa", context),
        reason_names_(migrate_reason_names()),
        reason_views_(reason_names_.begin(), reason_names_.end()),
        pages_("kernel_numa_page_migrations_total",
               "Pages migrate_pages() moved (succeeded) or could not move (failed), by reason.",
               {"reason", "result"}, context.config),
        latency_("kernel_numa_migration_seconds",
                 "Duration of one migrate_pages() call, by reason (on kernels without the "
                 "migrate_pages tracepoints: of one migrate_misplaced_folio() or _page() call, "
                 "as numa_misplaced).",
                 {"reason"}, context.config),
        tasks_("kernel_numa_task_migrations_total",
               "Tasks the NUMA balancer moved to another node's CPU (move), swapped with a task "
               "there (swap) or left in place after a failed swap (stick).",
               {"type"}, context.config) {
    skeleton_->bss->time_misplaced_calls = !tracepoints_attached();
  }

  void collect(ScrapeOutput& out) override {
    std::vector<std::array<uint64_t, 2>> pages(kReasons);
    bpf::for_each_counters(bpf_map__fd(skeleton_->maps.pages), sizeof(uint32_t), 2,
                           [&](const void* key, std::span<const uint64_t> sums) {
                             uint32_t reason;
                             std::memcpy(&reason, key, sizeof reason);
                             if (reason < kReasons) pages[reason] = {sums[0], sums[1]};
                           });
    // Every named reason, zeros included, so that rate() has a start for rare reasons.
    metrics::ValueMetric::Observations page_observations;
    for (uint32_t reason = 0; reason < kReasons; ++reason) {
      if (reason_names_[reason] == "unknown" && !pages[reason][0] && !pages[reason][1]) continue;
      page_observations.push_back({{reason_names_[reason], "succeeded"}, pages[reason][0]});
      page_observations.push_back({{reason_names_[reason], "failed"}, pages[reason][1]});
    }
    emit(pages_, page_observations, out);
    emit(latency_,
         read_indexed_histograms(bpf_map__fd(skeleton_->maps.migration_time), schema_,
                                 reason_views_),
         out);
    std::vector<uint64_t> tasks = bpf::sum_percpu_u64_array(
        bpf_map__fd(skeleton_->maps.task_migrations), std::size(kTaskMigrationTypes));
    metrics::ValueMetric::Observations task_observations;
    for (size_t type = 0; type < tasks.size(); ++type)
      task_observations.push_back({{std::string(kTaskMigrationTypes[type])}, tasks[type]});
    emit(tasks_, task_observations, out);
    emit_drops(out);
  }

 private:
  // Whether migrate_pages() is timed by its tracepoints; else the fallback function hooks time
  // the NUMA fault path's migrations (bpf/numa.bpf.c).
  bool tracepoints_attached() const {
    return slot_attached("migrate_start") && slot_attached("migrate_end");
  }

  std::vector<std::string> reason_names_;
  std::vector<std::string_view> reason_views_;
  metrics::ValueMetric pages_;
  metrics::HistogramMetric latency_;
  metrics::ValueMetric tasks_;
};

}  // namespace

Descriptor numa_descriptor() {
  return {"numa",
          "Page migrations by reason and result, migration latency, NUMA task moves",
          true,
          {"reason", "result", "type"},
          true,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<NumaCollector>(context);
          }};
}

}  // namespace ke::collectors
