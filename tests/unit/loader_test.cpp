#include "bpf/loader.hpp"

#include <gtest/gtest.h>

namespace ke::bpf {
namespace {

TEST(Loader, ProgramNamesSplitIntoSlotAndHook) {
  auto parsed = parse_program_name("execute_start__tp_btf");
  EXPECT_EQ(parsed.slot, "execute_start");
  EXPECT_EQ(parsed.hook, "tp_btf");
  EXPECT_EQ(parse_program_name("mutex_lock_exit__kretprobe").hook, "kretprobe");
  EXPECT_EQ(parse_program_name("a__b__raw_tp").slot, "a__b");
}

TEST(Loader, NamesWithoutAHookSuffixAreOnDemandPrograms) {
  auto parsed = parse_program_name("read_avenrun");
  EXPECT_EQ(parsed.slot, "read_avenrun");
  EXPECT_TRUE(parsed.hook.empty());
  EXPECT_TRUE(parse_program_name("odd__suffix").hook.empty());
}

TEST(Loader, HookFamilies) {
  EXPECT_EQ(hook_family("fexit"), "fentry");
  EXPECT_EQ(hook_family("kretprobe"), "kprobe");
  EXPECT_EQ(hook_family("tp_btf"), "tp_btf");
}

TEST(Loader, BlamesTheProgramLibbpfNames) {
  auto blame = blame_program(
      "libbpf: map 'x': created\n"
      "libbpf: prog 'execute_start__tp_btf': failed to find kernel BTF type ID of "
      "'workqueue_execute_start': -3\n"
      "libbpf: prog 'execute_start__tp_btf': failed to load: -3\n");
  EXPECT_EQ(blame.program, "execute_start__tp_btf");
  EXPECT_EQ(blame.reason, "failed to find kernel BTF type ID of 'workqueue_execute_start': -3");
}

TEST(Loader, NoBlameWithoutAProgram) {
  EXPECT_TRUE(blame_program("libbpf: failed to find valid kernel BTF\n").program.empty());
  EXPECT_TRUE(blame_program("").program.empty());
}

}  // namespace
}  // namespace ke::bpf
