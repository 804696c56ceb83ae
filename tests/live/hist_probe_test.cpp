// The shared histogram helpers run inside the kernel (BPF_PROG_TEST_RUN): same slots as the
// host build at every boundary, and a full map counts drops instead of losing them silently.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "bpf/histogram_maps.hpp"
#include "bpf/maps.hpp"
#include "hist_probe.skel.h"
#include "ke_drops.h"
#include "ke_hist.h"
#include "test_support.hpp"

namespace {

struct HistProbeDeleter {
  void operator()(hist_probe_bpf* skeleton) const { hist_probe_bpf__destroy(skeleton); }
};

class HistProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    KE_REQUIRE_LIVE_ENVIRONMENT();
    load(0);
  }

  void load(int schema) {
    skeleton_.reset(hist_probe_bpf__open());
    ASSERT_TRUE(skeleton_) << "cannot open hist_probe.bpf.o";
    ke::bpf::configure_histograms(skeleton_->obj, schema);
    ASSERT_EQ(hist_probe_bpf__load(skeleton_.get()), 0);
  }

  void run(bpf_program* program, std::vector<uint64_t> args) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args.data(),
                .ctx_size_in = static_cast<__u32>(args.size() * sizeof(uint64_t)));
    ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(program), &opts), 0);
  }

  uint32_t kernel_slot(uint64_t ns) {
    run(skeleton_->progs.hist_slot, {ns});
    return skeleton_->bss->slot_out;
  }

  std::unique_ptr<hist_probe_bpf, HistProbeDeleter> skeleton_;
};

TEST_F(HistProbe, KernelSlotsEqualHostSlotsAtEveryBoundary) {
  std::vector<uint64_t> values = {0, 1, 2, UINT64_MAX};
  for (uint32_t k = 0; k <= KE_HIST_MAX_EXP + 2; ++k) {
    const uint64_t bound = ke_hist_bound_ns(k);
    values.insert(values.end(), {bound - 1, bound, bound + 1});
  }
  for (uint32_t k = 0; k < 64; ++k) values.insert(values.end(), {(1ULL << k) - 1, 1ULL << k});
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; ++i) values.push_back(random() >> (random() % 64));
  for (uint64_t ns : values) ASSERT_EQ(kernel_slot(ns), ke_hist_slot(ns)) << ns;
  EXPECT_EQ(kernel_slot(1000000000), 1u + KE_HIST_UNIT_SHIFT);  // 1 s: le="1"
  EXPECT_EQ(kernel_slot(1000000001), 2u + KE_HIST_UNIT_SHIFT);  // just above: le="2"
  EXPECT_EQ(kernel_slot(UINT64_MAX), static_cast<uint32_t>(KE_HIST_OVERFLOW_SLOT(0)));
}

TEST_F(HistProbe, FinerSchemasMatchTheHostAtEveryBound) {
  for (int schema = 1; schema <= KE_HIST_MAX_SCHEMA; ++schema) {
    SCOPED_TRACE(schema);
    load(schema);
    const ke_hist_config config = ke::bpf::histogram_config(schema);
    for (int r = 1; r <= KE_HIST_MAX_REL(schema); ++r) {
      for (uint64_t ns : {config.bounds_ns[r], config.bounds_ns[r] + 1}) {
        if (ns == 0) continue;
        ASSERT_EQ(kernel_slot(ns), ke_hist_slot_schema(ns, &config)) << ns;
      }
    }
    EXPECT_EQ(kernel_slot(1000000000), 1u + (KE_HIST_UNIT_SHIFT << schema));  // 1 s
    EXPECT_EQ(kernel_slot(UINT64_MAX), static_cast<uint32_t>(KE_HIST_OVERFLOW_SLOT(schema)));
  }
}

TEST_F(HistProbe, FullMapCountsDropsAndKeepsExistingKeys) {
  for (uint64_t key = 1; key <= 6; ++key) run(skeleton_->progs.hist_observe, {key, 1000});
  run(skeleton_->progs.hist_observe, {2, 1000});  // an existing key still counts
  const int map_fd = bpf_map__fd(skeleton_->maps.small_hist);
  uint64_t keys = 0, observations = 0;
  ke::bpf::for_each_histogram(map_fd, sizeof(uint64_t), 0,
                              [&](const void*, std::span<const uint64_t> slots, uint64_t) {
                                ++keys;
                                observations += slots[ke_hist_slot(1000)];
                              });
  EXPECT_EQ(keys, 4u);
  EXPECT_EQ(observations, 5u);
  EXPECT_EQ(ke::bpf::sum_percpu_u64(bpf_map__fd(skeleton_->maps.ke_drops), KE_DROP_HIST_MAP_FULL),
            2u);
}

}  // namespace
