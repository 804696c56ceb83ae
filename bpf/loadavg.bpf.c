/* Full-precision load averages: the kernel's fixed-point avenrun[3] (FSHIFT 11), read on
 * demand by BPF_PROG_TEST_RUN at scrape time, so nothing runs between scrapes. avenrun is a
 * plain global, not in BTF: the exporter finds its address in /proc/kallsyms (listed only on
 * kernels built with CONFIG_KALLSYMS_ALL) through its shared symbol cache and sets it before
 * load; an untyped __ksym would make libbpf parse all of kallsyms again at every load. */
#include "ke_bpf.h"

const volatile __u64 avenrun_address;

__u64 loads[3];

SEC("raw_tp")
int read_avenrun(void* ctx) {
  bpf_probe_read_kernel(loads, sizeof(loads), (const void*)avenrun_address);
  return 0;
}
