#include "gunzip.hpp"

#include <zlib.h>

#include <stdexcept>

namespace ke::test {

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string inflated;
  char chunk[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    status = inflate(&stream, Z_NO_FLUSH);
    inflated.append(chunk, sizeof(chunk) - stream.avail_out);
  }
  const uInt trailing_bytes = stream.avail_in;
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("inflate failed: " + std::to_string(status));
  if (trailing_bytes != 0) throw std::runtime_error("bytes after the gzip member");
  return inflated;
}

}  // namespace ke::test
