// Outstanding kernel allocations by allocating site (memleak, kernel mode).
#include "collectors/memleak.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>

#include "bpf/maps.hpp"
#include "collectors/bpf_collector.hpp"
#include "memleak.skel.h"

namespace ke::collectors {
namespace memleak {

std::string_view base_name(std::string_view function) {
  function = function.substr(0, function.find('.'));
  while (function.starts_with('_')) function.remove_prefix(1);
  constexpr std::string_view kProfilingSuffix = "_noprof";
  if (function.ends_with(kProfilingSuffix)) function.remove_suffix(kProfilingSuffix.size());
  return function;
}

bool is_page_allocator(std::string_view function) {
  static constexpr std::string_view kEntryPoints[] = {
      "alloc_pages",      "alloc_pages_mpol",       "alloc_frozen_pages",
      "alloc_pages_node", "alloc_pages_exact",      "alloc_pages_exact_nid",
      "alloc_pages_bulk", "alloc_pages_bulk_array", "alloc_pages_bulk_mempolicy",
      "folio_alloc",      "folio_alloc_mpol",       "vma_alloc_folio",
      "alloc_pages_vma",  "get_free_pages",         "get_zeroed_page"};
  const std::string_view name = base_name(function);
  return std::find(std::begin(kEntryPoints), std::end(kEntryPoints), name) !=
         std::end(kEntryPoints);
}

namespace {
// The BPF program, the tracepoint's glue and the stack walker, above the allocator's frames.
bool is_tracing(std::string_view function) {
  static constexpr std::string_view kPrefixes[] = {"bpf_", "perf_", "trace_", "traceiter_",
                                                   "tracing_"};
  const std::string_view name = base_name(function);
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](std::string_view prefix) { return name.starts_with(prefix); });
}
}  // namespace

std::string page_site(std::span<const std::string> functions) {
  bool seen_allocator = false;
  for (const std::string& function : functions) {
    if (is_page_allocator(function))
      seen_allocator = true;
    else if (seen_allocator)
      return function;
  }
  for (const std::string& function : functions)
    if (!is_tracing(function) && !is_page_allocator(function)) return function;
  return {};
}

bool is_slab_page_site(std::string_view site) {
  static constexpr std::string_view kSlabFunctions[] = {
      "allocate_slab",      "alloc_slab_page", "new_slab",      "slab_alloc",
      "kmalloc_large_node", "kmalloc_large",   "kmalloc_order", "kmalloc_order_trace"};
  const std::string_view name = base_name(site);
  return std::find(std::begin(kSlabFunctions), std::end(kSlabFunctions), name) !=
         std::end(kSlabFunctions);
}

}  // namespace memleak

namespace {

// Layouts of bpf/memleak.bpf.c's records.
struct Allocation {
  uint64_t size;
  uint64_t allocated_ns;
  uint64_t call_site;
};

constexpr size_t kPageFrames = 10;  // KE_MEMLEAK_PAGE_FRAMES
using PageFrames = std::array<uint64_t, kPageFrames>;
struct PageAllocation {
  uint64_t size;
  uint64_t allocated_ns;
  PageFrames frames;
};

constexpr std::string_view kMinAge = "min_age_seconds";
// Where a page allocation's stack names no site (a truncated stack).
constexpr std::string_view kUnknownSite = "unknown";

uint64_t monotonic_ns() {  // bpf_ktime_get_ns()'s clock
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec);
}

struct Totals {
  uint64_t allocations = 0;
  uint64_t bytes = 0;
  void add(uint64_t count, uint64_t size) {
    allocations += count;
    bytes += size;
  }
};

class MemleakCollector : public BpfCollector<memleak_bpf> {
 public:
  explicit MemleakCollector(const Context& context)
      : BpfCollector(KE_SKELETON_OPS(memleak_bpf), "memleak", context),
        symbols_(context.symbols),
        min_age_ns_(static_cast<uint64_t>(context.config.number(kMinAge) * 1e9)),
        allocations_("kernel_memleak_outstanding_allocations",
                     "Kernel allocations (slab objects, per-CPU areas, unmovable pages) made "
                     "since the collector started, older than the configured minimum age and not "
                     "freed, by allocating function; the sites with the most bytes.",
                     {"site"}, context.config, metrics::MetricType::gauge,
                     metrics::Admission::each_scrape),
        bytes_("kernel_memleak_outstanding_bytes",
               "Bytes of the allocations counted by kernel_memleak_outstanding_allocations, as "
               "allocated, by allocating function.",
               {"site"}, context.config, metrics::MetricType::gauge,
               metrics::Admission::each_scrape) {}

  void collect(ScrapeOutput& out) override {
    const uint64_t now = monotonic_ns();
    const uint64_t old_before = now > min_age_ns_ ? now - min_age_ns_ : 0;
    std::map<std::string, Totals> by_site;
    add_objects(old_before, by_site);
    add_pages(old_before, by_site);

    metrics::ValueMetric::Observations allocations, bytes;
    std::vector<uint64_t> ranks;  // both gauges show the sites holding the most bytes
    for (const auto& [site, totals] : by_site) {
      allocations.push_back({{site}, totals.allocations});
      bytes.push_back({{site}, totals.bytes});
      ranks.push_back(totals.bytes);
    }
    emit(allocations_, allocations, out, ranks);
    emit(bytes_, bytes, out);
    emit_drops(out);
  }

 private:
  // Slab objects and per-CPU areas: their call site names them.
  void add_objects(uint64_t old_before, std::map<std::string, Totals>& by_site) {
    std::unordered_map<uint64_t, Totals> by_call_site;
    bpf::for_each_entry<uint64_t, Allocation>(
        bpf_map__fd(skeleton_->maps.allocations), [&](uint64_t, const Allocation& allocation) {
          if (allocation.allocated_ns <= old_before)
            by_call_site[allocation.call_site].add(1, allocation.size);
        });
    std::vector<uint64_t> call_sites;
    for (const auto& [call_site, totals] : by_call_site) call_sites.push_back(call_site);
    const std::vector<std::string> functions = symbols_.functions_at(call_sites);
    for (size_t i = 0; i < call_sites.size(); ++i) {
      const Totals& totals = by_call_site[call_sites[i]];
      by_site[functions[i]].add(totals.allocations, totals.bytes);
    }
  }

  // Pages: named from their stacks (memleak::page_site); the slab allocator's own are skipped.
  void add_pages(uint64_t old_before, std::map<std::string, Totals>& by_site) {
    std::map<PageFrames, Totals> by_stack;
    bpf::for_each_entry<uint64_t, PageAllocation>(bpf_map__fd(skeleton_->maps.page_allocations),
                                                  [&](uint64_t, const PageAllocation& allocation) {
                                                    if (allocation.allocated_ns <= old_before)
                                                      by_stack[allocation.frames].add(
                                                          1, allocation.size);
                                                  });
    std::vector<uint64_t> addresses;
    for (const auto& [frames, totals] : by_stack)
      for (uint64_t address : frames)
        if (address) addresses.push_back(address);
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    const std::vector<std::string> functions = symbols_.functions_at(addresses);
    std::vector<std::string> stack;
    for (const auto& [frames, totals] : by_stack) {
      stack.clear();
      for (uint64_t address : frames) {
        if (!address) break;
        const size_t index =
            std::lower_bound(addresses.begin(), addresses.end(), address) - addresses.begin();
        stack.push_back(functions[index]);
      }
      std::string site = memleak::page_site(stack);
      if (site.empty()) site = kUnknownSite;
      if (memleak::is_slab_page_site(site)) continue;
      by_site[site].add(totals.allocations, totals.bytes);
    }
  }

  symbols::KernelSymbols& symbols_;
  const uint64_t min_age_ns_;
  metrics::ValueMetric allocations_;
  metrics::ValueMetric bytes_;
};

}  // namespace

Descriptor memleak_descriptor() {
  return {"memleak",
          "Outstanding kernel allocations by allocating site",
          // Off by default: it records and deletes a map entry on every allocation and free.
          false,
          {"site"},
          false,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<MemleakCollector>(context);
          },
          // Allocations younger than this are not reported: most kernel objects live
          // milliseconds, and only what stays is of interest (bcc's memleak: 500 ms).
          {{std::string(kMinAge), 5.0, 0, 86400}}};
}

}  // namespace ke::collectors
