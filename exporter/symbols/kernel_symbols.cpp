#include "symbols/kernel_symbols.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace ke::symbols {
namespace {

// No kernel function or variable is larger than this; an address further from the nearest
// symbol below it lies in a gap (or in a module loaded after the read) and is not attributed to
// that symbol.
constexpr uint64_t kMaxSymbolSize = 1 << 20;

struct Symbol {
  uint64_t address;
  std::string_view name;
};

bool is_text_symbol(char type) {
  return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

bool is_variable_symbol(char type) {
  return type == 'd' || type == 'D' || type == 'b' || type == 'B';
}

// Calls visit(address, type, name) for each listed symbol (address 0, hidden, included) of
// "ffffffff81000000 T _stext" and "ffffffffc0a01000 t fn\t[module]" lines.
template <class Visit>
void for_each_symbol(std::string_view text, Visit visit) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    uint64_t address = 0;
    auto [after_address, error] =
        std::from_chars(line.data(), line.data() + line.size(), address, 16);
    size_t consumed = after_address - line.data();
    if (error != std::errc() || consumed + 3 > line.size()) continue;
    std::string_view name = line.substr(consumed + 3);
    name = name.substr(0, name.find_first_of("\t "));
    if (!name.empty()) visit(address, line[consumed + 1], name);
  }
}

// The symbols of the types `wanted` accepts, by address.
std::vector<Symbol> sorted_symbols(std::string_view text, bool (*wanted)(char type)) {
  std::vector<Symbol> symbols;
  for_each_symbol(text, [&](uint64_t address, char type, std::string_view name) {
    if (address != 0 && wanted(type)) symbols.push_back({address, name});
  });
  std::sort(symbols.begin(), symbols.end(),
            [](const Symbol& a, const Symbol& b) { return a.address < b.address; });
  return symbols;
}

// The symbol containing `address`, or null.
const Symbol* containing(const std::vector<Symbol>& symbols, uint64_t address) {
  auto above = std::upper_bound(symbols.begin(), symbols.end(), address,
                                [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (above == symbols.begin() || address - std::prev(above)->address >= kMaxSymbolSize)
    return nullptr;
  return &*std::prev(above);
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
  std::vector<Symbol> symbols = sorted_symbols(text, is_text_symbol);
  std::unordered_map<uint64_t, std::string> names;
  for (uint64_t address : addresses) {
    const Symbol* symbol = containing(symbols, address);
    names[address] = symbol ? std::string(symbol->name) : hex_address(address);
  }
  return names;
}

std::unordered_map<uint64_t, std::string> KernelSymbols::resolve_variables(
    std::string_view text, std::span<const uint64_t> addresses) {
  std::vector<Symbol> symbols = sorted_symbols(text, is_variable_symbol);
  std::unordered_map<uint64_t, std::string> names;
  for (uint64_t address : addresses) {
    const Symbol* symbol = containing(symbols, address);
    if (!symbol)
      names[address] = hex_address(address);
    else if (symbol->address == address)
      names[address] = std::string(symbol->name);
    else
      names[address] = std::string(symbol->name) + "+" + hex_address(address - symbol->address);
  }
  return names;
}

std::map<std::string, uint64_t, std::less<>> KernelSymbols::find_addresses(
    std::string_view text, std::span<const std::string_view> names) {
  std::map<std::string, uint64_t, std::less<>> found;
  for_each_symbol(text, [&](uint64_t address, char, std::string_view name) {
    if (address != 0 && std::find(names.begin(), names.end(), name) != names.end())
      found.try_emplace(std::string(name), address);
  });
  return found;
}

std::string KernelSymbols::read_table() {
  std::ifstream file(path_);
  std::stringstream content;
  content << file.rdbuf();
  ++table_reads_;
  return content.str();
}

std::vector<std::string> KernelSymbols::names_at(std::span<const uint64_t> addresses,
                                                 Resolver resolver,
                                                 std::unordered_map<uint64_t, std::string>& cache) {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> unseen;
  for (uint64_t address : addresses)
    if (!cache.contains(address)) unseen.push_back(address);
  if (!unseen.empty()) {
    for (auto& [address, name] : resolver(read_table(), unseen)) cache[address] = std::move(name);
  }
  std::vector<std::string> names;
  names.reserve(addresses.size());
  for (uint64_t address : addresses) names.push_back(cache.at(address));
  return names;
}

std::vector<std::string> KernelSymbols::functions_at(std::span<const uint64_t> addresses) {
  return names_at(addresses, resolve, cache_);
}

std::vector<std::string> KernelSymbols::variables_at(std::span<const uint64_t> addresses) {
  return names_at(addresses, resolve_variables, variable_cache_);
}

std::map<std::string, uint64_t, std::less<>> KernelSymbols::addresses_of(
    std::span<const std::string_view> names) {
  std::lock_guard lock(mutex_);
  std::vector<std::string_view> unseen;
  for (std::string_view name : names)
    if (!addresses_.contains(name)) unseen.push_back(name);
  if (!unseen.empty()) {
    const auto found = find_addresses(read_table(), unseen);
    for (std::string_view name : unseen) {
      const auto address = found.find(name);
      addresses_.emplace(name, address == found.end() ? 0 : address->second);
    }
  }
  std::map<std::string, uint64_t, std::less<>> result;
  for (std::string_view name : names)
    if (const uint64_t address = addresses_.find(name)->second) result.emplace(name, address);
  return result;
}

uint64_t KernelSymbols::table_reads() const {
  std::lock_guard lock(mutex_);
  return table_reads_;
}

}  // namespace ke::symbols
