#include "bpf/loader.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "mutex.skel.h"

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

// Writes `format` to libbpf's print function (the loader's, which collects it), as libbpf does
// when a load fails.
void libbpf_warning(const char* format, ...) {
  libbpf_print_fn_t print = libbpf_set_print(nullptr);
  libbpf_set_print(print);
  va_list args;
  va_start(args, format);
  print(LIBBPF_WARN, format, args);
  va_end(args);
}

// The mutex object (nine fentry/fexit slots) with a load that the kernel "refuses" once with
// `error` for lock__fentry, as a kernel under lockdown refuses fentry, and then pretends to
// succeed without loading anything, so that every attach fails: no root or kernel needed.
struct RefusedOnce {
  static inline int error = 0;
  static inline int loads = 0;
  static int load(void*) {
    if (++loads > 1) return 0;
    libbpf_warning("prog 'lock__fentry': BPF program load failed: %s\n", std::strerror(-error));
    return error;
  }
  static std::vector<ProgramStatus> statuses(int refusal) {
    error = refusal;
    loads = 0;
    SkeletonOps ops = KE_SKELETON_OPS(mutex_bpf);
    ops.load = load;
    try {
      ErasedSkeleton loaded = load_with_fallback(ops, "mutex", {}, {});
      ADD_FAILURE() << "no attach can succeed here";
      loaded.links.clear();
      ops.destroy(loaded.skeleton);
      return loaded.programs;
    } catch (const LoadError& failure) {
      return failure.programs();
    }
  }
};

std::vector<std::string> fentry_reasons(const std::vector<ProgramStatus>& statuses) {
  std::vector<std::string> reasons;
  for (const ProgramStatus& status : statuses)
    for (const HookFailure& failure : status.failures)
      if (hook_family(failure.hook) == "fentry") reasons.push_back(failure.reason);
  return reasons;
}

TEST(Loader, EpermLoadRejectsTheWholeHookFamilyInOneRound) {
  const std::vector<std::string> reasons = fentry_reasons(RefusedOnce::statuses(-EPERM));
  ASSERT_EQ(reasons.size(), 9u);  // every fentry/fexit slot, refused once
  const std::string refusal = "BPF program load failed: Operation not permitted";
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), refusal), 1);
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(),
                       refusal + " (inferred from lock__fentry: EPERM refuses the hook type)"),
            8);
  // The refusal, then kprobes and tp_btf (attach fails), then raw_tp (attach fails).
  EXPECT_EQ(RefusedOnce::loads, 3);
}

TEST(Loader, OtherLoadErrorsRejectOnlyTheProgramTheyName) {
  const std::vector<std::string> reasons = fentry_reasons(RefusedOnce::statuses(-EINVAL));
  ASSERT_EQ(reasons.size(), 9u);
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "BPF program load failed: Invalid argument"),
            1);
  for (const std::string& reason : reasons)
    EXPECT_EQ(reason.find("inferred"), std::string::npos) << reason;  // tried: attach failed
}

}  // namespace
}  // namespace ke::bpf
