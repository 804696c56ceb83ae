// Counters and gauges with the label limit: sticky admission for counters, a fresh top-K each
// scrape for gauges of current state, ranked by the metric's own values or by given ranks.
#include "metrics/value_metric.hpp"

#include <gtest/gtest.h>

#include <map>

#include "collectors/collector.hpp"

namespace ke::metrics {
namespace {

config::CollectorConfig memleak_config(std::string_view yaml) {
  auto parsed = config::parse_config(yaml, "<test>", collectors::schemas());
  EXPECT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].str());
  return parsed.config.collectors.at("memleak");
}

std::map<std::string, double> values(const Family& family) {
  std::map<std::string, double> result;
  for (const auto& sample : family.samples) result[sample.labels.at(0).value] = sample.value;
  return result;
}

using Values = std::map<std::string, double>;

TEST(ValueMetric, StickyAdmissionKeepsTheFirstBusiestValues) {
  auto config = memleak_config("collectors: {memleak: {label_limit: 1}}");
  ValueMetric metric("m", "help", {"site"}, config);
  EXPECT_EQ(values(metric.collect({{{"a"}, 5}, {{"b"}, 3}})), (Values{{"a", 5}, {"other", 3}}));
  EXPECT_EQ(metric.folded_events(), 3u);
  // "b" is now the busiest, but "a" keeps its place: a counter's series must not flap.
  EXPECT_EQ(values(metric.collect({{{"a"}, 6}, {{"b"}, 30}})), (Values{{"a", 6}, {"other", 30}}));
  EXPECT_EQ(metric.name(), "m");
  EXPECT_EQ(metric.type(), MetricType::counter);
}

TEST(ValueMetric, EachScrapeAdmissionShowsTheTopValuesOfThisScrape) {
  auto config = memleak_config("collectors: {memleak: {label_limit: 2}}");
  ValueMetric metric("g", "help", {"site"}, config, MetricType::gauge, Admission::each_scrape);
  EXPECT_EQ(values(metric.collect({{{"a"}, 5}, {{"b"}, 3}, {{"c"}, 1}})),
            (Values{{"a", 5}, {"b", 3}, {"other", 1}}));
  EXPECT_EQ(values(metric.collect({{{"a"}, 1}, {{"b"}, 3}, {{"c"}, 9}})),
            (Values{{"b", 3}, {"c", 9}, {"other", 1}}));
  EXPECT_EQ(metric.name(), "g");
}

TEST(ValueMetric, RanksChooseTheValuesShown) {
  auto config = memleak_config("collectors: {memleak: {label_limit: 1}}");
  ValueMetric counts("g", "help", {"site"}, config, MetricType::gauge, Admission::each_scrape);
  // Many small allocations at "small", few big ones at "big": ranked by bytes, "big" is shown.
  const std::vector<uint64_t> bytes = {100, 1'000'000};
  EXPECT_EQ(values(counts.collect({{{"small"}, 50}, {{"big"}, 2}}, bytes)),
            (Values{{"big", 2}, {"other", 50}}));
}

TEST(ValueMetric, OtherNeverTakesTheRoomOfARealValue) {
  auto config = memleak_config("collectors: {memleak: {label_limit: 1}}");
  ValueMetric metric("g", "help", {"site"}, config, MetricType::gauge, Admission::each_scrape);
  EXPECT_EQ(values(metric.collect({{{"other"}, 100}, {{"a"}, 1}})),
            (Values{{"a", 1}, {"other", 100}}));
}

TEST(ValueMetric, FilteredValuesTakeNoRoom) {
  auto config = memleak_config(
      "collectors: {memleak: {label_limit: 1, filters: {site: {exclude: [noisy]}}}}");
  ValueMetric metric("g", "help", {"site"}, config, MetricType::gauge, Admission::each_scrape);
  EXPECT_EQ(values(metric.collect({{{"noisy"}, 100}, {{"a"}, 1}})), (Values{{"a", 1}}));
}

TEST(ValueMetric, EqualLabelValuesAddUp) {
  auto config = memleak_config("");
  ValueMetric metric("g", "help", {"site"}, config, MetricType::gauge);
  EXPECT_EQ(values(metric.collect({{{"a"}, 1}, {{"a"}, 2}})), (Values{{"a", 3}}));
}

}  // namespace
}  // namespace ke::metrics
