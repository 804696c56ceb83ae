#include "workloads.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
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
