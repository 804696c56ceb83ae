// Reading our exposition formats back, for tests: every format becomes the same map of samples,
// so that formats can be compared with each other and with expected values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metrics/metrics.pb.h"

namespace ke::test {

namespace proto = io::prometheus::client;

// Sample key: `name{label="value",...}` with labels sorted by name and `le` written as the
// shortest round-trip form of its value; maps to the sample's value.
using SampleMap = std::map<std::string, double>;

// Prometheus text 0.0.4 or OpenMetrics 1.0 text (comments and `# EOF` skipped).
SampleMap text_samples(std::string_view text);
// Length-delimited MetricFamily messages; the histograms' classic buckets become `_bucket`
// samples (with +Inf = count), plus `_sum` and `_count`, as the text formats write them.
std::vector<proto::MetricFamily> decode_protobuf(const std::string& bytes);
SampleMap protobuf_samples(const std::vector<proto::MetricFamily>& families);
// Native buckets of a protobuf histogram, decoded from spans and deltas: index -> count.
std::map<int32_t, uint64_t> native_buckets(const proto::Histogram& histogram);

}  // namespace ke::test
