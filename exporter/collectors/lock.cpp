// Lock contention (perf lock contention): how long contended waits last, by lock type and by
// the function that waited; optionally by named global lock.
#include "collectors/lock.hpp"

#include <cstring>

#include "collectors/bpf_collector.hpp"
#include "ke_lock.h"
#include "lock.skel.h"
#include "log/log.hpp"
#include "symbols/kernel_layout.hpp"

namespace ke::collectors {

std::string_view lock_type_name(uint32_t flags) {
  switch (flags) {
    case 0:
      return "semaphore";
    case KE_LCB_F_SPIN:
      return "spinlock";
    case KE_LCB_F_SPIN | KE_LCB_F_READ:
      return "rwlock:R";
    case KE_LCB_F_SPIN | KE_LCB_F_WRITE:
      return "rwlock:W";
    case KE_LCB_F_READ:
      return "rwsem:R";
    case KE_LCB_F_WRITE:
      return "rwsem:W";
    case KE_LCB_F_RT:
      return "rt-mutex";
    case KE_LCB_F_PERCPU | KE_LCB_F_READ:
      return "pcpu-sem:R";
    case KE_LCB_F_PERCPU | KE_LCB_F_WRITE:
      return "pcpu-sem:W";
    case KE_LCB_F_MUTEX:
      return "mutex";
    case KE_LCB_F_MUTEX | KE_LCB_F_SPIN:
      return "mutex-spin";
    default:
      return "unknown";
  }
}

namespace {

constexpr const char* kNamedLocks = "named_locks";
constexpr const char* kUnknownCaller = "unknown";

// What the BPF programs need to know of the running kernel's layout.
struct Layout {
  ke_lock_config config{};
  // kallsyms lists variables (CONFIG_KALLSYMS_ALL), so global locks can be named.
  bool variables_listed = false;
};

// The locking API's and the scheduler's text (a caller is found outside them) and the kernel
// image's layout.
constexpr std::string_view kLayoutNames[] = {"__lock_text_start",
                                             "__lock_text_end",
                                             "__sched_text_start",
                                             "__sched_text_end",
                                             symbols::kKernelLayoutSymbols[0],
                                             symbols::kKernelLayoutSymbols[1],
                                             symbols::kKernelLayoutSymbols[2]};

Layout read_layout(symbols::KernelSymbols& symbols, bool named_locks) {
  const auto found = symbols.addresses_of(kLayoutNames);
  auto range = [&](std::string_view start, std::string_view end) {
    const auto first = found.find(start), last = found.find(end);
    if (first == found.end() || last == found.end() || last->second <= first->second)
      return ke_address_range{};
    return ke_address_range{first->second, last->second};
  };
  Layout layout;
  layout.config.infrastructure[0] = range("__lock_text_start", "__lock_text_end");
  layout.config.infrastructure[1] = range("__sched_text_start", "__sched_text_end");
  if (layout.config.infrastructure[0].end == 0 && layout.config.infrastructure[1].end == 0)
    log::warn("lock: every caller will be \"unknown\": /proc/kallsyms shows no locking text range",
              {{"hint", "needs CAP_SYSLOG"}});
  layout.variables_listed = found.contains("_sdata");
  if (named_locks) {
    if (auto data = symbols::kernel_data_range(found, symbols::read_iomem())) {
      layout.config.global_data = {data->start, data->end};
    } else {
      log::warn(
          "lock: named_locks is on but the kernel's data section is unknown (no _sdata/_end in "
          "/proc/kallsyms, /proc/iomem unreadable): the lock label stays empty");
    }
  }
  return layout;
}

class LockCollector : public BpfCollector<lock_bpf> {
 public:
  LockCollector(const Context& context, const Layout& layout)
      : BpfCollector(KE_SKELETON_OPS(lock_bpf), "lock", context,
                     [&](lock_bpf* skeleton) { skeleton->rodata->lock_config = layout.config; }),
        symbols_(context.symbols),
        named_locks_(context.config.flag(kNamedLocks)),
        variables_listed_(layout.variables_listed),
        wait_time_("kernel_lock_contention_wait_seconds",
                   "Time a contended lock was waited for (slow path, spinning or sleeping), by "
                   "lock type and calling function" +
                       std::string(named_locks_ ? " and, for global locks, lock name." : "."),
                   named_locks_ ? std::vector<std::string>{"lock_type", "caller", "lock"}
                                : std::vector<std::string>{"lock_type", "caller"},
                   context.config) {
    // Only now are both programs attached (see `enabled` in bpf/lock.bpf.c).
    skeleton_->bss->enabled = 1;
  }

  void collect(ScrapeOutput& out) override {
    std::vector<ke_lock_key> keys;
    std::vector<metrics::Log2Histogram> histograms;
    bpf::for_each_histogram(bpf_map__fd(skeleton_->maps.wait_time), sizeof(ke_lock_key), schema_,
                            [&](const void* key, std::span<const uint64_t> slots, uint64_t sum_ns) {
                              keys.emplace_back();
                              std::memcpy(&keys.back(), key, sizeof(ke_lock_key));
                              histograms.emplace_back(schema_, slots, sum_ns);
                            });
    std::vector<uint64_t> callers, locks;
    for (const ke_lock_key& key : keys) {
      if (key.caller) callers.push_back(key.caller);
      if (key.lock) locks.push_back(key.lock);
    }
    const std::vector<std::string> caller_names = symbols_.functions_at(callers);
    std::vector<std::string> lock_names;
    if (variables_listed_) {
      lock_names = symbols_.variables_at(locks);
    } else {
      for (uint64_t lock : locks) lock_names.push_back(symbols::hex_address(lock));
    }

    metrics::HistogramMetric::Observations observations;
    size_t next_caller = 0, next_lock = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      std::vector<std::string> labels = {
          std::string(lock_type_name(keys[i].flags)),
          keys[i].caller ? caller_names[next_caller++] : kUnknownCaller};
      // Heap locks have no name: an empty value, which Prometheus treats as no label.
      if (named_locks_) labels.push_back(keys[i].lock ? lock_names[next_lock++] : "");
      observations.emplace_back(std::move(labels), std::move(histograms[i]));
    }
    emit(wait_time_, observations, out);
    emit_drops(out);
  }

 private:
  symbols::KernelSymbols& symbols_;
  const bool named_locks_;
  const bool variables_listed_;
  metrics::HistogramMetric wait_time_;
};

}  // namespace

Descriptor lock_descriptor() {
  return {"lock",
          "Contended lock wait time by lock type and caller",
          false,  // ~3 us per contended wait (bench/lock_cost.cpp), mostly the stack walk
          {"lock_type", "caller", "lock"},
          true,
          [](const Context& context) -> std::unique_ptr<Collector> {
            const Layout layout = read_layout(context.symbols, context.config.flag(kNamedLocks));
            return std::make_unique<LockCollector>(context, layout);
          },
          {{kNamedLocks, false}},
          kLayoutNames};
}

}  // namespace ke::collectors
