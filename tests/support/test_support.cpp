#include "test_support.hpp"

#include <unistd.h>

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

const prometheus::MetricFamily* find_family(const std::vector<prometheus::MetricFamily>& families,
                                            std::string_view name) {
  for (const auto& family : families)
    if (family.name == name) return &family;
  return nullptr;
}

const prometheus::ClientMetric* find_series(
    const std::vector<prometheus::MetricFamily>& families, std::string_view name,
    const std::vector<std::pair<std::string, std::string>>& labels) {
  const prometheus::MetricFamily* family = find_family(families, name);
  if (!family) return nullptr;
  for (const auto& metric : family->metric) {
    bool matches = true;
    for (const auto& [label, value] : labels) {
      bool found = false;
      for (const auto& pair : metric.label) found |= pair.name == label && pair.value == value;
      matches &= found;
    }
    if (matches) return &metric;
  }
  return nullptr;
}

uint64_t histogram_count(const std::vector<prometheus::MetricFamily>& families,
                         std::string_view name,
                         const std::vector<std::pair<std::string, std::string>>& labels) {
  const prometheus::ClientMetric* series = find_series(families, name, labels);
  return series ? series->histogram.sample_count : 0;
}

}  // namespace ke::test
