// Workloads whose kernel events the live tests count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace ke::test {

// Writes `bytes` single bytes to a pty master, each read back on the slave before the next:
// every byte queues the tty's flush_to_ldisc work once and lets it run.
void pty_round_trips(int bytes);

// Sends `packets` UDP datagrams over loopback and receives them (NET_RX softirqs).
void loopback_udp(int packets);

// `threads` threads write `writes_per_thread` small writes each into one pipe that this thread
// drains: every write takes the pipe's mutex in pipe_write(), and the writers contend for it
// (they run on every CPU this process may use, started at once). Returns the number of write()
// calls made (all of them, or it throws). The waits mostly end while spinning on the running
// holder (lock:contention_begin flags MUTEX|SPIN).
int contended_pipe_writes(int threads, int writes_per_thread);

// The same with page-sized writes whose holder sleeps: each write copies from a page that a
// userfaultfd handler supplies a millisecond after the fault, so the holder sleeps with the
// pipe's mutex held and the writers waiting for it stop spinning and sleep (flags MUTEX).
// Needs root (kernel-mode userfaultfd faults) and CONFIG_USERFAULTFD.
int pipe_writes_with_sleeping_holder(int threads, int writes_per_thread);

// `threads` threads (on every CPU, started at once) each map 64 KiB of anonymous memory, touch
// it and unmap it `cycles_per_thread` times: mmap() and munmap() take the process's mmap_lock for
// writing (rwsem:W contention, callers vm_mmap_pgoff and __vm_munmap).
void mmap_munmap_cycles(int threads, int cycles_per_thread);

// `threads` threads (on every CPU, started at once) each open and close /dev/ptmx
// `opens_per_thread` times: pty creation and release serialize on the global tty_mutex.
void ptmx_open_close(int threads, int opens_per_thread);

// Opens and closes /dev/null `times` times: each open allocates one struct file from the
// "filp" slab cache.
void open_close_files(int times);

// Makes the kernel migrate pages on a single NUMA node: touches `bytes` of anonymous memory with
// transparent huge pages off (so it is backed by 4 KiB pages spread over many pageblocks), frees
// every other page, and writes 1 to /proc/sys/vm/compact_memory, which compacts every zone
// synchronously in this thread (migrate_pages(), reason "compaction"). Needs root.
void fragment_and_compact(size_t bytes);

// A /proc/vmstat counter ("pgmigrate_success", ...); 0 when absent.
uint64_t proc_vmstat(const std::string& name);

// /proc/softirqs summed over CPUs, by row name ("NET_RX", "TIMER", ...).
std::map<std::string, uint64_t> proc_softirqs();

// Mounts tracefs at /sys/kernel/tracing when it is not there (classic tracepoints need it).
void ensure_tracefs();

}  // namespace ke::test
