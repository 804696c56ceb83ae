// Decompressing one gzip member, to check what the server and gzip_compress produce.
#pragma once

#include <string>

namespace ke::test {

// Throws std::runtime_error on corrupt input or bytes after the member.
std::string gunzip(const std::string& compressed);

}  // namespace ke::test
