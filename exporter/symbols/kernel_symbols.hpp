// Kernel function names for addresses, from /proc/kallsyms (vmlinux and modules).
//
// Names are cached per address. The symbol table itself is not kept: it holds ~120k symbols
// (several MiB), while a collector only ever sees a few hundred distinct addresses. Each batch of
// unseen addresses costs one read of kallsyms; once the label set is warm, scrapes read nothing.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ke::symbols {

class KernelSymbols {
 public:
  explicit KernelSymbols(std::string kallsyms_path = "/proc/kallsyms");

  // The function containing each address, in order. Unknown addresses (outside every
  // function, or kallsyms hiding addresses from us) are named by their hex address.
  std::vector<std::string> functions_at(std::span<const uint64_t> addresses);

  // Reads of kallsyms so far (to show that warm scrapes read nothing).
  uint64_t table_reads() const;

  // Exposed for tests: resolves `addresses` against kallsyms-formatted `text`.
  static std::unordered_map<uint64_t, std::string> resolve(std::string_view text,
                                                           std::span<const uint64_t> addresses);

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, std::string> cache_;
  uint64_t table_reads_ = 0;
};

std::string hex_address(uint64_t address);

}  // namespace ke::symbols
