// Helpers of the live tests: a collector loaded and attached as the exporter does it, and BPF
// programs run with synthetic tracepoint arguments (BPF_PROG_TEST_RUN).
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/collector.hpp"

namespace ke::test {

using Families = std::vector<metrics::Family>;

// One collector with its default configuration (changed by `adjust` when given), loaded with
// the comma-separated hook families `disabled_hooks` disabled, as --bpf.disable-hooks does.
class LiveCollector {
 public:
  explicit LiveCollector(std::string_view name, const std::string& disabled_hooks = "",
                         const std::function<void(config::CollectorConfig&)>& adjust = {});

  Families collect();
  collectors::ScrapeOutput scrape();  // families and the self-metrics' inputs
  const std::vector<bpf::ProgramStatus>& programs() const { return collector_->programs(); }

 private:
  config::CollectorConfig config_;
  bpf::LoaderOptions loader_;
  symbols::KernelSymbols symbols_;
  std::unique_ptr<collectors::Collector> collector_;
};

// Whether /proc/kallsyms lists `symbol` (variables only with CONFIG_KALLSYMS_ALL).
bool kallsyms_lists(std::string_view symbol);

// Runs a raw_tp program once with synthetic tracepoint arguments: in this thread, or on `cpu`
// when it is not negative (then `current` is whatever runs there).
void test_run(int program_fd, std::vector<uint64_t> args, int cpu = -1);

// Before load: keeps only the `hook` variants of an object's program slots (raw_tp ones load
// whether or not the kernel has the tracepoint, and can be test-run).
void autoload_only(bpf_object* object, std::string_view hook);

}  // namespace ke::test
