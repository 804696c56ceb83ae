#include "http/gzip.hpp"

#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <stdexcept>

namespace ke::http {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip header and trailer
constexpr int kMemLevel = 8;              // zlib's default

// A deflate state per thread, reset for each response: initialising one allocates and clears
// ~256 KiB, which would otherwise dominate the cost of compressing a small page.
class DeflateStream {
 public:
  DeflateStream() {
    if (deflateInit2(&stream_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("gzip: deflateInit2 failed");
    }
  }
  ~DeflateStream() { deflateEnd(&stream_); }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  z_stream* reset() {
    if (deflateReset(&stream_) != Z_OK) throw std::runtime_error("gzip: deflateReset failed");
    return &stream_;
  }

 private:
  z_stream stream_{};
};

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Splits off the text before the first `separator` (or all of it) from `text`.
std::string_view take_until(std::string_view& text, char separator) {
  const size_t end = text.find(separator);
  const std::string_view taken = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return taken;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); only whether it is 0 matters.
bool is_positive_qvalue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return false;
  const std::string_view fraction = q.substr(1);
  if (!fraction.empty() && (fraction[0] != '.' || fraction.size() > 4)) return false;
  const std::string_view digits = fraction.empty() ? fraction : fraction.substr(1);
  if (!std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; })) return false;
  if (q[0] == '1') return std::ranges::all_of(digits, [](char c) { return c == '0'; });
  return std::ranges::any_of(digits, [](char c) { return c != '0'; });
}

// Whether one Accept-Encoding element ("coding;q=0.5;other=x") has a positive weight.
bool has_positive_weight(std::string_view parameters) {
  bool positive = true;  // no q parameter means q=1
  while (!parameters.empty()) {
    std::string_view value = take_until(parameters, ';');
    const std::string_view name = trim(take_until(value, '='));
    if (equals_ignoring_case(name, "q")) positive = is_positive_qvalue(trim(value));
  }
  return positive;
}

}  // namespace

std::string gzip_compress(std::string_view data) {
  thread_local DeflateStream deflate_stream;
  z_stream& stream = *deflate_stream.reset();
  std::string compressed;
  compressed.reserve(deflateBound(&stream, data.size()));

  stream.next_in = reinterpret_cast<const Bytef*>(data.data());
  size_t not_yet_given = data.size();
  Bytef chunk[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    // avail_in is 32 bits wide, so input beyond 4 GiB is handed over in parts.
    if (stream.avail_in == 0) {
      stream.avail_in =
          static_cast<uInt>(std::min<size_t>(not_yet_given, std::numeric_limits<uInt>::max()));
      not_yet_given -= stream.avail_in;
    }
    stream.next_out = chunk;
    stream.avail_out = sizeof(chunk);
    status = deflate(&stream, not_yet_given == 0 ? Z_FINISH : Z_NO_FLUSH);
    compressed.append(reinterpret_cast<const char*>(chunk), sizeof(chunk) - stream.avail_out);
  }
  if (status != Z_STREAM_END) {
    throw std::runtime_error("gzip: deflate failed with status " + std::to_string(status));
  }
  return compressed;
}

bool accepts_gzip(std::string_view accept_encoding) {
  bool gzip_listed = false;
  bool gzip_allowed = true;  // every explicit gzip element must allow it
  bool wildcard_allowed = false;
  while (!accept_encoding.empty()) {
    std::string_view element = take_until(accept_encoding, ',');
    const std::string_view coding = trim(take_until(element, ';'));
    // RFC 9110 8.4.1.3: recipients should treat x-gzip as gzip.
    if (equals_ignoring_case(coding, "gzip") || equals_ignoring_case(coding, "x-gzip")) {
      gzip_listed = true;
      gzip_allowed = gzip_allowed && has_positive_weight(element);
    } else if (coding == "*") {
      wildcard_allowed = has_positive_weight(element);
    }
  }
  return gzip_listed ? gzip_allowed : wildcard_allowed;
}

}  // namespace ke::http
