#include "symbols/kernel_symbols.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace ke::symbols {
namespace {

constexpr std::string_view kKallsyms =
    "ffffffff81000000 T _stext\n"
    "ffffffff81001000 T vmstat_update\n"
    "ffffffff81001800 t flush_to_ldisc\n"
    "ffffffff81002000 D some_data\n"
    "ffffffff81003000 W weak_function\n"
    "ffffffffc0a00000 t e1000_clean\t[e1000]\n"
    "ffffffffc0a00400 T e1000_intr\t[e1000]\n"
    "0000000000000000 A fixed_percpu_data\n";

TEST(KernelSymbols, ResolvesToTheFunctionBelowTheAddress) {
  const uint64_t addresses[] = {0xffffffff81001000, 0xffffffff81001010, 0xffffffff810017ff,
                                0xffffffff81001800, 0xffffffff81003004};
  auto names = KernelSymbols::resolve(kKallsyms, addresses);
  EXPECT_EQ(names[0xffffffff81001000], "vmstat_update");
  EXPECT_EQ(names[0xffffffff81001010], "vmstat_update");
  EXPECT_EQ(names[0xffffffff810017ff], "vmstat_update");
  EXPECT_EQ(names[0xffffffff81001800], "flush_to_ldisc");
  EXPECT_EQ(names[0xffffffff81003004], "weak_function");
}

TEST(KernelSymbols, DataSymbolsAreNotFunctions) {
  const uint64_t address = 0xffffffff81002010;
  auto names = KernelSymbols::resolve(kKallsyms, {&address, 1});
  EXPECT_EQ(names[address], "flush_to_ldisc");
}

TEST(KernelSymbols, ModuleSymbolsDropTheModuleName) {
  const uint64_t addresses[] = {0xffffffffc0a00010, 0xffffffffc0a00400};
  auto names = KernelSymbols::resolve(kKallsyms, addresses);
  EXPECT_EQ(names[0xffffffffc0a00010], "e1000_clean");
  EXPECT_EQ(names[0xffffffffc0a00400], "e1000_intr");
}

TEST(KernelSymbols, UnknownAddressesAreNamedInHex) {
  const uint64_t addresses[] = {0x1000, 0xffffffffc1a00000, 0};
  auto names = KernelSymbols::resolve(kKallsyms, addresses);
  EXPECT_EQ(names[0x1000], "0x1000");
  EXPECT_EQ(names[0xffffffffc1a00000], "0xffffffffc1a00000");  // far past the last module symbol
  EXPECT_EQ(names[0], "0x0");
}

TEST(KernelSymbols, HiddenAddressesResolveToNothing) {
  // Without CAP_SYSLOG, kallsyms shows every address as zero.
  const uint64_t address = 0xffffffff81001000;
  auto names = KernelSymbols::resolve("0000000000000000 T vmstat_update\n", {&address, 1});
  EXPECT_EQ(names[address], "0xffffffff81001000");
}

TEST(KernelSymbols, CachesSoWarmLookupsReadNothing) {
  const std::string path = ::testing::TempDir() + "/kallsyms";
  std::ofstream(path) << kKallsyms;
  KernelSymbols symbols(path);
  const uint64_t first[] = {0xffffffff81001000, 0xffffffff81001800};
  EXPECT_EQ(symbols.functions_at(first),
            (std::vector<std::string>{"vmstat_update", "flush_to_ldisc"}));
  EXPECT_EQ(symbols.table_reads(), 1u);
  EXPECT_EQ(symbols.functions_at(first)[1], "flush_to_ldisc");
  EXPECT_EQ(symbols.table_reads(), 1u);
  const uint64_t unseen[] = {0xffffffff81001800, 0xffffffffc0a00400};
  EXPECT_EQ(symbols.functions_at(unseen)[1], "e1000_intr");
  EXPECT_EQ(symbols.table_reads(), 2u);
  std::remove(path.c_str());
}

TEST(KernelSymbols, FindsAddressesByName) {
  const std::string_view names[] = {"_stext", "some_data", "e1000_intr", "absent",
                                    "fixed_percpu_data"};
  auto found = KernelSymbols::find_addresses(kKallsyms, names);
  EXPECT_EQ(found, (std::map<std::string, uint64_t, std::less<>>{
                       {"_stext", 0xffffffff81000000},
                       {"some_data", 0xffffffff81002000},
                       {"e1000_intr", 0xffffffffc0a00400}}));  // absent and 0 (hidden) left out
}

// Start-up looks up every collector's names in one read (Descriptor::kallsyms_names); the
// collectors' own lookups, found or not, then read nothing.
TEST(KernelSymbols, NameLookupsAreCachedFoundOrNot) {
  const std::string path = ::testing::TempDir() + "/kallsyms_names";
  std::ofstream(path) << kKallsyms;
  KernelSymbols symbols(path);
  const std::string_view all[] = {"_stext", "absent", "e1000_intr"};
  EXPECT_EQ(symbols.addresses_of(all).size(), 2u);
  EXPECT_EQ(symbols.table_reads(), 1u);
  const std::string_view some[] = {"absent", "_stext"};
  EXPECT_EQ(symbols.addresses_of(some),
            (std::map<std::string, uint64_t, std::less<>>{{"_stext", 0xffffffff81000000}}));
  EXPECT_EQ(symbols.table_reads(), 1u);
  const std::string_view unseen[] = {"_stext", "some_data"};
  EXPECT_EQ(symbols.addresses_of(unseen).at("some_data"), 0xffffffff81002000);
  EXPECT_EQ(symbols.table_reads(), 2u);
  std::remove(path.c_str());
}

TEST(KernelSymbols, VariablesAreNamedWithTheirOffset) {
  constexpr std::string_view kWithVariables =
      "ffffffff81001000 T vmstat_update\n"
      "ffffffff83000000 D _sdata\n"
      "ffffffff83000040 d tty_mutex\n"
      "ffffffff83000100 D rcu_state\n"
      "ffffffff83c00000 b some_bss\n"
      "ffffffff83c57fff B _end\n";
  const uint64_t addresses[] = {0xffffffff83000040, 0xffffffff830002a0, 0xffffffff83c00008,
                                0xffffffff81001000, 0xffffffff90000000};
  auto names = KernelSymbols::resolve_variables(kWithVariables, addresses);
  EXPECT_EQ(names[0xffffffff83000040], "tty_mutex");
  EXPECT_EQ(names[0xffffffff830002a0], "rcu_state+0x1a0");
  EXPECT_EQ(names[0xffffffff83c00008], "some_bss+0x8");
  EXPECT_EQ(names[0xffffffff81001000], "0xffffffff81001000");  // a function is no variable
  EXPECT_EQ(names[0xffffffff90000000], "0xffffffff90000000");
}

TEST(KernelSymbols, LookupsByNameAndVariablesShareTheFile) {
  const std::string path = ::testing::TempDir() + "/kallsyms_variables";
  std::ofstream(path) << kKallsyms;
  KernelSymbols symbols(path);
  const std::string_view names[] = {"vmstat_update"};
  EXPECT_EQ(symbols.addresses_of(names).at("vmstat_update"), 0xffffffff81001000);
  const uint64_t address = 0xffffffff81002008;
  EXPECT_EQ(symbols.variables_at({&address, 1}), std::vector<std::string>{"some_data+0x8"});
  EXPECT_EQ(symbols.variables_at({&address, 1}), std::vector<std::string>{"some_data+0x8"});
  EXPECT_EQ(symbols.table_reads(), 2u);  // the second variable lookup was cached
  // Functions and variables are cached apart: the same address is both.
  EXPECT_EQ(symbols.functions_at({&address, 1}), std::vector<std::string>{"flush_to_ldisc"});
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ke::symbols
