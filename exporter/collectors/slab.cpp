// Slab allocations, allocated bytes and frees by cache (slabratetop).
#include <array>
#include <cstring>
#include <map>
#include <regex>

#include "bpf/maps.hpp"
#include "collectors/bpf_collector.hpp"
#include "slab.skel.h"

namespace ke::collectors {
namespace {

// Layouts of bpf/slab.bpf.c's map values.
struct CacheInfo {
  uint64_t object_size;
  char name[48];
};
constexpr size_t kCacheCounters = 2;    // allocations, frees
constexpr size_t kKmallocCounters = 2;  // allocations, bytes
constexpr std::array<std::string_view, 14> kKmallocClasses = {
    "kmalloc-8",   "kmalloc-16",  "kmalloc-32",  "kmalloc-64",   "kmalloc-96",
    "kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512",  "kmalloc-1k",
    "kmalloc-2k",  "kmalloc-4k",  "kmalloc-8k",  "kmalloc-large"};

// The kmalloc caches exist in variants (kmalloc-cg-64 for memcg-accounted objects,
// kmalloc-rnd-NN-64 with CONFIG_RANDOM_KMALLOC_CACHES, kmalloc-rcl-64, dma-kmalloc-64):
// kmem:kmalloc cannot tell them apart, so a variant seen through kmem_cache_alloc is shown under
// the plain class name too, and a class has one series.
std::string plain_cache_name(const std::string& name) {
  static const std::regex kVariant("(?:dma-)?kmalloc-(?:cg-|rcl-|rnd-\\d+-)?(\\w+)");
  std::smatch match;
  if (std::regex_match(name, match, kVariant)) return "kmalloc-" + match[1].str();
  return name;
}

class SlabCollector : public BpfCollector<slab_bpf> {
 public:
  explicit SlabCollector(const Context& context)
      : BpfCollector(KE_SKELETON_OPS(slab_bpf), "slab", context),
        allocations_("kernel_slab_allocations_total",
                     "Slab objects allocated, by cache (kmalloc() by size class).", {"cache"},
                     context.config),
        bytes_("kernel_slab_allocated_bytes_total",
               "Bytes of slab objects allocated, object size as allocated, by cache.", {"cache"},
               context.config),
        frees_("kernel_slab_frees_total",
               "Slab objects freed with kmem_cache_free(), by cache (kfree() names no cache).",
               {"cache"}, context.config) {}

  void collect(ScrapeOutput& out) override {
    std::map<uint64_t, CacheInfo> infos;
    read_infos(infos);
    struct Totals {
      uint64_t allocations = 0, bytes = 0, frees = 0;
    };
    std::map<std::string, Totals> totals;
    bpf::for_each_counters(bpf_map__fd(skeleton_->maps.cache_counts), sizeof(uint64_t),
                           kCacheCounters, [&](const void* key, std::span<const uint64_t> sums) {
                             uint64_t id;
                             std::memcpy(&id, key, sizeof id);
                             auto info = infos.find(id);
                             // Counted just before its info was stored: next scrape.
                             if (info == infos.end()) return;
                             Totals& t = totals[plain_cache_name(info->second.name)];
                             t.allocations += sums[0];
                             t.bytes += sums[0] * info->second.object_size;
                             t.frees += sums[1];
                           });
    bpf::for_each_counters(bpf_map__fd(skeleton_->maps.kmalloc_counts), sizeof(uint32_t),
                           kKmallocCounters, [&](const void* key, std::span<const uint64_t> sums) {
                             uint32_t index;
                             std::memcpy(&index, key, sizeof index);
                             if (index >= kKmallocClasses.size() || sums[0] == 0) return;
                             Totals& t = totals[std::string(kKmallocClasses[index])];
                             t.allocations += sums[0];
                             t.bytes += sums[1];
                           });
    metrics::ValueMetric::Observations allocations, bytes, frees;
    for (const auto& [cache, t] : totals) {
      allocations.push_back({{cache}, t.allocations});
      bytes.push_back({{cache}, t.bytes});
      if (t.frees) frees.push_back({{cache}, t.frees});
    }
    emit(allocations_, allocations, out);
    emit(bytes_, bytes, out);
    emit(frees_, frees, out);
    emit_drops(out);
  }

 private:
  void read_infos(std::map<uint64_t, CacheInfo>& infos) const {
    bpf::for_each_entry<uint64_t, CacheInfo>(bpf_map__fd(skeleton_->maps.cache_infos),
                                             [&](uint64_t id, CacheInfo info) {
                                               info.name[sizeof info.name - 1] = '\0';
                                               infos[id] = info;
                                             });
  }

  metrics::ValueMetric allocations_;
  metrics::ValueMetric bytes_;
  metrics::ValueMetric frees_;
};

}  // namespace

Descriptor slab_descriptor() {
  return {"slab",
          "Slab allocations, allocated bytes and frees by cache (kmalloc() by size class)",
          // Off by default: it hooks every slab allocation, among the hottest kernel paths.
          false,
          {"cache"},
          false,
          [](const Context& context) -> std::unique_ptr<Collector> {
            return std::make_unique<SlabCollector>(context);
          }};
}

}  // namespace ke::collectors
