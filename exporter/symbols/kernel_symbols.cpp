#include "symbols/kernel_symbols.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace ke::symbols {
namespace {

// No kernel function is larger than this; an address further from the nearest symbol below it
// lies in a gap (or in a module loaded after the read) and is not attributed to that symbol.
constexpr uint64_t kMaxFunctionSize = 1 << 20;

struct Symbol {
  uint64_t address;
  std::string_view name;
};

bool is_text_symbol(char type) {
  return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

// Parses "ffffffff81000000 T _stext" and "ffffffffc0a01000 t fn\t[module]" lines.
std::vector<Symbol> text_symbols(std::string_view text) {
  std::vector<Symbol> symbols;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    uint64_t address = 0;
    auto [after_address, error] =
        std::from_chars(line.data(), line.data() + line.size(), address, 16);
    size_t consumed = after_address - line.data();
    if (error != std::errc() || address == 0 || consumed + 3 > line.size()) continue;
    if (!is_text_symbol(line[consumed + 1])) continue;
    std::string_view name = line.substr(consumed + 3);
    name = name.substr(0, name.find_first_of("\t "));
    if (!name.empty()) symbols.push_back({address, name});
  }
  std::sort(symbols.begin(), symbols.end(),
            [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  return symbols;
}

}  // namespace

std::string hex_address(uint64_t address) {
  char buffer[2 + 16 + 1] = "0x";
  auto [end, error] = std::to_chars(buffer + 2, buffer + sizeof buffer - 1, address, 16);
  return std::string(buffer, end);
}

KernelSymbols::KernelSymbols(std::string kallsyms_path) : path_(std::move(kallsyms_path)) {}

std::unordered_map<uint64_t, std::string> KernelSymbols::resolve(
    std::string_view text, std::span<const uint64_t> addresses) {
  std::vector<Symbol> symbols = text_symbols(text);
  std::unordered_map<uint64_t, std::string> names;
  for (uint64_t address : addresses) {
    auto above = std::upper_bound(symbols.begin(), symbols.end(), address,
                                  [](uint64_t a, const Symbol& s) { return a < s.address; });
    if (above == symbols.begin() || address - std::prev(above)->address >= kMaxFunctionSize)
      names[address] = hex_address(address);
    else
      names[address] = std::string(std::prev(above)->name);
  }
  return names;
}

std::vector<std::string> KernelSymbols::functions_at(std::span<const uint64_t> addresses) {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> unseen;
  for (uint64_t address : addresses)
    if (!cache_.contains(address)) unseen.push_back(address);
  if (!unseen.empty()) {
    std::ifstream file(path_);
    std::stringstream content;
    content << file.rdbuf();
    ++table_reads_;
    for (auto& [address, name] : resolve(content.str(), unseen)) cache_[address] = std::move(name);
  }
  std::vector<std::string> names;
  names.reserve(addresses.size());
  for (uint64_t address : addresses) names.push_back(cache_.at(address));
  return names;
}

uint64_t KernelSymbols::table_reads() const {
  std::lock_guard lock(mutex_);
  return table_reads_;
}

}  // namespace ke::symbols
