#include "symbols/kernel_layout.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace ke::symbols {
namespace {

struct Resource {
  uint64_t start = 0;
  uint64_t last = 0;  // inclusive, as /proc/iomem prints it
};

// The first resource named `name` in lines such as "  01000000-0220bb07 : Kernel code".
std::optional<Resource> find_resource(std::string_view iomem, std::string_view name) {
  while (!iomem.empty()) {
    const size_t end = iomem.find('\n');
    std::string_view line = iomem.substr(0, end);
    iomem.remove_prefix(end == std::string_view::npos ? iomem.size() : end + 1);
    const size_t separator = line.find(" : ");
    if (separator == std::string_view::npos || line.substr(separator + 3) != name) continue;
    std::string_view range = line.substr(0, separator);
    range.remove_prefix(std::min(range.find_first_not_of(' '), range.size()));
    const size_t dash = range.find('-');
    if (dash == std::string_view::npos) continue;
    Resource resource;
    const auto first = std::from_chars(range.data(), range.data() + dash, resource.start, 16);
    const auto second =
        std::from_chars(range.data() + dash + 1, range.data() + range.size(), resource.last, 16);
    if (first.ec != std::errc() || second.ec != std::errc()) continue;
    return resource;
  }
  return std::nullopt;
}

}  // namespace

std::optional<AddressRange> kernel_data_range(
    const std::map<std::string, uint64_t, std::less<>>& symbols, std::string_view iomem) {
  const auto sdata = symbols.find("_sdata"), end = symbols.find("_end");
  if (sdata != symbols.end() && end != symbols.end() && sdata->second < end->second)
    return AddressRange{sdata->second, end->second};

  const auto stext = symbols.find("_stext");
  const auto code = find_resource(iomem, "Kernel code");
  const auto data = find_resource(iomem, "Kernel data");
  // Unprivileged readers see every range as 0-0.
  if (stext == symbols.end() || !code || !data || code->start == 0 || data->start < code->start)
    return std::nullopt;
  // x86-64 lists bss apart; arm64 counts it in "Kernel data".
  const auto bss = find_resource(iomem, "Kernel bss");
  const uint64_t last = bss && bss->last > data->last ? bss->last : data->last;
  const uint64_t offset = stext->second - code->start;
  return AddressRange{data->start + offset, last + 1 + offset};
}

std::string read_iomem(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

}  // namespace ke::symbols
