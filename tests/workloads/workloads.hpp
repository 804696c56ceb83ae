// Workloads whose kernel events the live tests count.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ke::test {

// Writes `bytes` single bytes to a pty master, each read back on the slave before the next:
// every byte queues the tty's flush_to_ldisc work once and lets it run.
void pty_round_trips(int bytes);

// Sends `packets` UDP datagrams over loopback and receives them (NET_RX softirqs).
void loopback_udp(int packets);

// /proc/softirqs summed over CPUs, by row name ("NET_RX", "TIMER", ...).
std::map<std::string, uint64_t> proc_softirqs();

// Mounts tracefs at /sys/kernel/tracing when it is not there (classic tracepoints need it).
void ensure_tracefs();

}  // namespace ke::test
