// SPDX-License-Identifier: GPL-2.0
// Proof that fentry and kprobe programs load and attach on the running kernel: both count the
// nanosleep calls of one process (probe_check.c) into a global the loader reads back.
//
// do_nanosleep is hit by nanosleep(2)/clock_nanosleep(2) and exists, non-inlined and in BTF, in
// both Debian's 6.1 and the 6.18 host kernel. No vmlinux.h: BPF_PROG/BPF_KPROBE with untyped
// arguments need no kernel types.
// Kernel UAPI first, in its own block (a formatter must not sort it after the libbpf headers,
// which use its types).
#include <linux/bpf.h>
#include <linux/ptrace.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

// One struct, so its layout in the .bss map is fixed; the loader mirrors it.
struct probe_state {
  __u32 tgid;  // written by the loader before attaching
  __u32 pad;
  __u64 fentry_hits;
  __u64 kprobe_hits;
};

struct probe_state state;

static __always_inline int ours(void) {
  return (__u32)(bpf_get_current_pid_tgid() >> 32) == state.tgid;
}

SEC("fentry/do_nanosleep")
int BPF_PROG(fentry_nanosleep) {
  if (ours()) __sync_fetch_and_add(&state.fentry_hits, 1);
  return 0;
}

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(kprobe_nanosleep) {
  if (ours()) __sync_fetch_and_add(&state.kprobe_hits, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
