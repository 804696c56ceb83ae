// Cost of serializing one scrape page of 10,000 series in each exposition format, against
// prometheus-cpp's TextSerializer on the same data.
//
// The page: 10,000 series as Prometheus counts them (each `_bucket`, `_sum` and `_count` line of
// a classic histogram is a series): 5 histogram families x 40 histograms (25 classic buckets,
// 2^-20..2^3 s and +Inf, plus _sum and _count: 27 series each; 12 non-empty schema-0 native
// buckets in 2 spans) = 5,400 series, + 5 counter families x 460 series + 5 gauge families x
// 460 series = 4,600 series; each with the labels {id, comm}.
//
// Every benchmark serializes the page once per repetition: the repetitions are the samples that
// median and p99 are computed over. Counter "bytes" is the size of the output.
#include <benchmark/benchmark.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "metrics/exposition.hpp"

namespace {

using ke::metrics::Family;
using ke::metrics::Format;
using ke::metrics::MetricType;

constexpr int kHistogramFamilies = 5;
constexpr int kSeriesPerHistogramFamily = 40;
constexpr int kValueFamiliesPerType = 5;
constexpr int kSeriesPerValueFamily = 460;
constexpr int kLowestBoundExponent = -20;  // classic bounds 2^-20 .. 2^3 seconds, then +Inf
constexpr int kHighestBoundExponent = 3;
constexpr int kLowestNativeIndex = -18;  // bucket (2^-19, 2^-18] s
constexpr int kNonEmptyNativeBuckets = 12;
constexpr int kRepetitions = 200;

ke::metrics::Labels series_labels(int series) {
  return {{"id", std::to_string(series)}, {"comm", "kworker/" + std::to_string(series % 64)}};
}

// Native buckets at indices -18..-3 with a run of 3 empty ones (a new span) and a single empty
// one (filled with a zero), placed by series; classic buckets derived from them.
ke::metrics::Histogram series_histogram(int series) {
  ke::metrics::Histogram histogram;
  histogram.zero_threshold = std::ldexp(1.0, kLowestBoundExponent - 1);
  histogram.zero_count = series % 3;
  const int wide_gap = kLowestNativeIndex + 2 + series % 4;  // wide_gap .. wide_gap + 2 are empty
  const int narrow_gap = wide_gap + 6;
  for (int index = kLowestNativeIndex;
       static_cast<int>(histogram.positive.size()) < kNonEmptyNativeBuckets; ++index) {
    if ((index >= wide_gap && index <= wide_gap + 2) || index == narrow_gap) continue;
    const uint64_t count = 1 + (series * 7 + (index - kLowestNativeIndex) * 13) % 50;
    histogram.positive.push_back({index, count});
    histogram.sum += count * std::ldexp(0.75, index);
  }
  uint64_t cumulative = histogram.zero_count;
  auto native = histogram.positive.begin();
  for (int exponent = kLowestBoundExponent; exponent <= kHighestBoundExponent; ++exponent) {
    for (; native != histogram.positive.end() && native->index <= exponent; ++native)
      cumulative += native->count;
    histogram.classic.push_back({std::ldexp(1.0, exponent), cumulative});
  }
  histogram.count = cumulative;
  histogram.classic.push_back({std::numeric_limits<double>::infinity(), cumulative});
  return histogram;
}

std::vector<Family> build_page() {
  std::vector<Family> page;
  for (int f = 0; f < kHistogramFamilies; ++f) {
    Family family{"ke_bench_latency_" + std::to_string(f) + "_seconds",
                  "Latency.",
                  MetricType::histogram,
                  {}};
    for (int series = 0; series < kSeriesPerHistogramFamily; ++series)
      family.samples.push_back({series_labels(series), 0, series_histogram(series)});
    page.push_back(std::move(family));
  }
  for (MetricType type : {MetricType::counter, MetricType::gauge}) {
    for (int f = 0; f < kValueFamiliesPerType; ++f) {
      Family family{type == MetricType::counter ? "ke_bench_events_" + std::to_string(f) + "_total"
                                                : "ke_bench_level_" + std::to_string(f),
                    "Values.",
                    type,
                    {}};
      for (int series = 0; series < kSeriesPerValueFamily; ++series)
        family.samples.push_back({series_labels(series), series * 1.25 + f, {}});
      page.push_back(std::move(family));
    }
  }
  return page;
}

prometheus::MetricType prometheus_cpp_type(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return prometheus::MetricType::Counter;
    case MetricType::gauge:
      return prometheus::MetricType::Gauge;
    case MetricType::histogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

// The same page in prometheus-cpp's model (classic buckets only: it has no native ones).
std::vector<prometheus::MetricFamily> to_prometheus_cpp(const std::vector<Family>& families) {
  std::vector<prometheus::MetricFamily> converted;
  for (const Family& family : families) {
    prometheus::MetricFamily& out = converted.emplace_back();
    out.name = family.name;
    out.help = family.help;
    out.type = prometheus_cpp_type(family.type);
    for (const ke::metrics::Sample& sample : family.samples) {
      prometheus::ClientMetric& metric = out.metric.emplace_back();
      for (const ke::metrics::Label& label : sample.labels)
        metric.label.push_back({label.name, label.value});
      metric.counter.value = sample.value;  // the serializer reads the one of family.type
      metric.gauge.value = sample.value;
      metric.histogram.sample_count = sample.histogram.count;
      metric.histogram.sample_sum = sample.histogram.sum;
      for (const ke::metrics::ClassicBucket& bucket : sample.histogram.classic)
        metric.histogram.bucket.push_back({bucket.cumulative_count, bucket.upper_bound});
    }
  }
  return converted;
}

const std::vector<Family>& page() {
  static const std::vector<Family> instance = build_page();
  return instance;
}

const std::vector<prometheus::MetricFamily>& prometheus_cpp_page() {
  static const std::vector<prometheus::MetricFamily> instance = to_prometheus_cpp(page());
  return instance;
}

double p99(const std::vector<double>& samples) {
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * sorted.size()));  // nearest rank
  return sorted[std::max<size_t>(rank, 1) - 1];
}

void one_page_per_repetition(benchmark::internal::Benchmark* benchmark) {
  benchmark->Iterations(1)
      ->Repetitions(kRepetitions)
      ->ComputeStatistics("p99", p99)
      ->ReportAggregatesOnly()
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

void BM_serialize(benchmark::State& state, Format format) {
  const std::vector<Family>& families = page();
  size_t output_bytes = 0;
  for (auto _ : state) {
    const std::string output = ke::metrics::serialize(families, format);
    output_bytes = output.size();
    benchmark::DoNotOptimize(output.data());
  }
  state.counters["bytes"] = static_cast<double>(output_bytes);
}
BENCHMARK_CAPTURE(BM_serialize, prometheus_text, Format::prometheus_text)
    ->Apply(one_page_per_repetition);
BENCHMARK_CAPTURE(BM_serialize, openmetrics_text, Format::openmetrics_text)
    ->Apply(one_page_per_repetition);
BENCHMARK_CAPTURE(BM_serialize, protobuf_delimited, Format::protobuf_delimited)
    ->Apply(one_page_per_repetition);

void BM_serialize_prometheus_cpp_text(benchmark::State& state) {
  const std::vector<prometheus::MetricFamily>& families = prometheus_cpp_page();
  const prometheus::TextSerializer serializer;
  size_t output_bytes = 0;
  for (auto _ : state) {
    const std::string output = serializer.Serialize(families);
    output_bytes = output.size();
    benchmark::DoNotOptimize(output.data());
  }
  state.counters["bytes"] = static_cast<double>(output_bytes);
}
BENCHMARK(BM_serialize_prometheus_cpp_text)->Apply(one_page_per_repetition);

}  // namespace

BENCHMARK_MAIN();
