#include "metrics/exposition.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>

#include "exporter/metrics/metrics.pb.h"

namespace ke::metrics {
namespace {

// ---------------------------------------------------------------------------------------------
// Content negotiation

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// RFC 9110 tchar.
bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

struct Parameter {
  std::string_view name;
  std::string value;  // unquoted
};

struct MediaRange {
  std::string_view type;
  std::string_view subtype;
  std::vector<Parameter> parameters;  // all but q
  int weight = 1000;                  // q in thousandths: q has at most 3 decimals, ties are exact
};

class AcceptCursor {
 public:
  explicit AcceptCursor(std::string_view text) : text_(text) {}

  bool done() const { return text_.empty(); }

  void skip_whitespace() {
    while (!text_.empty() && (text_.front() == ' ' || text_.front() == '\t'))
      text_.remove_prefix(1);
  }

  bool consume(char c) {
    if (text_.empty() || text_.front() != c) return false;
    text_.remove_prefix(1);
    return true;
  }

  bool at(char c) const { return !text_.empty() && text_.front() == c; }

  std::string_view token() {
    const size_t length = std::ranges::find_if_not(text_, is_token_char) - text_.begin();
    const std::string_view token = text_.substr(0, length);
    text_.remove_prefix(length);
    return token;
  }

  std::optional<std::string> quoted_string() {
    if (!consume('"')) return std::nullopt;
    std::string value;
    while (!text_.empty()) {
      char c = text_.front();
      text_.remove_prefix(1);
      if (c == '"') return value;
      if (c == '\\') {
        if (text_.empty()) break;
        c = text_.front();
        text_.remove_prefix(1);
      }
      value += c;
    }
    return std::nullopt;  // unterminated
  }

  // Past the next comma outside a quoted string: the end of the current list element.
  void skip_element() {
    bool quoted = false;
    while (!text_.empty()) {
      const char c = text_.front();
      text_.remove_prefix(1);
      if (quoted && c == '\\' && !text_.empty()) {
        text_.remove_prefix(1);
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        return;
      }
    }
  }

 private:
  std::string_view text_;
};

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
std::optional<int> parse_weight(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() == 1) return thousandths;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int scale = 100;
  for (char digit : text.substr(2)) {
    if (digit < '0' || digit > '9') return std::nullopt;
    thousandths += (digit - '0') * scale;
    scale /= 10;
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// media-range *( OWS ";" OWS [ parameter ] ), up to the end of the element.
std::optional<MediaRange> parse_media_range(AcceptCursor& cursor) {
  MediaRange range;
  range.type = cursor.token();
  if (range.type.empty() || !cursor.consume('/')) return std::nullopt;
  range.subtype = cursor.token();
  if (range.subtype.empty() || (range.type == "*" && range.subtype != "*")) return std::nullopt;
  for (;;) {
    cursor.skip_whitespace();
    if (!cursor.consume(';')) break;
    cursor.skip_whitespace();
    if (cursor.done() || cursor.at(';') || cursor.at(',')) continue;  // empty parameter
    const std::string_view name = cursor.token();
    if (name.empty() || !cursor.consume('=')) return std::nullopt;
    std::optional<std::string> value;
    if (cursor.at('"')) {
      value = cursor.quoted_string();
    } else if (const std::string_view token = cursor.token(); !token.empty()) {
      value = std::string(token);
    }
    if (!value) return std::nullopt;
    if (iequals(name, "q")) {
      const std::optional<int> weight = parse_weight(*value);
      if (!weight) return std::nullopt;
      range.weight = *weight;
    } else {
      range.parameters.push_back({name, std::move(*value)});
    }
  }
  if (!cursor.done() && !cursor.at(',')) return std::nullopt;
  return range;
}

// The valid elements of an Accept header, in header order; invalid ones are dropped whole.
std::vector<MediaRange> parse_accept(std::string_view header) {
  std::vector<MediaRange> ranges;
  AcceptCursor cursor(header);
  for (;;) {
    cursor.skip_whitespace();
    while (cursor.consume(',')) cursor.skip_whitespace();  // empty list elements
    if (cursor.done()) return ranges;
    const AcceptCursor element_start = cursor;
    if (std::optional<MediaRange> range = parse_media_range(cursor)) {
      ranges.push_back(std::move(*range));
    } else {
      cursor = element_start;
      cursor.skip_element();
    }
  }
}

// A parameter the offered type constrains; parameters not listed are ignored.
struct ParameterRule {
  std::string_view name;
  std::string_view value;  // the only acceptable value when the parameter is present
  bool required;
};

struct Offer {
  Format format;
  std::string_view type;
  std::string_view subtype;
  std::span<const ParameterRule> rules;
  std::string_view content_type;
};

constexpr ParameterRule kPrometheusTextRules[] = {{"version", "0.0.4", false}};
constexpr ParameterRule kOpenMetricsRules[] = {{"version", "1.0.0", false}};
constexpr ParameterRule kProtobufRules[] = {{"proto", "io.prometheus.client.MetricFamily", true},
                                            {"encoding", "delimited", true}};

// In Format order, which breaks ties that nothing in the header breaks (e.g. a lone */*).
constexpr Offer kOffers[] = {
    {Format::prometheus_text, "text", "plain", kPrometheusTextRules,
     "text/plain; version=0.0.4; charset=utf-8"},
    {Format::openmetrics_text, "application", "openmetrics-text", kOpenMetricsRules,
     "application/openmetrics-text; version=1.0.0; charset=utf-8"},
    {Format::protobuf_delimited, "application", "vnd.google.protobuf", kProtobufRules,
     "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
     "encoding=delimited"},
};

bool satisfies(const MediaRange& range, std::span<const ParameterRule> rules) {
  for (const ParameterRule& rule : rules) {
    bool present = false;
    for (const Parameter& parameter : range.parameters) {
      if (!iequals(parameter.name, rule.name)) continue;
      if (parameter.value != rule.value) return false;
      present = true;
    }
    if (rule.required && !present) return false;
  }
  return true;
}

// RFC 9110 precedence when `range` matches `offer`: */* < type/* < type/subtype, and more
// parameters are more specific.
std::optional<size_t> specificity(const MediaRange& range, const Offer& offer) {
  if (range.type == "*") return 0;
  if (!iequals(range.type, offer.type)) return std::nullopt;
  if (range.subtype == "*") return 1;
  if (!iequals(range.subtype, offer.subtype) || !satisfies(range, offer.rules)) return std::nullopt;
  return 2 + range.parameters.size();
}

struct Candidate {
  const Offer* offer;
  int weight;
  size_t specificity;
  size_t position;  // of the deciding range in the header

  bool outranks(const Candidate& other) const {
    if (weight != other.weight) return weight > other.weight;
    if (specificity != other.specificity) return specificity > other.specificity;
    return position < other.position;
  }
};

// ---------------------------------------------------------------------------------------------
// Text formats

// Shortest text that parses back to the same double. Integers below 2^53 (all exact) are
// written without exponent: `3`, `1024`, not `3e+00`, `1.024e+03`.
void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  constexpr double kLargestExactInteger = 9007199254740992.0;  // 2^53
  char buffer[32];
  const std::to_chars_result result =
      std::trunc(value) == value && std::abs(value) <= kLargestExactInteger
          ? std::to_chars(std::begin(buffer), std::end(buffer), static_cast<int64_t>(value))
          : std::to_chars(std::begin(buffer), std::end(buffer), value);
  out.append(buffer, result.ptr);
}

void append_count(std::string& out, uint64_t count) {
  char buffer[24];
  out.append(buffer, std::to_chars(std::begin(buffer), std::end(buffer), count).ptr);
}

// Backslash and newline always; double quotes in label values and in OpenMetrics HELP.
void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
  size_t unescaped_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* escaped = c == '\\'                   ? "\\\\"
                          : c == '\n'                 ? "\\n"
                          : c == '"' && escape_quotes ? "\\\""
                                                      : nullptr;
    if (escaped == nullptr) continue;
    out.append(text, unescaped_from, i - unescaped_from);
    out += escaped;
    unescaped_from = i + 1;
  }
  out.append(text, unescaped_from);
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  throw std::invalid_argument("unknown metric type");
}

// OpenMetrics requires a declared unit to be the family name's suffix; these are the base units
// the exporter's names end in.
std::string_view unit_of(std::string_view family_name) {
  for (std::string_view suffix : {"_seconds", "_bytes"})
    if (family_name.ends_with(suffix)) return suffix.substr(1);
  return {};
}

// Writes families in Prometheus text 0.0.4 or OpenMetrics 1.0, which share the sample syntax.
class TextWriter {
 public:
  TextWriter(std::string& out, bool openmetrics) : out_(out), openmetrics_(openmetrics) {}

  void write(const Family& family) {
    // OpenMetrics names a counter family without the "_total" that its samples carry.
    std::string_view name = family.name;
    std::string_view counter_suffix;
    if (openmetrics_ && family.type == MetricType::counter) {
      if (name.ends_with("_total")) name.remove_suffix(std::string_view("_total").size());
      counter_suffix = "_total";
    }
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, family.help, openmetrics_);
    out_ += '\n';
    append_metadata("TYPE", name, type_name(family.type));
    if (const std::string_view unit = unit_of(name); openmetrics_ && !unit.empty())
      append_metadata("UNIT", name, unit);
    for (const Sample& sample : family.samples) {
      render_labels(sample.labels);
      if (family.type == MetricType::histogram) {
        append_histogram(name, sample.histogram);
      } else {
        begin_line(name, counter_suffix);
        append_value(out_, sample.value);
        out_ += '\n';
      }
    }
  }

 private:
  void append_metadata(std::string_view keyword, std::string_view name, std::string_view text) {
    out_ += "# ";
    out_ += keyword;
    out_ += ' ';
    out_ += name;
    out_ += ' ';
    out_ += text;
    out_ += '\n';
  }

  // Escaped once per sample: a histogram repeats its labels on every line.
  void render_labels(const Labels& labels) {
    labels_.clear();
    for (const Label& label : labels) {
      if (!labels_.empty()) labels_ += ',';
      labels_ += label.name;
      labels_ += "=\"";
      append_escaped(labels_, label.value, true);
      labels_ += '"';
    }
  }

  // `<name><suffix>{<labels>[,le="<bound>"]} `: a sample line up to its value.
  void begin_line(std::string_view name, std::string_view suffix,
                  std::optional<double> le = std::nullopt) {
    out_ += name;
    out_ += suffix;
    if (!labels_.empty() || le) {
      out_ += '{';
      out_ += labels_;
      if (le) {
        if (!labels_.empty()) out_ += ',';
        out_ += "le=\"";
        append_value(out_, *le);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
  }

  void append_histogram(std::string_view name, const Histogram& histogram) {
    for (const ClassicBucket& bucket : histogram.classic) {
      begin_line(name, "_bucket", bucket.upper_bound);
      append_count(out_, bucket.cumulative_count);
      out_ += '\n';
    }
    begin_line(name, "_sum");
    append_value(out_, histogram.sum);
    out_ += '\n';
    begin_line(name, "_count");
    append_count(out_, histogram.count);
    out_ += '\n';
  }

  std::string& out_;
  const bool openmetrics_;
  std::string labels_;  // the current sample's, escaped, comma-separated, without braces
};

// ---------------------------------------------------------------------------------------------
// Protobuf

namespace proto = io::prometheus::client;

proto::MetricType proto_type(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return proto::COUNTER;
    case MetricType::gauge:
      return proto::GAUGE;
    case MetricType::histogram:
      return proto::HISTOGRAM;
  }
  throw std::invalid_argument("unknown metric type");
}

// Spans and deltas as client_golang writes them: a gap of up to two empty buckets is filled with
// zero deltas (2 bytes each) rather than opening a new span (6 bytes), so Prometheus gets the
// same layout from us as from Go exporters.
void set_positive_buckets(std::span<const NativeBucket> buckets, proto::Histogram& message) {
  constexpr int32_t kLargestFilledGap = 2;
  proto::BucketSpan* span = nullptr;
  int32_t next_index = 0;  // makes the first span's offset its absolute start index
  int64_t previous_count = 0;
  auto append_bucket = [&](int64_t count) {
    span->set_length(span->length() + 1);
    message.add_positive_delta(count - previous_count);
    previous_count = count;
  };
  for (const NativeBucket& bucket : buckets) {
    const int32_t gap = bucket.index - next_index;
    if (span == nullptr || gap > kLargestFilledGap) {
      span = message.add_positive_span();
      span->set_offset(gap);
      span->set_length(0);
    } else {
      for (int32_t filled = 0; filled < gap; ++filled) append_bucket(0);
    }
    append_bucket(static_cast<int64_t>(bucket.count));
    next_index = bucket.index + 1;
  }
}

void set_histogram(const Histogram& histogram, proto::Histogram& message) {
  message.set_sample_count(histogram.count);
  message.set_sample_sum(histogram.sum);
  for (const ClassicBucket& bucket : histogram.classic) {
    if (std::isinf(bucket.upper_bound))
      continue;  // implied by sample_count; client_golang omits it
    proto::Bucket& classic = *message.add_bucket();
    classic.set_upper_bound(bucket.upper_bound);
    classic.set_cumulative_count(bucket.cumulative_count);
  }
  // Prometheus 2.42 takes a histogram as native only if it has bucket deltas, a zero_count or
  // a zero_threshold above 0 (it ignores spans), and decides per family from the first one: an
  // empty histogram therefore needs a non-zero zero_threshold in the model, else the whole
  // family is ingested as classic.
  message.set_schema(histogram.schema);
  message.set_zero_threshold(histogram.zero_threshold);
  message.set_zero_count(histogram.zero_count);
  set_positive_buckets(histogram.positive, message);
}

void append_protobuf(std::string& out, const std::vector<Family>& families) {
  google::protobuf::io::StringOutputStream stream(&out);
  proto::MetricFamily message;  // reused: Clear() keeps its allocations for the next family
  for (const Family& family : families) {
    message.Clear();
    message.set_name(family.name);
    message.set_help(family.help);
    message.set_type(proto_type(family.type));
    for (const Sample& sample : family.samples) {
      proto::Metric& metric = *message.add_metric();
      for (const Label& label : sample.labels) {
        proto::LabelPair& pair = *metric.add_label();
        pair.set_name(label.name);
        pair.set_value(label.value);
      }
      switch (family.type) {
        case MetricType::counter:
          metric.mutable_counter()->set_value(sample.value);
          break;
        case MetricType::gauge:
          metric.mutable_gauge()->set_value(sample.value);
          break;
        case MetricType::histogram:
          set_histogram(sample.histogram, *metric.mutable_histogram());
          break;
      }
    }
    if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(message, &stream))
      throw std::length_error("metric family " + family.name + " is too large for protobuf");
  }
}

}  // namespace

Negotiated negotiate(std::string_view accept_header) {
  const std::vector<MediaRange> ranges = parse_accept(accept_header);
  std::optional<Candidate> best;
  for (const Offer& offer : kOffers) {
    // The most specific range that matches an offer sets its weight (the first one on ties).
    std::optional<Candidate> candidate;
    for (size_t position = 0; position < ranges.size(); ++position) {
      const std::optional<size_t> range_specificity = specificity(ranges[position], offer);
      if (range_specificity && (!candidate || *range_specificity > candidate->specificity))
        candidate = Candidate{&offer, ranges[position].weight, *range_specificity, position};
    }
    if (candidate && candidate->weight > 0 && (!best || candidate->outranks(*best)))
      best = candidate;
  }
  const Offer& chosen = best ? *best->offer : kOffers[0];
  return {chosen.format, std::string(chosen.content_type)};
}

std::string serialize(const std::vector<Family>& families, Format format) {
  std::string out;
  switch (format) {
    case Format::prometheus_text:
    case Format::openmetrics_text: {
      TextWriter writer(out, format == Format::openmetrics_text);
      for (const Family& family : families) writer.write(family);
      if (format == Format::openmetrics_text) out += "# EOF\n";
      break;
    }
    case Format::protobuf_delimited:
      append_protobuf(out, families);
      break;
  }
  return out;
}

}  // namespace ke::metrics
