// The lock collector's pure parts, exposed for unit tests.
#pragma once

#include <cstdint>
#include <string_view>

namespace ke::collectors {

// perf lock contention's name for the flags of lock:contention_begin ("spinlock", "rwsem:W",
// "mutex", ...); "unknown" for any combination the kernel does not use, so the label stays
// bounded whatever a future kernel passes.
std::string_view lock_type_name(uint32_t flags);

}  // namespace ke::collectors
