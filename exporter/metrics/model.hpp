// The exporter's metric model: small value types that every collector produces and every
// exposition format (Prometheus text 0.0.4, OpenMetrics 1.0 text, protobuf) serializes.
//
// prometheus-cpp's ClientMetric cannot carry native (exponential) histogram buckets, so the
// exporter has its own model; see README "Dependencies".
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ke::metrics {

enum class MetricType { counter, gauge, histogram };

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};
using Labels = std::vector<Label>;

struct ClassicBucket {
  double upper_bound;         // ascending; the last one is +Inf
  uint64_t cumulative_count;  // observations <= upper_bound
  friend bool operator==(const ClassicBucket&, const ClassicBucket&) = default;
};

// One native bucket: index i of schema s covers (2^((i-1)/2^s), 2^(i/2^s)] in the metric's unit.
struct NativeBucket {
  int32_t index;
  uint64_t count;  // observations in this bucket alone (not cumulative)
  friend bool operator==(const NativeBucket&, const NativeBucket&) = default;
};

// A histogram carried both ways: classic cumulative `le` buckets and native buckets of one
// schema. Both describe the same observations exactly.
struct Histogram {
  uint64_t count = 0;
  double sum = 0;
  std::vector<ClassicBucket> classic;  // always ends with +Inf == count
  int32_t schema = 0;                  // -4..8; we produce 0..3
  double zero_threshold = 0;           // native zero bucket is [-zero_threshold, zero_threshold]
  uint64_t zero_count = 0;
  std::vector<NativeBucket> positive;  // non-empty buckets only, ascending by index
  friend bool operator==(const Histogram&, const Histogram&) = default;
};

struct Sample {
  Labels labels;
  double value = 0;     // counter and gauge
  Histogram histogram;  // histogram
};

struct Family {
  std::string name;  // counters include their "_total" suffix, as in Prometheus text
  std::string help;
  MetricType type;
  std::vector<Sample> samples;
};

}  // namespace ke::metrics
