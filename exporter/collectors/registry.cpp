#include "collectors/collector.hpp"

// Every collector, one entry each; collectors/<name>.cpp defines <name>_descriptor().
#define KE_COLLECTORS(X) \
  X(loadavg)             \
  X(workqueue)           \
  X(softirq)             \
  X(slab)                \
  X(numa)                \
  X(memleak)             \
  X(mutex)               \
  X(lock)

namespace ke::collectors {

#define KE_DECLARE_DESCRIPTOR(name) Descriptor name##_descriptor();
KE_COLLECTORS(KE_DECLARE_DESCRIPTOR)

const std::vector<Descriptor>& all() {
#define KE_LIST_DESCRIPTOR(name) name##_descriptor(),
  static const std::vector<Descriptor> descriptors = {KE_COLLECTORS(KE_LIST_DESCRIPTOR)};
  return descriptors;
}

std::vector<config::CollectorSchema> schemas() {
  std::vector<config::CollectorSchema> result;
  for (const Descriptor& d : all())
    result.push_back({d.name, d.default_enabled, d.labels, d.has_histograms, d.options});
  return result;
}

}  // namespace ke::collectors
