#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "exporter/metrics/metrics.pb.h"
#include "exposition_decode.hpp"

namespace ke::metrics {
namespace {

namespace proto = io::prometheus::client;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kTwoToMinus30 = std::ldexp(1.0, -30);  // 9.313225746154785e-10

Sample value_sample(Labels labels, double value) {
  return {std::move(labels), value, {}};
}

// Schema 0, observations: 1 in the zero bucket, 1 in (0.125,0.25], 2 in (0.25,0.5], 3 in (1,2],
// 1 in (16,32], 2 in (128,256]. Native indices -2, -1, 1, 5, 8: gaps of 1 (filled), 3 (new span)
// and 2 (filled).
Family latency_histogram() {
  Histogram histogram{
      .count = 10,
      .sum = 20.75,
      .classic = {{kTwoToMinus30, 1}, {0.5, 4}, {1, 4}, {2, 7}, {1024, 10}, {kInf, 10}},
      .schema = 0,
      .zero_threshold = kTwoToMinus30,
      .zero_count = 1,
      .positive = {{-2, 1}, {-1, 2}, {1, 3}, {5, 1}, {8, 2}},
  };
  return {"ke_io_latency_seconds",
          "I/O latency.",
          MetricType::histogram,
          {{{{"device", "sda"}}, 0, histogram}}};
}

// No observations yet: zero_threshold > 0 keeps it native for Prometheus 2.42.
Family empty_histogram() {
  Histogram histogram;
  histogram.classic = {{0.5, 0}, {kInf, 0}};
  histogram.zero_threshold = std::ldexp(1.0, -128);
  return {"ke_wait_seconds", "Wait.", MetricType::histogram, {{{}, 0, histogram}}};
}

std::vector<Family> escaping_families() {
  return {
      {"ke_events_total",
       "Events \"seen\" \\ per\nCPU.",
       MetricType::counter,
       {value_sample({{"cpu", "0"}}, 3), value_sample({{"cpu", "1"}}, 1.5)}},
      {"ke_temperature",
       "Temperature.",
       MetricType::gauge,
       {value_sample({{"sensor", "a\"b\\c\nd"}, {"zone", ""}}, kNaN),
        value_sample({{"sensor", "hot"}}, kInf), value_sample({}, -kInf)}},
  };
}

// ---------------------------------------------------------------------------------------------
// Value formatting (shared by both text formats)

TEST(Exposition, ValuesAreShortestRoundTripAndIntegersHaveNoExponent) {
  const std::vector<double> values = {3,    -2.5, 0.1,  1e6,    std::ldexp(1.0, 53),
                                      1e16, 1e21, 1e-7, 0.0001, 1.0 / 3};
  std::vector<Sample> samples;
  for (double value : values) samples.push_back(value_sample({}, value));
  const std::string text =
      serialize({{"g", "h", MetricType::gauge, samples}}, Format::prometheus_text);
  EXPECT_EQ(text,
            "# HELP g h\n# TYPE g gauge\n"
            "g 3\ng -2.5\ng 0.1\ng 1000000\ng 9007199254740992\n"
            "g 1e+16\ng 1e+21\ng 1e-07\ng 1e-04\ng 0.3333333333333333\n");
}

// ---------------------------------------------------------------------------------------------
// Prometheus text 0.0.4

TEST(Exposition, PrometheusTextEscapesHelpAndLabelValuesAndWritesSpecialValues) {
  EXPECT_EQ(serialize(escaping_families(), Format::prometheus_text),
            "# HELP ke_events_total Events \"seen\" \\\\ per\\nCPU.\n"
            "# TYPE ke_events_total counter\n"
            "ke_events_total{cpu=\"0\"} 3\n"
            "ke_events_total{cpu=\"1\"} 1.5\n"
            "# HELP ke_temperature Temperature.\n"
            "# TYPE ke_temperature gauge\n"
            "ke_temperature{sensor=\"a\\\"b\\\\c\\nd\",zone=\"\"} NaN\n"
            "ke_temperature{sensor=\"hot\"} +Inf\n"
            "ke_temperature -Inf\n");
}

TEST(Exposition, PrometheusTextHistogramHasClassicBucketsOnly) {
  EXPECT_EQ(serialize({latency_histogram(), empty_histogram()}, Format::prometheus_text),
            "# HELP ke_io_latency_seconds I/O latency.\n"
            "# TYPE ke_io_latency_seconds histogram\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"9.313225746154785e-10\"} 1\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"0.5\"} 4\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"1\"} 4\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"2\"} 7\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"1024\"} 10\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"+Inf\"} 10\n"
            "ke_io_latency_seconds_sum{device=\"sda\"} 20.75\n"
            "ke_io_latency_seconds_count{device=\"sda\"} 10\n"
            "# HELP ke_wait_seconds Wait.\n"
            "# TYPE ke_wait_seconds histogram\n"
            "ke_wait_seconds_bucket{le=\"0.5\"} 0\n"
            "ke_wait_seconds_bucket{le=\"+Inf\"} 0\n"
            "ke_wait_seconds_sum 0\n"
            "ke_wait_seconds_count 0\n");
}

TEST(Exposition, EmptyPageIsEmptyInPrometheusText) {
  EXPECT_EQ(serialize({}, Format::prometheus_text), "");
}

// ---------------------------------------------------------------------------------------------
// OpenMetrics 1.0

TEST(Exposition, OpenMetricsEscapesQuotesInHelpAndNamesCounterFamiliesWithoutTotal) {
  EXPECT_EQ(serialize(escaping_families(), Format::openmetrics_text),
            "# HELP ke_events Events \\\"seen\\\" \\\\ per\\nCPU.\n"
            "# TYPE ke_events counter\n"
            "ke_events_total{cpu=\"0\"} 3\n"
            "ke_events_total{cpu=\"1\"} 1.5\n"
            "# HELP ke_temperature Temperature.\n"
            "# TYPE ke_temperature gauge\n"
            "ke_temperature{sensor=\"a\\\"b\\\\c\\nd\",zone=\"\"} NaN\n"
            "ke_temperature{sensor=\"hot\"} +Inf\n"
            "ke_temperature -Inf\n"
            "# EOF\n");
}

TEST(Exposition, OpenMetricsDeclaresUnitsFromTheNameSuffix) {
  const std::vector<Family> families = {
      {"ke_cpu_seconds_total", "CPU time.", MetricType::counter, {value_sample({}, 2)}},
      {"ke_memory_bytes", "Memory.", MetricType::gauge, {value_sample({}, 4096)}},
      {"ke_nanoseconds", "Not a unit suffix.", MetricType::gauge, {value_sample({}, 1)}},
      {"ke_wakeups", "Counter lacking _total.", MetricType::counter, {value_sample({}, 5)}},
  };
  EXPECT_EQ(serialize(families, Format::openmetrics_text),
            "# HELP ke_cpu_seconds CPU time.\n"
            "# TYPE ke_cpu_seconds counter\n"
            "# UNIT ke_cpu_seconds seconds\n"
            "ke_cpu_seconds_total 2\n"
            "# HELP ke_memory_bytes Memory.\n"
            "# TYPE ke_memory_bytes gauge\n"
            "# UNIT ke_memory_bytes bytes\n"
            "ke_memory_bytes 4096\n"
            "# HELP ke_nanoseconds Not a unit suffix.\n"
            "# TYPE ke_nanoseconds gauge\n"
            "ke_nanoseconds 1\n"
            "# HELP ke_wakeups Counter lacking _total.\n"
            "# TYPE ke_wakeups counter\n"
            "ke_wakeups_total 5\n"
            "# EOF\n");
  // Prometheus text keeps names as they are and has no UNIT.
  EXPECT_EQ(serialize({families[0]}, Format::prometheus_text),
            "# HELP ke_cpu_seconds_total CPU time.\n"
            "# TYPE ke_cpu_seconds_total counter\n"
            "ke_cpu_seconds_total 2\n");
}

TEST(Exposition, OpenMetricsHistogramHasClassicBucketsUnitAndEof) {
  EXPECT_EQ(serialize({latency_histogram(), empty_histogram()}, Format::openmetrics_text),
            "# HELP ke_io_latency_seconds I/O latency.\n"
            "# TYPE ke_io_latency_seconds histogram\n"
            "# UNIT ke_io_latency_seconds seconds\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"9.313225746154785e-10\"} 1\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"0.5\"} 4\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"1\"} 4\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"2\"} 7\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"1024\"} 10\n"
            "ke_io_latency_seconds_bucket{device=\"sda\",le=\"+Inf\"} 10\n"
            "ke_io_latency_seconds_sum{device=\"sda\"} 20.75\n"
            "ke_io_latency_seconds_count{device=\"sda\"} 10\n"
            "# HELP ke_wait_seconds Wait.\n"
            "# TYPE ke_wait_seconds histogram\n"
            "# UNIT ke_wait_seconds seconds\n"
            "ke_wait_seconds_bucket{le=\"0.5\"} 0\n"
            "ke_wait_seconds_bucket{le=\"+Inf\"} 0\n"
            "ke_wait_seconds_sum 0\n"
            "ke_wait_seconds_count 0\n"
            "# EOF\n");
}

TEST(Exposition, EmptyPageIsJustEofInOpenMetrics) {
  EXPECT_EQ(serialize({}, Format::openmetrics_text), "# EOF\n");
}

// ---------------------------------------------------------------------------------------------
// Protobuf

std::vector<proto::MetricFamily> decode(const std::string& bytes) {
  return test::decode_protobuf(bytes);
}

std::string bytes(std::initializer_list<uint8_t> values) {
  return {values.begin(), values.end()};
}

TEST(Exposition, ProtobufCountersAndGaugesDecodeBack) {
  const std::vector<proto::MetricFamily> families =
      decode(serialize(escaping_families(), Format::protobuf_delimited));
  ASSERT_EQ(families.size(), 2u);

  const proto::MetricFamily& counter = families[0];
  EXPECT_EQ(counter.name(), "ke_events_total");  // protobuf keeps the full counter name
  EXPECT_EQ(counter.help(), "Events \"seen\" \\ per\nCPU.");
  EXPECT_EQ(counter.type(), proto::COUNTER);
  ASSERT_EQ(counter.metric_size(), 2);
  ASSERT_EQ(counter.metric(1).label_size(), 1);
  EXPECT_EQ(counter.metric(1).label(0).name(), "cpu");
  EXPECT_EQ(counter.metric(1).label(0).value(), "1");
  EXPECT_EQ(counter.metric(1).counter().value(), 1.5);
  EXPECT_FALSE(counter.metric(1).has_gauge());
  EXPECT_FALSE(counter.metric(1).has_timestamp_ms());

  const proto::MetricFamily& gauge = families[1];
  EXPECT_EQ(gauge.type(), proto::GAUGE);
  ASSERT_EQ(gauge.metric_size(), 3);
  ASSERT_EQ(gauge.metric(0).label_size(), 2);
  EXPECT_EQ(gauge.metric(0).label(0).value(), "a\"b\\c\nd");  // raw: no escaping in protobuf
  EXPECT_EQ(gauge.metric(0).label(1).name(), "zone");
  EXPECT_EQ(gauge.metric(0).label(1).value(), "");
  EXPECT_TRUE(std::isnan(gauge.metric(0).gauge().value()));
  EXPECT_EQ(gauge.metric(1).gauge().value(), kInf);
  EXPECT_EQ(gauge.metric(2).label_size(), 0);
  EXPECT_EQ(gauge.metric(2).gauge().value(), -kInf);
}

TEST(Exposition, ProtobufHistogramCarriesClassicAndNativeBucketsWithGapsMergedAsClientGolang) {
  const std::vector<proto::MetricFamily> families =
      decode(serialize({latency_histogram()}, Format::protobuf_delimited));
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name(), "ke_io_latency_seconds");
  EXPECT_EQ(families[0].help(), "I/O latency.");
  EXPECT_EQ(families[0].type(), proto::HISTOGRAM);
  ASSERT_EQ(families[0].metric_size(), 1);
  ASSERT_EQ(families[0].metric(0).label_size(), 1);
  EXPECT_EQ(families[0].metric(0).label(0).name(), "device");
  EXPECT_EQ(families[0].metric(0).label(0).value(), "sda");
  const proto::Histogram& histogram = families[0].metric(0).histogram();

  EXPECT_EQ(histogram.sample_count(), 10u);
  EXPECT_EQ(histogram.sample_sum(), 20.75);
  // Classic: the finite buckets; +Inf is implied by sample_count.
  const std::vector<std::pair<double, uint64_t>> expected_classic = {
      {kTwoToMinus30, 1}, {0.5, 4}, {1, 4}, {2, 7}, {1024, 10}};
  ASSERT_EQ(histogram.bucket_size(), static_cast<int>(expected_classic.size()));
  for (size_t i = 0; i < expected_classic.size(); ++i) {
    EXPECT_EQ(histogram.bucket(i).upper_bound(), expected_classic[i].first) << i;
    EXPECT_EQ(histogram.bucket(i).cumulative_count(), expected_classic[i].second) << i;
    EXPECT_FALSE(histogram.bucket(i).has_cumulative_count_float()) << i;
  }

  EXPECT_EQ(histogram.schema(), 0);
  EXPECT_EQ(histogram.zero_threshold(), kTwoToMinus30);
  EXPECT_EQ(histogram.zero_count(), 1u);
  // Indices -2 -1 1 5 8 with counts 1 2 3 1 2: the 1-bucket gap (index 0) and the 2-bucket gap
  // (6, 7) are filled with zeros; the 3-bucket gap (2, 3, 4) starts a new span.
  ASSERT_EQ(histogram.positive_span_size(), 2);
  EXPECT_EQ(histogram.positive_span(0).offset(), -2);  // absolute start
  EXPECT_EQ(histogram.positive_span(0).length(), 4u);  // -2 -1 0 1
  EXPECT_EQ(histogram.positive_span(1).offset(), 3);   // 2 3 4 skipped
  EXPECT_EQ(histogram.positive_span(1).length(), 4u);  // 5 6 7 8
  const std::vector<int64_t> expected_deltas = {1, 1, -2, 3, -2, -1, 0, 2};
  EXPECT_EQ(
      std::vector<int64_t>(histogram.positive_delta().begin(), histogram.positive_delta().end()),
      expected_deltas);
  EXPECT_EQ(histogram.negative_span_size(), 0);
  EXPECT_EQ(histogram.negative_delta_size(), 0);
  EXPECT_EQ(histogram.positive_count_size(), 0);
}

TEST(Exposition, ProtobufEmptyHistogramKeepsItsZeroThresholdSoPrometheusSeesItAsNative) {
  const std::vector<proto::MetricFamily> families =
      decode(serialize({empty_histogram()}, Format::protobuf_delimited));
  ASSERT_EQ(families.size(), 1u);
  ASSERT_EQ(families[0].metric_size(), 1);
  EXPECT_EQ(families[0].metric(0).label_size(), 0);
  const proto::Histogram& histogram = families[0].metric(0).histogram();
  EXPECT_TRUE(histogram.has_sample_count());
  EXPECT_EQ(histogram.sample_count(), 0u);
  EXPECT_EQ(histogram.sample_sum(), 0);
  ASSERT_EQ(histogram.bucket_size(), 1);
  EXPECT_EQ(histogram.bucket(0).upper_bound(), 0.5);
  EXPECT_EQ(histogram.bucket(0).cumulative_count(), 0u);
  EXPECT_TRUE(histogram.has_schema());
  EXPECT_EQ(histogram.zero_threshold(), std::ldexp(1.0, -128));
  EXPECT_TRUE(histogram.has_zero_count());
  EXPECT_EQ(histogram.zero_count(), 0u);
  EXPECT_EQ(histogram.positive_span_size(), 0);
  EXPECT_EQ(histogram.positive_delta_size(), 0);
}

TEST(Exposition, ProtobufExactBytesOfTinyFamilies) {
  const std::vector<Family> families = {
      {"up", "h", MetricType::gauge, {value_sample({}, 1)}},
      {"c_total", "", MetricType::counter, {value_sample({{"a", "b"}}, 2)}},
  };
  EXPECT_EQ(serialize(families, Format::protobuf_delimited),
            bytes({                                     // MetricFamily, 22 bytes
                   0x16, 0x0A, 0x02, 'u', 'p',          // name (1, length-delimited)
                   0x12, 0x01, 'h',                     // help (2)
                   0x18, 0x01,                          // type (3, varint) GAUGE
                   0x22, 0x0B,                          // metric (4), 11 bytes
                   0x12, 0x09,                          // gauge (2), 9 bytes
                   0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,  // value (1, fixed64) 1.0
                                                        // MetricFamily, 34 bytes
                   0x22, 0x0A, 0x07, 'c', '_', 't', 'o', 't', 'a', 'l',  // name
                   0x12, 0x00,                                    // help "" (set, so present)
                   0x18, 0x00,                                    // type COUNTER (0, present)
                   0x22, 0x13,                                    // metric, 19 bytes
                   0x0A, 0x06, 0x0A, 0x01, 'a', 0x12, 0x01, 'b',  // label (1) {name a, value b}
                   0x1A, 0x09,                                    // counter (3), 9 bytes
                   0x09, 0, 0, 0, 0, 0, 0, 0, 0x40}));            // value 2.0
}

TEST(Exposition, ProtobufExactBytesOfTinyNativeHistogram) {
  const Histogram histogram{.count = 3,
                            .sum = 0.5,
                            .classic = {{1, 3}, {kInf, 3}},
                            .schema = -1,
                            .zero_threshold = 0.25,
                            .positive = {{-1, 2}, {0, 1}}};
  // Fields are written in field-number order; repeated scalars are unpacked (proto2 default).
  EXPECT_EQ(serialize({{"h", "", MetricType::histogram, {{{}, 0, histogram}}}},
                      Format::protobuf_delimited),
            bytes({0x3A,                                      // MetricFamily, 58 bytes
                   0x0A, 0x01, 'h',  0x12, 0x00, 0x18, 0x04,  // name, help, type HISTOGRAM
                   0x22, 0x31,                                // metric, 49 bytes
                   0x3A, 0x2F,                                // histogram (7), 47 bytes
                   0x08, 0x03,                                // sample_count (1) 3
                   0x11, 0,    0,    0,    0,    0,    0,    0xE0, 0x3F,  // sample_sum (2) 0.5
                   0x1A, 0x0B,                                            // bucket (3), 11 bytes
                   0x08, 0x03,  //   cumulative_count (1) 3
                   0x11, 0,    0,    0,    0,    0,    0,    0xF0, 0x3F,  //   upper_bound (2) 1.0
                   0x28, 0x01,                                            // schema (5) zigzag(-1)
                   0x31, 0,    0,    0,    0,    0,    0,    0xD0, 0x3F,  // zero_threshold (6) 0.25
                   0x38, 0x00,                                            // zero_count (7) 0
                   0x62, 0x04, 0x08, 0x01, 0x10, 0x02,  // positive_span (12) {-1, 2}
                   0x68, 0x04, 0x68, 0x01}));           // positive_delta (13) 2, -1
}

TEST(Exposition, ProtobufLengthPrefixIsAVarint) {
  const std::string bytes_out =
      serialize({{"g", std::string(200, 'x'), MetricType::gauge, {}}}, Format::protobuf_delimited);
  // name 3 bytes + help 3 + 200 + type 2 = 208 = 0xD0 → varint D0 01.
  EXPECT_EQ(bytes_out.substr(0, 8), bytes({0xD0, 0x01, 0x0A, 0x01, 'g', 0x12, 0xC8, 0x01}));
  EXPECT_EQ(bytes_out.size(), 2u + 208u);
}

// ---------------------------------------------------------------------------------------------
// Negotiation

constexpr std::string_view kPrometheusTextType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kOpenMetricsType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
constexpr std::string_view kProtobufType =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
    "encoding=delimited";
constexpr std::string_view kProtobufRange =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

Format format_for(std::string_view accept) {
  return negotiate(accept).format;
}

TEST(Negotiation, ContentTypesPerFormat) {
  EXPECT_EQ(negotiate("text/plain").content_type, kPrometheusTextType);
  EXPECT_EQ(negotiate("application/openmetrics-text").content_type, kOpenMetricsType);
  EXPECT_EQ(negotiate(kProtobufRange).content_type, kProtobufType);
}

TEST(Negotiation, NoHeaderOrWildcardsGivePrometheusText) {
  EXPECT_EQ(format_for(""), Format::prometheus_text);
  EXPECT_EQ(format_for("*/*"), Format::prometheus_text);
  EXPECT_EQ(format_for("text/*"), Format::prometheus_text);
  EXPECT_EQ(format_for("application/json"), Format::prometheus_text);
}

// As in Debian's prometheus 2.42.0 binary (scrape/scrape.go scrapeAcceptHeader and
// scrapeAcceptHeaderWithProtobuf).
TEST(Negotiation, Prometheus242Headers) {
  EXPECT_EQ(format_for("application/openmetrics-text;version=1.0.0,"
                       "application/openmetrics-text;version=0.0.1;q=0.75,"
                       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            Format::openmetrics_text);
  EXPECT_EQ(format_for("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                       "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
                       "application/openmetrics-text;version=0.0.1;q=0.75,"
                       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            Format::protobuf_delimited);
}

// Prometheus 1.x and tools such as prom2json and Telegraf.
TEST(Negotiation, OlderProtobufFirstHeader) {
  EXPECT_EQ(format_for("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                       "encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1"),
            Format::protobuf_delimited);
}

TEST(Negotiation, ZeroQualityExcludesEvenWhenAWildcardWouldAllowIt) {
  EXPECT_EQ(format_for("text/plain;q=0,application/openmetrics-text;q=0.5"),
            Format::openmetrics_text);
  // The more specific text/plain;q=0 overrides */* for text; */* still admits the others.
  EXPECT_EQ(format_for("text/plain;q=0,*/*;q=0.5"), Format::openmetrics_text);
  EXPECT_EQ(format_for(std::string(kProtobufRange) + ";q=0, text/plain;q=0.1"),
            Format::prometheus_text);
  EXPECT_EQ(format_for("application/openmetrics-text;q=0.000"), Format::prometheus_text);
  // Nothing acceptable: Prometheus text regardless (there is no 406).
  EXPECT_EQ(format_for("text/plain;q=0"), Format::prometheus_text);
}

TEST(Negotiation, UnsupportedVersionsAndEncodingsAreNotAcceptable) {
  EXPECT_EQ(format_for("application/openmetrics-text;version=0.0.1,*/*;q=0.1"),
            Format::prometheus_text);
  EXPECT_EQ(format_for("application/openmetrics-text;version=2.0.0"), Format::prometheus_text);
  EXPECT_EQ(format_for("text/plain;version=1.0.0,application/openmetrics-text;q=0.1"),
            Format::openmetrics_text);
  const std::string_view protobuf_type = "application/vnd.google.protobuf";
  for (const std::string parameters :
       {"", ";proto=io.prometheus.client.MetricFamily",
        ";encoding=delimited",  // proto required
        ";proto=io.prometheus.client.MetricFamily;encoding=text",
        ";proto=io.prometheus.client.MetricFamily;encoding=compact-text",
        ";proto=io.prometheus.client.Metric;encoding=delimited"}) {
    EXPECT_EQ(format_for(std::string(protobuf_type) + parameters + ",text/plain;q=0.1"),
              Format::prometheus_text)
        << parameters;
  }
}

TEST(Negotiation, WhitespaceCaseAndQuotedValues) {
  EXPECT_EQ(format_for("  Application/OpenMetrics-Text ;\tVersion=1.0.0 ; Q=0.9 , TEXT/PLAIN ; "
                       "q=0.5  "),
            Format::openmetrics_text);
  EXPECT_EQ(
      format_for("application/vnd.google.protobuf; proto=\"io.prometheus.client.MetricFamily\";"
                 " encoding=\"delimited\""),
      Format::protobuf_delimited);
  EXPECT_EQ(format_for(", ,text/plain;q=0.2,, application/openmetrics-text;;q=0.3,"),
            Format::openmetrics_text);
}

TEST(Negotiation, MalformedElementsAreIgnored) {
  for (std::string_view bad_q : {"abc", "1.5", "1.001", "0.1234", "", "\"\"", "-1", ".5", "0,5"}) {
    EXPECT_EQ(
        format_for("application/openmetrics-text;q=" + std::string(bad_q) + ",text/plain;q=0.5"),
        Format::prometheus_text)
        << bad_q;
  }
  // A quoted comma does not end the element being skipped.
  EXPECT_EQ(format_for("application/openmetrics-text;x=\"a,b\";q=bad," +
                       std::string(kProtobufRange) + ";q=0.2"),
            Format::protobuf_delimited);
  EXPECT_EQ(format_for("*/plain,application/openmetrics-text;q=0.1"), Format::openmetrics_text);
  EXPECT_EQ(format_for("text/plain;version,application/openmetrics-text;q=0.1"),
            Format::openmetrics_text);
  EXPECT_EQ(format_for("application/openmetrics-text;x=\"unterminated"), Format::prometheus_text);
  EXPECT_EQ(format_for("garbage"), Format::prometheus_text);
  // An empty quoted value is well-formed (and matches no rule here).
  EXPECT_EQ(format_for("text/plain;x=\"\";q=0.2,application/openmetrics-text;q=0.1"),
            Format::prometheus_text);
}

TEST(Negotiation, TiesGoToTheMoreSpecificRangeThenToHeaderOrder) {
  EXPECT_EQ(format_for("text/plain;q=0.5,application/openmetrics-text;version=1.0.0;q=0.5"),
            Format::openmetrics_text);
  EXPECT_EQ(format_for("text/plain;q=0.5,application/openmetrics-text;q=0.5"),
            Format::prometheus_text);
  EXPECT_EQ(format_for("application/openmetrics-text;q=0.5,text/plain;q=0.5"),
            Format::openmetrics_text);
  EXPECT_EQ(format_for("text/*;q=0.5,application/openmetrics-text;q=0.5"),
            Format::openmetrics_text);
}

}  // namespace
}  // namespace ke::metrics
