// Exactness through every layer: durations driven into a BPF histogram inside the kernel
// (BPF_PROG_TEST_RUN), read back, serialized in all three formats, land in the right bucket at
// the boundaries; and one real page of the exporter carries the same samples in every format.
#include <gtest/gtest.h>

#include <bpf/bpf.h>

#include "app/exporter.hpp"
#include "bpf/histogram_maps.hpp"
#include "collectors/bpf_collector.hpp"
#include "exposition_decode.hpp"
#include "hist_probe.skel.h"
#include "metrics/exposition.hpp"
#include "test_support.hpp"

namespace ke::test {
namespace {

using metrics::Format;

struct HistProbeDeleter {
  void operator()(hist_probe_bpf* skeleton) const { hist_probe_bpf__destroy(skeleton); }
};

// The family of a histogram whose observations were made in the kernel, at `schema`.
metrics::Family kernel_histogram(int schema, const std::vector<uint64_t>& durations_ns) {
  std::unique_ptr<hist_probe_bpf, HistProbeDeleter> skeleton(hist_probe_bpf__open());
  EXPECT_TRUE(skeleton);
  bpf::configure_histograms(skeleton->obj, schema);
  EXPECT_EQ(hist_probe_bpf__load(skeleton.get()), 0);
  const uint64_t key = 0x1000;  // an address no kernel function has: labelled "0x1000"
  for (uint64_t ns : durations_ns) {
    uint64_t args[2] = {key, ns};
    LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = args, .ctx_size_in = sizeof args);
    EXPECT_EQ(bpf_prog_test_run_opts(bpf_program__fd(skeleton->progs.hist_observe), &run), 0);
  }
  static symbols::KernelSymbols symbols;
  auto parsed = config::parse_config(
      "collectors: {workqueue: {histogram: {min_seconds: 0.25, max_seconds: 2, schema: " +
          std::to_string(schema) + "}}}",
      "<test>", collectors::schemas());
  EXPECT_TRUE(parsed.ok());
  metrics::HistogramMetric metric("probe_seconds", "Durations driven by the test.", {"function"},
                                  parsed.config.collectors.at("workqueue"));
  return metric.collect(collectors::read_function_histograms(bpf_map__fd(skeleton->maps.small_hist),
                                                             schema, symbols));
}

// 0.5 s and 1 s and 2 s exactly, each bound's own bucket; 1 ns past 0.5 s and 1 s, the next.
const std::vector<uint64_t> kBoundaryDurations = {500000000, 500000001, 1000000000, 1000000001,
                                                  2000000000};

void expect_classic_buckets(const SampleMap& samples, const std::string& format) {
  SCOPED_TRACE(format);
  auto bucket = [&](const char* le) {
    auto it =
        samples.find("probe_seconds_bucket{function=\"0x1000\",le=\"" + std::string(le) + "\"}");
    return it == samples.end() ? -1.0 : it->second;
  };
  EXPECT_EQ(bucket("0.25"), 0);
  EXPECT_EQ(bucket("0.5"), 1);  // 0.5 s exactly is inside le="0.5"
  EXPECT_EQ(bucket("1"), 3);    // 0.5 s + 1 ns and 1 s exactly
  EXPECT_EQ(bucket("2"), 5);    // 1 s + 1 ns and 2 s exactly
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(samples.at("probe_seconds_count{function=\"0x1000\"}"), 5);
  EXPECT_DOUBLE_EQ(samples.at("probe_seconds_sum{function=\"0x1000\"}"), 5.000000002);
}

class BoundariesInEveryFormat : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { KE_REQUIRE_LIVE_ENVIRONMENT(); }
};

TEST_P(BoundariesInEveryFormat, KernelObservationsLandInTheirBucket) {
  const int schema = GetParam();
  const std::vector<metrics::Family> page = {kernel_histogram(schema, kBoundaryDurations)};
  expect_classic_buckets(text_samples(serialize(page, Format::prometheus_text)), "text");
  expect_classic_buckets(text_samples(serialize(page, Format::openmetrics_text)), "openmetrics");
  const auto families = decode_protobuf(serialize(page, Format::protobuf_delimited));
  expect_classic_buckets(protobuf_samples(families), "protobuf");

  ASSERT_EQ(families.size(), 1u);
  const proto::Histogram& histogram = families[0].metric(0).histogram();
  EXPECT_EQ(histogram.schema(), schema);
  EXPECT_GT(histogram.zero_threshold(), 0);
  // Native bucket i covers (2^((i-1)/2^s), 2^(i/2^s)] s.
  const std::map<int32_t, uint64_t> expected =
      schema == 0 ? std::map<int32_t, uint64_t>{{-1, 1}, {0, 2}, {1, 2}}
                  : std::map<int32_t, uint64_t>{{-8, 1}, {-7, 1}, {0, 1}, {1, 1}, {8, 1}};
  EXPECT_EQ(native_buckets(histogram), expected);
}

INSTANTIATE_TEST_SUITE_P(Schemas, BoundariesInEveryFormat, ::testing::Values(0, 3));

TEST(ExpositionLive, OnePageCarriesTheSameSamplesInEveryFormat) {
  KE_REQUIRE_LIVE_ENVIRONMENT();
  auto parsed = config::embedded_default_config(collectors::schemas());
  ASSERT_TRUE(parsed.ok());
  bpf::LoaderOptions loader;
  app::Exporter exporter(parsed.config, loader);
  const std::vector<metrics::Family> page = exporter.collect();
  const SampleMap text = text_samples(serialize(page, Format::prometheus_text));
  EXPECT_GT(text.size(), 100u);
  EXPECT_TRUE(text.contains("kernel_exporter_collector_up{collector=\"workqueue\"}"));
  EXPECT_EQ(text_samples(serialize(page, Format::openmetrics_text)), text);
  EXPECT_EQ(protobuf_samples(decode_protobuf(serialize(page, Format::protobuf_delimited))), text);
}

}  // namespace
}  // namespace ke::test
