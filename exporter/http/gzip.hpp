// gzip content coding for HTTP responses.
#pragma once

#include <string>
#include <string_view>

namespace ke::http {

// `data` as a single RFC 1952 gzip member. Throws std::runtime_error if zlib fails.
std::string gzip_compress(std::string_view data);

// True when an Accept-Encoding header value allows the gzip coding (RFC 9110 12.5.3): "gzip",
// "gzip;q=0.5", "*". False for "gzip;q=0", "identity", "", "*;q=0", and whenever gzip itself is
// listed with q=0, even if "*" is allowed. A malformed q-value counts as 0: identity is always
// acceptable, so doubt never justifies compressing.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace ke::http
