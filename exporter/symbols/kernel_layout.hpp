// Where the running kernel image keeps its variables: an object whose address lies there is a
// global one (a lock declared with DEFINE_MUTEX or DEFINE_SPINLOCK), never a heap one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ke::symbols {

struct AddressRange {
  uint64_t start = 0;  // [start, end)
  uint64_t end = 0;
};

// The symbols kernel_data_range() reads, to be looked up with KernelSymbols::addresses_of().
inline constexpr std::string_view kKernelLayoutSymbols[] = {"_stext", "_sdata", "_end"};

// The kernel image's data and bss, [_sdata, _end), from `symbols` (kallsyms addresses by name)
// when they list both, which they do only with CONFIG_KALLSYMS_ALL. Otherwise from the
// "Kernel data" and "Kernel bss" resources of `iomem` (/proc/iomem: physical addresses, shown
// to root only), moved to virtual addresses by the distance between _stext and the "Kernel code"
// resource, which starts at _stext on x86-64 and arm64. nullopt when neither is available.
std::optional<AddressRange> kernel_data_range(
    const std::map<std::string, uint64_t, std::less<>>& symbols, std::string_view iomem);

// /proc/iomem's text, or empty when it cannot be read.
std::string read_iomem(const std::string& path = "/proc/iomem");

}  // namespace ke::symbols
