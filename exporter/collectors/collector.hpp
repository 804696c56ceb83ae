// The collector interface. A collector owns its BPF skeleton and, at scrape time, turns its maps
// into metric families; nothing it does runs per event in user space.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bpf/loader.hpp"
#include "config/config.hpp"
#include "metrics/model.hpp"
#include "symbols/kernel_symbols.hpp"

namespace ke::collectors {

// What one scrape of one collector produced.
struct ScrapeOutput {
  std::vector<metrics::Family> families;
  // Cumulative events folded into "other" by the label limit, per metric name.
  std::vector<std::pair<std::string, uint64_t>> folded_events;
  // Cumulative events the BPF programs dropped, per reason (see bpf/include/ke_drops.h).
  std::vector<std::pair<std::string, uint64_t>> dropped_events;
};

struct Context {
  const config::CollectorConfig& config;
  const bpf::LoaderOptions& loader;
  symbols::KernelSymbols& symbols;
};

class Collector {
 public:
  virtual ~Collector() = default;
  // Appends this scrape's metrics; throws on failure (the scrape then reports success 0).
  virtual void collect(ScrapeOutput& out) = 0;
  // Each BPF program slot and the hook it attached with.
  virtual const std::vector<bpf::ProgramStatus>& programs() const = 0;
};

struct Descriptor {
  std::string name;
  std::string description;
  bool default_enabled;
  std::vector<std::string> labels;  // labels the config may filter on
  bool has_histograms;
  // Loads and attaches; throws bpf::LoadError (or another exception) when unavailable.
  std::unique_ptr<Collector> (*create)(const Context&);
  // The collector's own options (`options:` in its configuration), with their defaults.
  std::vector<config::Option> options = {};
  // Symbols it looks up with KernelSymbols::addresses_of while loading: the exporter looks up
  // those of every enabled collector in one read of /proc/kallsyms (~50 ms of kernel time on a
  // 120,000-symbol kernel) while the collectors load.
  std::span<const std::string_view> kallsyms_names = {};
};

// Every collector, in the order they are listed in registry.cpp.
const std::vector<Descriptor>& all();

// The config schema of every collector.
std::vector<config::CollectorSchema> schemas();

}  // namespace ke::collectors
