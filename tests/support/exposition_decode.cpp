#include "exposition_decode.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace ke::test {
namespace {

using LabelList = std::vector<std::pair<std::string, std::string>>;

std::string canonical_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

double parse_number(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN" || text == "Nan") return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string key(std::string_view name, LabelList labels) {
  for (auto& [label, value] : labels)
    if (label == "le") value = canonical_number(parse_number(value));
  std::sort(labels.begin(), labels.end());
  std::string result(name);
  if (labels.empty()) return result;
  result += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) result += ',';
    result += labels[i].first + "=\"" + labels[i].second + '"';
  }
  return result + '}';
}

// `name{a="x\"y",b="z"} 1.5` -> name, unescaped labels, value.
void parse_sample_line(std::string_view line, SampleMap& samples) {
  size_t name_end = line.find_first_of("{ ");
  std::string_view name = line.substr(0, name_end);
  LabelList labels;
  size_t position = name_end;
  if (line[position] == '{') {
    ++position;
    while (line[position] != '}') {
      size_t equals = line.find('=', position);
      std::string label(line.substr(position, equals - position));
      position = equals + 2;  // past ="
      std::string value;
      for (; line[position] != '"'; ++position) {
        if (line[position] == '\\') {
          char escaped = line[++position];
          value += escaped == 'n' ? '\n' : escaped;
        } else {
          value += line[position];
        }
      }
      labels.emplace_back(std::move(label), std::move(value));
      ++position;  // closing quote
      if (line[position] == ',') ++position;
    }
    ++position;  // closing brace
  }
  std::string_view value = line.substr(position + 1);
  value = value.substr(0, value.find(' '));  // no timestamps are expected; ignore if any
  samples[key(name, std::move(labels))] = parse_number(value);
}

LabelList labels_of(const proto::Metric& metric) {
  LabelList labels;
  for (const auto& pair : metric.label()) labels.emplace_back(pair.name(), pair.value());
  return labels;
}

}  // namespace

SampleMap text_samples(std::string_view text) {
  SampleMap samples;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line[0] != '#') parse_sample_line(line, samples);
  }
  return samples;
}

std::vector<proto::MetricFamily> decode_protobuf(const std::string& bytes) {
  google::protobuf::io::ArrayInputStream input(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&input);
  std::vector<proto::MetricFamily> families;
  for (;;) {
    proto::MetricFamily family;  // fresh each time: parsing merges into what is there
    bool clean_eof = false;
    if (!google::protobuf::util::ParseDelimitedFromCodedStream(&family, &coded, &clean_eof)) {
      EXPECT_TRUE(clean_eof) << "trailing bytes that are not a whole delimited MetricFamily";
      return families;
    }
    families.push_back(std::move(family));
  }
}

SampleMap protobuf_samples(const std::vector<proto::MetricFamily>& families) {
  SampleMap samples;
  for (const auto& family : families) {
    for (const auto& metric : family.metric()) {
      const LabelList labels = labels_of(metric);
      switch (family.type()) {
        case proto::COUNTER:
          samples[key(family.name(), labels)] = metric.counter().value();
          break;
        case proto::GAUGE:
          samples[key(family.name(), labels)] = metric.gauge().value();
          break;
        case proto::HISTOGRAM: {
          const proto::Histogram& histogram = metric.histogram();
          for (const auto& bucket : histogram.bucket()) {
            LabelList with_le = labels;
            with_le.emplace_back("le", canonical_number(bucket.upper_bound()));
            samples[key(family.name() + "_bucket", with_le)] =
                static_cast<double>(bucket.cumulative_count());
          }
          LabelList with_inf = labels;
          with_inf.emplace_back("le", "+Inf");
          samples[key(family.name() + "_bucket", with_inf)] =
              static_cast<double>(histogram.sample_count());
          samples[key(family.name() + "_count", labels)] =
              static_cast<double>(histogram.sample_count());
          samples[key(family.name() + "_sum", labels)] = histogram.sample_sum();
          break;
        }
        default:
          ADD_FAILURE() << "unexpected metric type in " << family.name();
      }
    }
  }
  return samples;
}

std::map<int32_t, uint64_t> native_buckets(const proto::Histogram& histogram) {
  std::map<int32_t, uint64_t> buckets;
  int32_t index = 0;
  int64_t count = 0;
  int delta = 0;
  for (int span = 0; span < histogram.positive_span_size(); ++span) {
    index += histogram.positive_span(span).offset();
    for (uint32_t i = 0; i < histogram.positive_span(span).length(); ++i, ++index) {
      count += histogram.positive_delta(delta++);
      if (count != 0) buckets[index] = static_cast<uint64_t>(count);
    }
  }
  return buckets;
}

}  // namespace ke::test
