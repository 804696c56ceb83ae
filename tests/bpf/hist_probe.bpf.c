/* Test-only programs that run the shared histogram helpers inside the kernel through
 * BPF_PROG_TEST_RUN, so the tests check the BPF compilation of ke_hist.h, not just the host's. */
#include "ke_bpf.h"

__u32 slot_out;

SEC("raw_tp")
int hist_slot(__u64* ctx) {
  slot_out = ke_hist_slot_schema(ctx[0], &ke_hist_config);
  return 0;
}

/* Four label keys at most, so that the fifth exercises the drop accounting. */
KE_HIST_MAP(small_hist, __u64, 4);

SEC("raw_tp")
int hist_observe(__u64* ctx) {
  __u64 key = ctx[0];
  ke_hist_observe(&small_hist, &key, ctx[1]);
  return 0;
}
