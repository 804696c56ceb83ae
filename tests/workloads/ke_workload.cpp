// Command-line front end of the test workloads, for the end-to-end scripts:
//   ke_workload pty N   N pty round trips (N flush_to_ldisc work items)
//   ke_workload udp N   N loopback UDP datagrams (NET_RX softirqs)
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "workloads.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ke_workload pty|udp COUNT\n");
    return 2;
  }
  const std::string_view kind = argv[1];
  const int count = std::atoi(argv[2]);
  if (kind == "pty") {
    ke::test::pty_round_trips(count);
  } else if (kind == "udp") {
    ke::test::loopback_udp(count);
  } else {
    std::fprintf(stderr, "unknown workload '%s'\n", argv[1]);
    return 2;
  }
  return 0;
}
