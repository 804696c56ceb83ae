// Helpers shared by the tests.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "metrics/model.hpp"

namespace ke::test {

// Why live tests cannot run here (not root, no kernel BTF), or nullopt when they can.
std::optional<std::string> live_unavailable_reason();
// True when KE_REQUIRE_LIVE_TESTS=1: the project's test command sets it, so that a live test
// that cannot run fails instead of skipping.
bool live_tests_required();

// A collector config with defaults, for constructing collectors directly.
config::CollectorConfig default_collector_config(std::string_view collector);

const metrics::Family* find_family(const std::vector<metrics::Family>& families,
                                   std::string_view name);
// The series of `name` whose labels include all of `labels`; null if none.
const metrics::Sample* find_series(const std::vector<metrics::Family>& families,
                                   std::string_view name, const metrics::Labels& labels);
// A histogram series' count, 0 when the series does not exist.
uint64_t histogram_count(const std::vector<metrics::Family>& families, std::string_view name,
                         const metrics::Labels& labels);

}  // namespace ke::test

// Skips a live test where it cannot run, or fails it where live tests are required.
#define KE_REQUIRE_LIVE_ENVIRONMENT()                                                  \
  do {                                                                                 \
    if (auto reason = ::ke::test::live_unavailable_reason()) {                         \
      if (::ke::test::live_tests_required())                                           \
        FAIL() << "live tests are required (KE_REQUIRE_LIVE_TESTS=1) but " << *reason; \
      GTEST_SKIP() << *reason;                                                         \
    }                                                                                  \
  } while (0)
