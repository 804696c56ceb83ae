#include "symbols/kernel_layout.hpp"

#include <gtest/gtest.h>

namespace ke::symbols {
namespace {

using Addresses = std::map<std::string, uint64_t, std::less<>>;

// This build machine's (x86-64, KASLR off, no CONFIG_KALLSYMS_ALL).
constexpr std::string_view kIomem =
    "00000000-00000fff : Reserved\n"
    "00100000-bfffffff : System RAM\n"
    "  01000000-0220bb07 : Kernel code\n"
    "  02400000-02e09fff : Kernel rodata\n"
    "  03000000-0327c13f : Kernel data\n"
    "  03b34000-03c57fff : Kernel bss\n"
    "fee00000-fee00fff : Local APIC\n";

TEST(KernelLayout, KallsymsWinsWhenItListsTheBounds) {
  const Addresses symbols = {
      {"_stext", 0xffffffff81000000}, {"_sdata", 0xffffffff83000000}, {"_end", 0xffffffff84000000}};
  const auto range = kernel_data_range(symbols, kIomem);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->start, 0xffffffff83000000u);
  EXPECT_EQ(range->end, 0xffffffff84000000u);
}

TEST(KernelLayout, IomemMovedToTheVirtualText) {
  const auto range = kernel_data_range({{"_stext", 0xffffffff81000000}}, kIomem);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->start, 0xffffffff83000000u);  // data through the end of bss
  EXPECT_EQ(range->end, 0xffffffff83c58000u);
  // Randomized: the same physical layout under another virtual base.
  const auto moved = kernel_data_range({{"_stext", 0xffffffffa4a00000}}, kIomem);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->start, 0xffffffffa6a00000u);
}

TEST(KernelLayout, Arm64CountsBssInData) {
  constexpr std::string_view arm64 =
      "40000000-bfffffff : System RAM\n"
      "  40210000-41a6ffff : Kernel code\n"
      "  41f40000-4235ffff : Kernel data\n";
  const auto range = kernel_data_range({{"_stext", 0xffff800080010000}}, arm64);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->start, 0xffff800081d40000u);
  EXPECT_EQ(range->end, 0xffff800082160000u);
}

TEST(KernelLayout, NothingWhenNeitherSourceWorks) {
  EXPECT_FALSE(kernel_data_range({}, kIomem));  // no _stext to anchor iomem
  EXPECT_FALSE(kernel_data_range({{"_stext", 0xffffffff81000000}}, ""));
  // Unprivileged readers see zeros.
  EXPECT_FALSE(kernel_data_range({{"_stext", 0xffffffff81000000}},
                                 "  00000000-00000000 : Kernel code\n"
                                 "  00000000-00000000 : Kernel data\n"));
  // _sdata without _end (or inverted) does not count as listed.
  EXPECT_FALSE(kernel_data_range({{"_sdata", 0xffffffff83000000}}, ""));
}

}  // namespace
}  // namespace ke::symbols
