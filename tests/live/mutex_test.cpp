// The mutex collector on the running kernel, and its pairing logic in the kernel.
//
// The same binary runs on the host (6.18: fentry refused with EPERM, no kprobes) and in the 6.1
// VM (tests/vm, both hooks work). Each test learns from the kernel it runs on which outcome
// applies, by loading and attaching test programs on mutex_lock, and asserts that outcome; none
// skips. Where a hook works: the hook of every slot, acquire and hold counts of a pipe workload,
// and the caller checked against the kernel's own stack trace. Where none works: the collector
// is unavailable with the kernel's reasons and the other collectors are unaffected.
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include <bpf/bpf.h>

#include "app/exporter.hpp"
#include "bpf/histogram_maps.hpp"
#include "bpf/maps.hpp"
#include "collectors/bpf_collector.hpp"
#include "ke_drops.h"
#include "mutex.skel.h"
// The type of the caller checks' variables, before the skeleton that declares them.
#include "../bpf/mutex_caller_check.h"
#include "function_hooks.hpp"
#include "live.hpp"
#include "mutex_pairing.skel.h"
#include "test_support.hpp"
#include "workloads.hpp"

namespace ke::test {
namespace {

using Families = std::vector<metrics::Family>;

// The hook family the loader must pick for the lock slots: fentry unless disabled or refused,
// else kprobe; empty when neither works.
std::string expected_family(const std::string& disabled) {
  const FunctionHookSupport& support = function_hook_support();
  if (disabled != "fentry" && support.fentry_refusal.empty()) return "fentry";
  if (disabled != "kprobe" && support.kprobe_refusal.empty()) return "kprobe";
  return "";
}

// Observations of histogram `name` whose caller is a function matching `caller`.
uint64_t count_by_caller(const Families& families, std::string_view name,
                         const std::regex& caller) {
  const metrics::Family* family = find_family(families, name);
  uint64_t count = 0;
  if (!family) return 0;
  for (const auto& sample : family->samples)
    for (const auto& label : sample.labels)
      if (label.name == "caller" && std::regex_match(label.value, caller))
        count += sample.histogram.count;
  return count;
}

const std::regex kPipeWrite(".*pipe_write");  // pipe_write on 6.1, anon_pipe_write on 6.18

uint32_t this_thread_id() {
  return static_cast<uint32_t>(syscall(SYS_gettid));
}

// While the collector is attached with `family`, the test programs of the same hook compute the
// caller at return the same way for this thread's mutex_lock calls and compare it with the frame
// after mutex_lock in bpf_get_stack()'s trace (at fexit; for kretprobes, at the kprobe on entry).
void expect_caller_matches_stack_trace(const std::string& family) {
  const std::set<std::string> programs =
      family == "fentry"
          ? std::set<std::string>{"fexit_caller_check"}
          : std::set<std::string>{"kprobe_caller_reference", "kretprobe_caller_check"};
  MutexPairingObject skeleton = open_mutex_pairing(programs);
  ASSERT_EQ(mutex_pairing_bpf__load(skeleton.get()), 0);
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  std::vector<bpf::Link> links;
  for (const std::string& name : programs) {
    links.emplace_back(
        bpf_program__attach(bpf_object__find_program_by_name(skeleton->obj, name.c_str())));
    ASSERT_TRUE(links.back()) << name << ": " << std::strerror(errno);
  }
  // Only this thread's pipe_write() and pipe_read() calls: not attaching, closing or detaching.
  skeleton->bss->target_tid = this_thread_id();
  char byte = 'x';
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(write(ends[1], &byte, 1), 1);
    ASSERT_EQ(read(ends[0], &byte, 1), 1);
  }
  skeleton->bss->target_tid = 0;
  links.clear();
  close(ends[0]);
  close(ends[1]);

  const auto& check =
      family == "fentry" ? skeleton->bss->fexit_check : skeleton->bss->kretprobe_check;
  symbols::KernelSymbols symbols;
  std::vector<uint64_t> addresses = {check.caller, check.function_ip};
  addresses.insert(addresses.end(), std::begin(check.stack), std::end(check.stack));
  std::vector<std::string> names = symbols.functions_at(addresses);
  std::string trace;
  for (size_t i = 2; i < names.size() && addresses[i]; ++i) trace += "\n  " + names[i];
  EXPECT_GE(check.runs, 40u) << "two mutex_lock calls per round trip";
  EXPECT_EQ(check.traced_function_found, check.runs) << "last stack trace:" << trace;
  EXPECT_EQ(check.agreed, check.runs) << "last caller " << names[0] << ", trace:" << trace;
  EXPECT_EQ(names[1], "mutex_lock");
  EXPECT_TRUE(std::regex_match(names[0], std::regex(".*pipe_(read|write)"))) << names[0];
}

class MutexLive : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { KE_REQUIRE_LIVE_ENVIRONMENT(); }
};

// The hook of every slot, or, where the kernel refuses both, the reasons.
TEST_P(MutexLive, HooksWhatTheKernelAllowsAndCountsEveryPipeWrite) {
  const std::string& disabled = GetParam();
  const std::string family = expected_family(disabled);
  const FunctionHookSupport& support = function_hook_support();
  std::cout << "fentry: " << (support.fentry_refusal.empty() ? "works" : support.fentry_refusal)
            << "; kprobe: " << (support.kprobe_refusal.empty() ? "works" : support.kprobe_refusal)
            << "; disabled: '" << disabled << "' -> expected hook: '" << family << "'\n";

  if (family.empty()) {
    try {
      LiveCollector collector("mutex", disabled);
      FAIL() << "the collector loaded although this kernel refuses fentry and kprobes";
    } catch (const bpf::LoadError& error) {
      ASSERT_FALSE(error.programs().empty());
      for (const auto& program : error.programs()) {
        EXPECT_FALSE(program.attached()) << program.slot;
        std::map<std::string, std::string> reasons, hooks;  // by hook family
        for (const auto& failure : program.failures) {
          reasons[std::string(bpf::hook_family(failure.hook))] = failure.reason;
          hooks[std::string(bpf::hook_family(failure.hook))] = failure.hook;
        }
        if (program.slot == "task_exit") {
          EXPECT_NE(reasons["tp_btf"].find("detached"), std::string::npos) << reasons["tp_btf"];
          continue;
        }
        // The kernel's words: what it answered the test's own fentry load and kprobe attach.
        const std::string fentry_words = support.fentry_refusal.substr(6);
        const std::string kprobe_words = support.kprobe_refusal.substr(8);
        if (disabled == "fentry") {
          EXPECT_EQ(reasons["fentry"], "disabled by --bpf.disable-hooks") << program.slot;
        } else {
          EXPECT_NE(reasons["fentry"].find(fentry_words), std::string::npos)
              << program.slot << ": " << reasons["fentry"];
        }
        if (!bpf::kernel_has_kprobes()) {
          // Known before loading: the loader says so instead of trying (bpf/loader.cpp).
          EXPECT_EQ(reasons["kprobe"],
                    "this kernel has no kprobes (no kprobe PMU or kprobe_events)")
              << program.slot;
          continue;
        }
        EXPECT_NE(reasons["kprobe"].find(kprobe_words), std::string::npos)
            << program.slot << ": " << reasons["kprobe"];
        // libbpf names the probe: "failed to create kretprobe 'mutex_lock+0x0' perf event: ..."
        EXPECT_NE(reasons["kprobe"].find(hooks["kprobe"] + " '"), std::string::npos)
            << reasons["kprobe"];
      }
    }
    return;
  }

  LiveCollector collector("mutex", disabled);
  const std::string exit_hook = family == "fentry" ? "fexit" : "kretprobe";
  for (const auto& program : collector.programs()) {
    if (program.slot == "task_exit") {
      EXPECT_TRUE(program.hook == "tp_btf" || program.hook == "raw_tp") << program.hook;
    } else {
      EXPECT_EQ(program.hook, program.slot.ends_with("_return") ? exit_hook : family)
          << program.slot;
    }
  }
  collectors::ScrapeOutput before = collector.scrape();
  const int writes = contended_pipe_writes(4, 500);
  collectors::ScrapeOutput after = collector.scrape();
  const uint64_t acquired =
      count_by_caller(after.families, "kernel_mutex_acquire_seconds", kPipeWrite) -
      count_by_caller(before.families, "kernel_mutex_acquire_seconds", kPipeWrite);
  const uint64_t held = count_by_caller(after.families, "kernel_mutex_hold_seconds", kPipeWrite) -
                        count_by_caller(before.families, "kernel_mutex_hold_seconds", kPipeWrite);
  EXPECT_GE(acquired, static_cast<uint64_t>(writes));
  EXPECT_GE(held, static_cast<uint64_t>(writes));
  for (const auto& [reason, count] : after.dropped_events) EXPECT_EQ(count, 0u) << reason;

  expect_caller_matches_stack_trace(family);
}

INSTANTIATE_TEST_SUITE_P(Hooks, MutexLive, ::testing::Values("", "fentry"), [](const auto& info) {
  return info.param.empty() ? std::string("default") : info.param + "_disabled";
});

double gauge(const Families& families, std::string_view name, const metrics::Labels& labels) {
  const metrics::Sample* sample = find_series(families, name, labels);
  return sample ? sample->value : -1;
}

// The exporter with every collector's defaults, once without and once with the mutex collector:
// the other collectors come up (or not) alike and keep counting, and the mutex collector is up
// exactly where a hook works, its slots reported with their hooks or "none".
TEST(MutexLiveExporter, OtherCollectorsAreUnaffected) {
  KE_REQUIRE_LIVE_ENVIRONMENT();
  const auto schemas = collectors::schemas();
  // The exporter keeps references into its configuration and loader options.
  const bpf::LoaderOptions loader;
  const auto without_mutex = config::parse_config("", "<test>", schemas);
  const auto with_mutex =
      config::parse_config("collectors:\n  mutex:\n    enabled: true\n", "<test>", schemas);
  ASSERT_TRUE(without_mutex.ok());
  ASSERT_TRUE(with_mutex.ok());
  ASSERT_FALSE(without_mutex.config.collectors.at("mutex").enabled) << "off by default";
  std::map<std::string, double> up_without;
  {
    const Families page = app::Exporter(without_mutex.config, loader).collect();
    for (const auto& sample : find_family(page, "kernel_exporter_collector_up")->samples)
      up_without[sample.labels.at(0).value] = sample.value;
  }
  ASSERT_FALSE(up_without.contains("mutex"));

  auto exporter = std::make_unique<app::Exporter>(with_mutex.config, loader);
  const metrics::Labels workqueue_labels = {{"function", "flush_to_ldisc"}};
  Families page = exporter->collect();
  const uint64_t executions_before =
      histogram_count(page, "kernel_workqueue_execution_seconds", workqueue_labels);
  for (const auto& [name, up] : up_without) {
    EXPECT_EQ(gauge(page, "kernel_exporter_collector_up", {{"collector", name}}), up) << name;
    if (up == 1) {
      EXPECT_EQ(gauge(page, "kernel_exporter_scrape_collector_success", {{"collector", name}}), 1)
          << name;
    }
  }
  const std::string family = expected_family("");
  EXPECT_EQ(gauge(page, "kernel_exporter_collector_up", {{"collector", "mutex"}}),
            family.empty() ? 0 : 1);
  size_t mutex_slots = 0;
  for (const auto& sample : find_family(page, "kernel_exporter_bpf_program_info")->samples) {
    if (sample.labels.at(0).value != "mutex") continue;
    ++mutex_slots;
    const std::string& slot = sample.labels.at(1).value;
    const std::string& hook = sample.labels.at(2).value;
    if (family.empty())
      EXPECT_EQ(hook, "none") << slot;
    else
      EXPECT_NE(hook, "none") << slot;
  }
  EXPECT_EQ(mutex_slots, 10u);

  pty_round_trips(100);
  EXPECT_GE(
      histogram_count(exporter->collect(), "kernel_workqueue_execution_seconds", workqueue_labels) -
          executions_before,
      100u);
}

// Where fentry is refused with EPERM, one load tells the loader so for every fentry and fexit
// slot of the object (bpf/loader.cpp, reject_hook_family): the refusal costs one reload, not
// one per slot (nine here).
TEST(MutexLiveLoader, EpermRefusalCostsOneReloadForTheWholeHookFamily) {
  KE_REQUIRE_LIVE_ENVIRONMENT();
  static int loads;
  loads = 0;
  bpf::SkeletonOps ops = KE_SKELETON_OPS(mutex_bpf);
  ops.load = [](void* skeleton) {
    ++loads;
    return mutex_bpf__load(static_cast<mutex_bpf*>(skeleton));
  };
  const auto configure = [](void* skeleton) {
    bpf::configure_histograms(static_cast<mutex_bpf*>(skeleton)->obj, 0);
  };
  const bpf::LoaderOptions options;
  auto erased = bpf::load_with_fallback(ops, "mutex", options, configure);
  erased.links.clear();
  ops.destroy(erased.skeleton);

  const FunctionHookSupport& support = function_hook_support();
  if (support.fentry_refusal.empty()) {
    EXPECT_EQ(loads, 1);
    return;
  }
  ASSERT_EQ(support.fentry_refusal, "load: " + std::string(std::strerror(EPERM)))
      << "this kernel refuses fentry otherwise than with EPERM: one reload per slot";
  // The EPERM load, then the kprobe variants (which attach) or, where the kernel has no kprobes
  // (rejected without a load), the housekeeping slot alone.
  EXPECT_EQ(loads, 2);
  int tried = 0, inferred = 0;
  for (const auto& program : erased.programs) {
    for (const auto& failure : program.failures) {
      if (bpf::hook_family(failure.hook) != "fentry") continue;
      EXPECT_NE(failure.reason.find(std::strerror(EPERM)), std::string::npos) << failure.reason;
      (failure.reason.find("inferred from") == std::string::npos ? tried : inferred)++;
    }
  }
  EXPECT_EQ(tried, 1);
  EXPECT_EQ(inferred, 8);

  // Another load with the same options (another collector of the same exporter) skips fentry
  // without a load of its own: one load, and every fentry variant says why.
  loads = 0;
  erased = bpf::load_with_fallback(ops, "mutex", options, configure);
  erased.links.clear();
  ops.destroy(erased.skeleton);
  EXPECT_EQ(loads, 1);
  for (const auto& program : erased.programs)
    for (const auto& failure : program.failures)
      if (bpf::hook_family(failure.hook) == "fentry") {
        EXPECT_NE(failure.reason.find("refused earlier"), std::string::npos) << failure.reason;
      }
}

// The pairing code of bpf/mutex.h, run by the test object's raw_tp programs with synthetic
// threads, times, locks and callers; its in-flight maps hold two entries each.
class MutexPairing : public ::testing::Test {
 protected:
  static constexpr uint64_t kLockA = 0xffff888001000000, kLockB = 0xffff888001000100,
                            kLockC = 0xffff888001000200;
  static constexpr uint64_t kCallerX = 0xffffffff81000010, kCallerY = 0xffffffff81000020;
  static constexpr uint64_t kEintr = static_cast<uint64_t>(-4);

  void SetUp() override {
    KE_REQUIRE_LIVE_ENVIRONMENT();
    skeleton_ = open_mutex_pairing(
        {"call_enter", "lock_return", "trylock_return", "unlock_enter", "task_exit"});
    ASSERT_EQ(mutex_pairing_bpf__load(skeleton_.get()), 0);
  }

  void run(bpf_program* program, std::vector<uint64_t> args) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args.data(),
                .ctx_size_in = static_cast<__u32>(args.size() * sizeof(uint64_t)));
    ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(program), &opts), 0);
  }
  void enter(uint32_t tid, uint64_t now, uint64_t lock) {
    run(skeleton_->progs.call_enter, {tid, now, lock});
  }
  void lock_return(uint32_t tid, uint64_t now, uint64_t caller, uint64_t ret = 0) {
    run(skeleton_->progs.lock_return, {tid, now, caller, ret});
  }
  void trylock_return(uint32_t tid, uint64_t now, uint64_t caller, uint64_t ret) {
    run(skeleton_->progs.trylock_return, {tid, now, caller, ret});
  }
  void unlock(uint32_t tid, uint64_t now, uint64_t lock) {
    run(skeleton_->progs.unlock_enter, {tid, now, lock});
  }
  // mutex_lock(lock) from `caller`, waiting `wait` ns from `now`.
  void lock(uint32_t tid, uint64_t now, uint64_t lock, uint64_t caller, uint64_t wait) {
    enter(tid, now, lock);
    lock_return(tid, now + wait, caller);
  }

  // Durations observed per caller: count and sum.
  struct Observed {
    uint64_t count = 0;
    uint64_t sum_ns = 0;
    friend bool operator==(const Observed&, const Observed&) = default;
  };
  using ByCaller = std::map<uint64_t, Observed>;
  static ByCaller read(bpf_map* map) {
    ByCaller result;
    bpf::for_each_histogram(bpf_map__fd(map), sizeof(uint64_t), 0,
                            [&](const void* key, std::span<const uint64_t> slots, uint64_t sum) {
                              uint64_t caller;
                              std::memcpy(&caller, key, sizeof caller);
                              for (uint64_t count : slots) result[caller].count += count;
                              result[caller].sum_ns = sum;
                            });
    return result;
  }
  ByCaller acquired() { return read(skeleton_->maps.acquire_time); }
  ByCaller held() { return read(skeleton_->maps.hold_time); }
  uint64_t drops() {
    return bpf::sum_percpu_u64(bpf_map__fd(skeleton_->maps.ke_drops), KE_DROP_INFLIGHT_MAP_FULL);
  }
  // Records still in flight: calls by thread, holds by lock.
  static size_t entries(bpf_map* map, size_t key_size) {
    std::vector<char> key(key_size), next(key_size);
    size_t count = 0;
    for (const void* previous = nullptr;
         bpf_map_get_next_key(bpf_map__fd(map), previous, next.data()) == 0;
         previous = key.data()) {
      key = next;
      ++count;
    }
    return count;
  }
  size_t calls_in_flight() { return entries(skeleton_->maps.mutex_calls, sizeof(uint32_t)); }
  size_t holds_in_flight() { return entries(skeleton_->maps.mutex_holds, sizeof(uint64_t)); }

  MutexPairingObject skeleton_;
};

TEST_F(MutexPairing, LockAndUnlockGiveTheAcquireLatencyAndTheHoldTime) {
  lock(1, 1000, kLockA, kCallerX, 500);
  unlock(1, 1500 + 7000, kLockA);
  EXPECT_EQ(acquired(), (ByCaller{{kCallerX, {1, 500}}}));
  EXPECT_EQ(held(), (ByCaller{{kCallerX, {1, 7000}}}));
  EXPECT_EQ(calls_in_flight(), 0u);
  EXPECT_EQ(holds_in_flight(), 0u);
  EXPECT_EQ(drops(), 0u);
}

TEST_F(MutexPairing, InterruptedOrKilledWaitsCountNeitherAcquireNorHold) {
  enter(1, 1000, kLockA);
  lock_return(1, 2000, kCallerX, kEintr);  // mutex_lock_interruptible/killable: -EINTR
  unlock(1, 3000, kLockA);                 // someone else's unlock of that lock, as far as we know
  EXPECT_TRUE(acquired().empty());
  EXPECT_TRUE(held().empty());
  EXPECT_EQ(calls_in_flight(), 0u);
}

TEST_F(MutexPairing, TrylockCountsAHoldOnlyWhenItGotTheLock) {
  enter(1, 0, kLockA);
  trylock_return(1, 1000, kCallerX, 0);  // taken: ignored
  unlock(1, 2000, kLockA);
  EXPECT_TRUE(held().empty());
  enter(1, 0, kLockA);
  trylock_return(1, 3000, kCallerY, 1);
  unlock(1, 3000 + 250, kLockA);
  EXPECT_TRUE(acquired().empty()) << "trylock never waits: no acquire latency";
  EXPECT_EQ(held(), (ByCaller{{kCallerY, {1, 250}}}));
}

TEST_F(MutexPairing, UnlockOrReturnWithoutASeenLockIsIgnored) {
  unlock(1, 1000, kLockA);
  lock_return(2, 1000, kCallerX);
  trylock_return(3, 1000, kCallerX, 1);
  EXPECT_TRUE(acquired().empty());
  EXPECT_TRUE(held().empty());
  EXPECT_EQ(holds_in_flight(), 0u);
}

TEST_F(MutexPairing, NestedLocksOfOneTaskReleasedInEitherOrder) {
  // A then B, released B then A.
  lock(1, 0, kLockA, kCallerX, 10);
  lock(1, 100, kLockB, kCallerY, 20);
  unlock(1, 1000, kLockB);
  unlock(1, 2000, kLockA);
  // A then B, released A then B.
  lock(1, 10000, kLockA, kCallerX, 30);
  lock(1, 10100, kLockB, kCallerY, 40);
  unlock(1, 11000, kLockA);
  unlock(1, 12000, kLockB);
  EXPECT_EQ(acquired(), (ByCaller{{kCallerX, {2, 10 + 30}}, {kCallerY, {2, 20 + 40}}}));
  EXPECT_EQ(held(), (ByCaller{{kCallerX, {2, (2000 - 10) + (11000 - 10030)}},
                              {kCallerY, {2, (1000 - 120) + (12000 - 10140)}}}));
  EXPECT_EQ(holds_in_flight(), 0u);
}

TEST_F(MutexPairing, FullMapsCountDropsAndNeverMakeUpALatency) {
  // Three threads wait at once; the call map holds two.
  enter(1, 0, kLockA);
  enter(2, 0, kLockB);
  enter(3, 0, kLockC);  // dropped
  EXPECT_EQ(drops(), 1u);
  lock_return(3, 100, kCallerY);  // its return pairs with nothing
  lock_return(1, 100, kCallerX);
  lock_return(2, 200, kCallerX);
  EXPECT_EQ(acquired(), (ByCaller{{kCallerX, {2, 300}}}));
  // Thread 3 got lock C all the same; a third hold does not fit either.
  lock(3, 300, kLockC, kCallerY, 50);
  EXPECT_EQ(drops(), 2u);
  unlock(3, 1000, kLockC);  // unpaired: ignored
  unlock(1, 1000, kLockA);
  unlock(2, 1000, kLockB);
  EXPECT_EQ(held(), (ByCaller{{kCallerX, {2, 900 + 800}}}));
  EXPECT_EQ(acquired()[kCallerY], (Observed{1, 50})) << "the call map had room again";
  // Room again for holds too.
  lock(3, 2000, kLockC, kCallerY, 0);
  unlock(3, 2500, kLockC);
  EXPECT_EQ(held()[kCallerY], (Observed{1, 500}));
  EXPECT_EQ(drops(), 2u);
}

TEST_F(MutexPairing, ExitingThreadLeavesNoCallBehind) {
  enter(1, 0, kLockA);  // its return is never seen (a kretprobe out of instances)
  EXPECT_EQ(calls_in_flight(), 1u);
  run(skeleton_->progs.task_exit, {1});
  EXPECT_EQ(calls_in_flight(), 0u);
  lock_return(1, 100, kCallerX);  // a reused thread id: nothing to pair with
  EXPECT_TRUE(acquired().empty());
}

TEST_F(MutexPairing, AHoldWhoseUnlockWasMissedNeverPairsWithAnotherOwner) {
  lock(1, 0, kLockA, kCallerX, 10);  // thread 1's unlock is never seen
  unlock(2, 5000, kLockA);           // thread 2 got A through an unhooked path
  EXPECT_TRUE(held().empty());
  EXPECT_EQ(holds_in_flight(), 0u) << "the stale hold is gone";
  lock(1, 6000, kLockA, kCallerX, 10);  // a new hold replaces any stale one
  unlock(1, 6100, kLockA);
  EXPECT_EQ(held(), (ByCaller{{kCallerX, {1, 90}}}));
}

}  // namespace
}  // namespace ke::test
