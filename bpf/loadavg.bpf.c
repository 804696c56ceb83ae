/* Full-precision load averages: the kernel's fixed-point avenrun[3] (FSHIFT 11), read on
 * demand by BPF_PROG_TEST_RUN at scrape time, so nothing runs between scrapes. avenrun is a
 * plain global, not in BTF: an untyped ksym resolved through /proc/kallsyms, which lists it
 * only on kernels built with CONFIG_KALLSYMS_ALL. */
#include "ke_bpf.h"

extern const void avenrun __ksym;

__u64 loads[3];

SEC("raw_tp")
int read_avenrun(void* ctx) {
  bpf_probe_read_kernel(loads, sizeof(loads), &avenrun);
  return 0;
}
