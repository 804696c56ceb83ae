// Kernel function and variable names for addresses, and addresses for names, from
// /proc/kallsyms (vmlinux and modules).
//
// Names are cached per address. The symbol table itself is not kept: it holds ~120k symbols
// (several MiB), while a collector only ever sees a few hundred distinct addresses. Each batch of
// unseen addresses costs one read of kallsyms; once the label set is warm, scrapes read nothing.
#pragma once

#include <cstdint>
#include <map>
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

  // The variable containing each address, in order: "name", or "name+0x10" inside it. kallsyms
  // lists variables only with CONFIG_KALLSYMS_ALL (and section markers such as __start_once
  // always, which then look like containers: check for a variable such as _sdata first).
  // Unknown addresses are named by their hex address.
  std::vector<std::string> variables_at(std::span<const uint64_t> addresses);

  // The address of each named symbol that kallsyms lists (function or variable), from one read;
  // names it does not list, or lists at address 0 (hidden from us), are absent. Answers are
  // cached, so names looked up before (see Descriptor::kallsyms_names) cost no read.
  std::map<std::string, uint64_t, std::less<>> addresses_of(
      std::span<const std::string_view> names);

  // Reads of kallsyms so far (to show that warm scrapes read nothing).
  uint64_t table_reads() const;

  // Exposed for tests: resolve `addresses` to functions or variables, or `names` to addresses,
  // against kallsyms-formatted `text`.
  static std::unordered_map<uint64_t, std::string> resolve(std::string_view text,
                                                           std::span<const uint64_t> addresses);
  static std::unordered_map<uint64_t, std::string> resolve_variables(
      std::string_view text, std::span<const uint64_t> addresses);
  static std::map<std::string, uint64_t, std::less<>> find_addresses(
      std::string_view text, std::span<const std::string_view> names);

 private:
  using Resolver = std::unordered_map<uint64_t, std::string> (*)(std::string_view,
                                                                 std::span<const uint64_t>);
  std::vector<std::string> names_at(std::span<const uint64_t> addresses, Resolver resolver,
                                    std::unordered_map<uint64_t, std::string>& cache);
  std::string read_table();

  std::string path_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, std::string> cache_;           // functions
  std::unordered_map<uint64_t, std::string> variable_cache_;  // variables
  std::map<std::string, uint64_t, std::less<>> addresses_;    // looked-up names; 0 when absent
  uint64_t table_reads_ = 0;
};

std::string hex_address(uint64_t address);

}  // namespace ke::symbols
