#include "workloads.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ke::test {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ < 0) throw std::runtime_error("open failed");
  }
  ~Fd() { close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void pty_round_trips(int bytes) {
  Fd master(posix_openpt(O_RDWR | O_NOCTTY));
  if (grantpt(master.get()) != 0 || unlockpt(master.get()) != 0)
    throw std::runtime_error("cannot unlock pty");
  Fd slave(open(ptsname(master.get()), O_RDWR | O_NOCTTY));
  termios raw{};
  tcgetattr(slave.get(), &raw);
  cfmakeraw(&raw);
  tcsetattr(slave.get(), TCSANOW, &raw);
  char byte = 'x';
  for (int i = 0; i < bytes; ++i) {
    if (write(master.get(), &byte, 1) != 1 || read(slave.get(), &byte, 1) != 1)
      throw std::runtime_error("pty round trip failed");
  }
}

void loopback_udp(int packets) {
  Fd receiver(socket(AF_INET, SOCK_DGRAM, 0));
  Fd sender(socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(receiver.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(receiver.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot bind a loopback UDP socket");
  char payload[64] = {};
  for (int i = 0; i < packets; ++i) {
    if (sendto(sender.get(), payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&address),
               sizeof address) != sizeof payload ||
        recv(receiver.get(), payload, sizeof payload, 0) != sizeof payload)
      throw std::runtime_error("loopback UDP round trip failed");
  }
}

void open_close_files(int times) {
  for (int i = 0; i < times; ++i) Fd file(open("/dev/null", O_RDONLY | O_CLOEXEC));
}

void fragment_and_compact(size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  bytes -= bytes % page;
  void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::runtime_error("cannot map memory to fragment");
  auto* memory = static_cast<char*>(mapped);
  // Huge pages would be moved whole or not at all; 4 KiB pages leave holes in every pageblock.
  madvise(memory, bytes, MADV_NOHUGEPAGE);
  for (size_t offset = 0; offset < bytes; offset += page) memory[offset] = 1;
  // MADV_DONTNEED frees a page without splitting the mapping: munmap() of every other page
  // would need one VMA per page and run into vm.max_map_count (65530) after 256 MiB.
  for (size_t offset = 0; offset < bytes; offset += 2 * page)
    madvise(memory + offset, page, MADV_DONTNEED);
  {
    std::ofstream compact("/proc/sys/vm/compact_memory");
    compact << "1" << std::flush;
    if (!compact) throw std::runtime_error("cannot write /proc/sys/vm/compact_memory");
  }
  munmap(memory, bytes);
}

uint64_t proc_vmstat(const std::string& name) {
  std::ifstream file("/proc/vmstat");
  std::string key;
  for (uint64_t value; file >> key >> value;)
    if (key == name) return value;
  return 0;
}

namespace {

// Runs body(t) in `threads` threads, thread t on the t-th CPU this process may use (modulo their
// number), all released at once: left to the scheduler, threads started one after the other
// often ran one after the other on one CPU and hardly ever met.
void run_on_every_cpu(int threads, const std::function<void(int thread)>& body) {
  cpu_set_t allowed;
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  std::latch start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (!cpus.empty()) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpus[t % cpus.size()], &one);
        sched_setaffinity(0, sizeof one, &one);
      }
      start.arrive_and_wait();
      body(t);
    });
  }
  for (auto& worker : workers) worker.join();
}

// `threads` writers call write_one(pipe write end, thread, i) for i < writes_per_thread while
// another thread drains the pipe; returns how many returned true.
int run_pipe_writers(int threads, int writes_per_thread,
                     const std::function<bool(int fd, int thread, int index)>& write_one) {
  int ends[2];
  if (pipe(ends) != 0) throw std::runtime_error("cannot create a pipe");
  Fd read_end(ends[0]);
  // Drained concurrently, so that writers seldom find the pipe full; ends at end of file.
  std::thread reader([&] {
    std::vector<char> buffer(1 << 16);
    while (read(read_end.get(), buffer.data(), buffer.size()) > 0) {
    }
  });
  std::atomic<int> writes = 0;
  {
    Fd write_end(ends[1]);
    run_on_every_cpu(threads, [&](int t) {
      for (int i = 0; i < writes_per_thread; ++i)
        if (write_one(write_end.get(), t, i)) ++writes;
    });
  }
  reader.join();
  return writes;
}

}  // namespace

int contended_pipe_writes(int threads, int writes_per_thread) {
  const int writes = run_pipe_writers(threads, writes_per_thread, [](int fd, int, int) {
    const char data[64] = {};
    return write(fd, data, sizeof data) == sizeof data;
  });
  if (writes != threads * writes_per_thread) throw std::runtime_error("pipe write failed");
  return writes;
}

int pipe_writes_with_sleeping_holder(int threads, int writes_per_thread) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t length = page * threads * writes_per_thread;
  const int uffd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
  if (uffd < 0) throw std::runtime_error(std::string("userfaultfd: ") + std::strerror(errno));
  Fd faults(uffd);
  uffdio_api api{.api = UFFD_API, .features = 0, .ioctls = 0};
  if (ioctl(faults.get(), UFFDIO_API, &api) != 0)
    throw std::runtime_error("userfaultfd API handshake failed");
  void* mapped = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::runtime_error("cannot map the pages to write");
  auto* pages = static_cast<char*>(mapped);
  uffdio_register registration{};
  registration.range = {reinterpret_cast<uint64_t>(pages), length};
  registration.mode = UFFDIO_REGISTER_MODE_MISSING;
  if (ioctl(faults.get(), UFFDIO_REGISTER, &registration) != 0) {
    munmap(mapped, length);
    throw std::runtime_error("cannot register pages with userfaultfd");
  }
  // Supplies each page a millisecond after its fault: that long, a writer sleeps in the middle
  // of copying it into the pipe, holding the pipe's mutex.
  std::atomic<bool> done = false;
  std::thread supplier([&] {
    pollfd ready{faults.get(), POLLIN, 0};
    while (!done) {
      uffd_msg message;
      if (poll(&ready, 1, 10) <= 0 ||
          read(faults.get(), &message, sizeof message) != sizeof message ||
          message.event != UFFD_EVENT_PAGEFAULT)
        continue;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      uffdio_zeropage zero{};
      zero.range = {message.arg.pagefault.address & ~(page - 1), page};
      ioctl(faults.get(), UFFDIO_ZEROPAGE, &zero);
    }
  });
  // Each write copies a page of its own, never touched before: every write faults once.
  const int writes = run_pipe_writers(threads, writes_per_thread, [&](int fd, int t, int i) {
    const char* source = pages + page * (static_cast<size_t>(t) * writes_per_thread + i);
    return write(fd, source, page) == static_cast<ssize_t>(page);
  });
  done = true;
  supplier.join();
  munmap(mapped, length);
  if (writes != threads * writes_per_thread) throw std::runtime_error("pipe write failed");
  return writes;
}

void mmap_munmap_cycles(int threads, int cycles_per_thread) {
  const size_t length = 64 << 10;
  std::atomic<bool> failed = false;
  run_on_every_cpu(threads, [&](int) {
    for (int i = 0; i < cycles_per_thread; ++i) {
      void* mapped =
          mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mapped == MAP_FAILED) {
        failed = true;
        return;
      }
      static_cast<volatile char*>(mapped)[0] =
          1;  // a page fault: mmap_lock read side (or VMA lock)
      munmap(mapped, length);
    }
  });
  if (failed) throw std::runtime_error("mmap failed");
}

void ptmx_open_close(int threads, int opens_per_thread) {
  std::atomic<bool> failed = false;
  run_on_every_cpu(threads, [&](int) {
    for (int i = 0; i < opens_per_thread && !failed; ++i) {
      const int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (fd < 0) failed = true;
      close(fd);
    }
  });
  if (failed) throw std::runtime_error("cannot open /dev/ptmx");
}

std::map<std::string, uint64_t> proc_softirqs() {
  std::ifstream file("/proc/softirqs");
  std::string line;
  std::getline(file, line);  // CPU header
  std::map<std::string, uint64_t> totals;
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    name.pop_back();  // trailing ':'
    uint64_t total = 0;
    for (uint64_t count; fields >> count;) total += count;
    totals[name] = total;
  }
  return totals;
}

void ensure_tracefs() {
  if (std::filesystem::exists("/sys/kernel/tracing/events")) return;
  if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0)
    throw std::runtime_error("cannot mount tracefs at /sys/kernel/tracing");
}

}  // namespace ke::test
