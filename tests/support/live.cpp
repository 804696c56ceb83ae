#include "live.hpp"

#include <gtest/gtest.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "test_support.hpp"

namespace ke::test {

LiveCollector::LiveCollector(std::string_view name, const std::string& disabled_hooks,
                             const std::function<void(config::CollectorConfig&)>& adjust)
    : config_(default_collector_config(name)) {
  if (adjust) adjust(config_);
  for (size_t start = 0; start < disabled_hooks.size();) {
    size_t comma = disabled_hooks.find(',', start);
    if (comma == std::string::npos) comma = disabled_hooks.size();
    loader_.disabled_hooks.insert(disabled_hooks.substr(start, comma - start));
    start = comma + 1;
  }
  for (const auto& descriptor : collectors::all())
    if (descriptor.name == name) collector_ = descriptor.create({config_, loader_, symbols_});
}

collectors::ScrapeOutput LiveCollector::scrape() {
  collectors::ScrapeOutput out;
  collector_->collect(out);
  return out;
}

Families LiveCollector::collect() {
  return std::move(scrape().families);
}

bool kallsyms_lists(std::string_view symbol) {
  std::ifstream kallsyms("/proc/kallsyms");
  for (std::string address, type, name; kallsyms >> address >> type >> name;) {
    if (name == symbol) return true;
    kallsyms.ignore(256, '\n');
  }
  return false;
}

void test_run(int program_fd, std::vector<uint64_t> args, int cpu) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args.data(),
              .ctx_size_in = static_cast<__u32>(args.size() * sizeof(uint64_t)));
  if (cpu >= 0) {
    opts.flags = BPF_F_TEST_RUN_ON_CPU;
    opts.cpu = static_cast<__u32>(cpu);
  }
  ASSERT_EQ(bpf_prog_test_run_opts(program_fd, &opts), 0) << std::strerror(errno);
}

void autoload_only(bpf_object* object, std::string_view hook) {
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    bpf_program__set_autoload(program,
                              bpf::parse_program_name(bpf_program__name(program)).hook == hook);
  }
}

}  // namespace ke::test
