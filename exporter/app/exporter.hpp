// Owns the enabled collectors and turns one scrape into a page: the collectors' families plus
// the exporter's own metrics (build info, collector up/success/duration, hooks, drops, folds).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bpf/loader.hpp"
#include "collectors/collector.hpp"
#include "config/config.hpp"
#include "http/server.hpp"
#include "metrics/model.hpp"
#include "symbols/kernel_symbols.hpp"

namespace ke::app {

class Exporter {
 public:
  // Loads and attaches every enabled collector; one that cannot is logged and reported down,
  // the others keep working.
  Exporter(const config::Config& config, const bpf::LoaderOptions& loader);

  // One synchronous scrape, in the format the Accept header asks for.
  http::Response scrape(std::string_view accept);
  // The page of one scrape: every collector's families and the exporter's own. Scrapes are
  // serialised.
  std::vector<metrics::Family> collect();
  std::string landing_page(std::string_view telemetry_path) const;
  // Time from construction start to all collectors loaded and attached.
  std::chrono::milliseconds startup_duration() const { return startup_duration_; }

 private:
  struct Entry {
    std::string name;
    std::unique_ptr<collectors::Collector> collector;  // null when unavailable
    std::string error;
    std::vector<bpf::ProgramStatus> programs;
  };

  symbols::KernelSymbols symbols_;
  std::vector<Entry> entries_;
  std::mutex scrape_mutex_;
  std::chrono::milliseconds startup_duration_{0};
};

}  // namespace ke::app
