#include "test_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "collectors/collector.hpp"

namespace ke::test {

std::optional<std::string> live_unavailable_reason() {
  if (geteuid() != 0) return "not running as root";
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) return "the kernel has no BTF";
  return std::nullopt;
}

bool live_tests_required() {
  const char* value = std::getenv("KE_REQUIRE_LIVE_TESTS");
  return value && std::string_view(value) == "1";
}

config::CollectorConfig default_collector_config(std::string_view collector) {
  auto schemas = collectors::schemas();
  auto parsed = config::parse_config("", "<test>", schemas);
  EXPECT_TRUE(parsed.ok());
  return parsed.config.collectors.at(std::string(collector));
}

const metrics::Family* find_family(const std::vector<metrics::Family>& families,
                                   std::string_view name) {
  for (const auto& family : families)
    if (family.name == name) return &family;
  return nullptr;
}

const metrics::Sample* find_series(const std::vector<metrics::Family>& families,
                                   std::string_view name, const metrics::Labels& labels) {
  const metrics::Family* family = find_family(families, name);
  if (!family) return nullptr;
  for (const auto& sample : family->samples) {
    bool matches = true;
    for (const auto& label : labels)
      matches &=
          std::find(sample.labels.begin(), sample.labels.end(), label) != sample.labels.end();
    if (matches) return &sample;
  }
  return nullptr;
}

uint64_t histogram_count(const std::vector<metrics::Family>& families, std::string_view name,
                         const metrics::Labels& labels) {
  const metrics::Sample* series = find_series(families, name, labels);
  return series ? series->histogram.count : 0;
}

}  // namespace ke::test
