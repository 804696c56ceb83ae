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

}  // namespace
}  // namespace ke::symbols
