#include "metrics/histogram_metric.hpp"

#include <gtest/gtest.h>

#include "collectors/collector.hpp"
#include "test_support.hpp"

namespace ke::metrics {
namespace {

Log2Histogram with_count(uint64_t count) {
  Log2Histogram h(0);
  h.add(10, count);
  return h;
}

config::CollectorConfig config_with(std::string_view yaml) {
  auto parsed = config::parse_config(yaml, "<test>", collectors::schemas());
  EXPECT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].str());
  return parsed.config.collectors.at("workqueue");
}

std::map<std::string, uint64_t> counts(const Family& family) {
  std::map<std::string, uint64_t> result;
  for (const auto& sample : family.samples)
    result[sample.labels.at(0).value] = sample.histogram.count;
  return result;
}

TEST(HistogramMetric, SeriesPerLabelValueWithClassicBuckets) {
  auto config = config_with("");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  auto family = metric.collect({{{"a"}, with_count(3)}, {{"b"}, with_count(4)}});
  EXPECT_EQ(family.name, "m_seconds");
  EXPECT_EQ(family.type, MetricType::histogram);
  EXPECT_EQ(counts(family), (std::map<std::string, uint64_t>{{"a", 3}, {"b", 4}}));
  EXPECT_EQ(family.samples[0].labels[0].name, "function");
  EXPECT_EQ(metric.folded_events(), 0u);
}

TEST(HistogramMetric, SameNameFromSeveralAddressesIsMerged) {
  auto config = config_with("");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  auto family = metric.collect({{{"a"}, with_count(3)}, {{"a"}, with_count(4)}});
  EXPECT_EQ(counts(family), (std::map<std::string, uint64_t>{{"a", 7}}));
}

TEST(HistogramMetric, BeyondTheLimitValuesFoldIntoOtherBusiestFirst) {
  auto config = config_with("collectors: {workqueue: {label_limit: 2}}");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  auto family = metric.collect(
      {{{"quiet"}, with_count(1)}, {{"busy"}, with_count(50)}, {{"busier"}, with_count(90)}});
  EXPECT_EQ(counts(family),
            (std::map<std::string, uint64_t>{{"busier", 90}, {"busy", 50}, {"other", 1}}));
  EXPECT_EQ(metric.folded_events(), 1u);
}

TEST(HistogramMetric, AdmittedValuesStayAcrossScrapesSoSeriesNeverFlap) {
  auto config = config_with("collectors: {workqueue: {label_limit: 1}}");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  metric.collect({{{"first"}, with_count(1)}});
  // "second" is now much busier, but "first" keeps its series.
  auto family = metric.collect({{{"first"}, with_count(2)}, {{"second"}, with_count(100)}});
  EXPECT_EQ(counts(family), (std::map<std::string, uint64_t>{{"first", 2}, {"other", 100}}));
  EXPECT_EQ(metric.folded_events(), 100u);
}

TEST(HistogramMetric, FiltersDropValuesBeforeTheLimitCounts) {
  auto config = config_with(
      "collectors: {workqueue: {label_limit: 1, filters: {function: {exclude: ['noisy.*']}}}}");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  auto family = metric.collect({{{"noisy_work"}, with_count(1000)}, {{"calm"}, with_count(1)}});
  EXPECT_EQ(counts(family), (std::map<std::string, uint64_t>{{"calm", 1}}));
  EXPECT_EQ(metric.folded_events(), 0u);
}

TEST(HistogramMetric, IncludeFilterKeepsOnlyMatches) {
  auto config =
      config_with("collectors: {workqueue: {filters: {function: {include: ['vmstat_.*']}}}}");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  auto family = metric.collect({{{"vmstat_update"}, with_count(2)}, {{"other_fn"}, with_count(1)}});
  EXPECT_EQ(counts(family), (std::map<std::string, uint64_t>{{"vmstat_update", 2}}));
}

TEST(HistogramMetric, BucketRangeComesFromTheConfig) {
  auto config = config_with(
      "collectors: {workqueue: {histogram: {min_seconds: 0.25, max_seconds: 2, schema: 2}}}");
  HistogramMetric metric("m_seconds", "help", {"function"}, config);
  EXPECT_EQ(metric.schema(), 2);
  Log2Histogram fine(2);
  fine.add(1 + (30 << 2), 1);  // the bucket ending at 1 s
  auto family = metric.collect({{{"a"}, fine}});
  EXPECT_EQ(family.samples.at(0).histogram.schema, 2);
  EXPECT_EQ(family.samples.at(0).histogram.positive, (std::vector<NativeBucket>{{0, 1}}));
  const auto& buckets = family.samples.at(0).histogram.classic;
  ASSERT_EQ(buckets.size(), 4u + 1);  // 0.25, 0.5, 1, 2, +Inf
  EXPECT_EQ(buckets.front().upper_bound, 0.25);
  EXPECT_EQ(buckets[3].upper_bound, 2.0);
}

}  // namespace
}  // namespace ke::metrics
