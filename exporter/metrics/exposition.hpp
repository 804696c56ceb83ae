// Exposition of the metric model: content negotiation and the three wire formats Prometheus
// scrapes (text 0.0.4, OpenMetrics 1.0 text, delimited protobuf with native histograms).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/model.hpp"

namespace ke::metrics {

enum class Format { prometheus_text, openmetrics_text, protobuf_delimited };

struct Negotiated {
  Format format;
  std::string content_type;  // the Content-Type header to send with serialize(..., format)
};

// Picks the format from an HTTP Accept header by q-values (RFC 9110). Each format takes the q of
// the most specific media range that matches it; the highest q wins, ties go to the more
// specific range, then to the range earlier in the header, then to the order of the Format enum.
// q=0 excludes. Recognised: application/vnd.google.protobuf with
// proto=io.prometheus.client.MetricFamily and encoding=delimited (both required);
// application/openmetrics-text with version 1.0.0 or none; text/plain with version 0.0.4 or
// none; text/* and */*. Elements that do not parse (e.g. a malformed q) are ignored. When
// nothing is acceptable, or the header is empty: Prometheus text.
Negotiated negotiate(std::string_view accept_header);

// The whole page in `format`. Label names are assumed valid and unique within a sample.
std::string serialize(const std::vector<Family>& families, Format format);

}  // namespace ke::metrics
