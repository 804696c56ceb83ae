// Command-line front end of the test workloads, for the end-to-end scripts:
//   ke_workload pty N   N pty round trips (N flush_to_ldisc work items)
//   ke_workload udp N   N loopback UDP datagrams (NET_RX softirqs)
//   ke_workload files N N opens of /dev/null (N "filp" slab allocations)
//   ke_workload compact MIB  fragment MIB MiB of memory and compact it (page migrations)
//   ke_workload pipe N  N/4 small writes by each of 4 threads into one pipe (its mutex contends)
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "workloads.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ke_workload pty|udp|files|compact|pipe COUNT\n");
    return 2;
  }
  const std::string_view kind = argv[1];
  const int count = std::atoi(argv[2]);
  if (kind == "pty") {
    ke::test::pty_round_trips(count);
  } else if (kind == "udp") {
    ke::test::loopback_udp(count);
  } else if (kind == "files") {
    ke::test::open_close_files(count);
  } else if (kind == "pipe") {
    ke::test::contended_pipe_writes(4, count / 4);
  } else if (kind == "compact") {
    ke::test::fragment_and_compact(static_cast<size_t>(count) << 20);
  } else {
    std::fprintf(stderr, "unknown workload '%s'\n", argv[1]);
    return 2;
  }
  return 0;
}
