#include "bpftrace.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace ke::bench {

Bpftrace::Bpftrace(const std::string& program) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    // Its stderr only says it could not raise RLIMIT_MEMLOCK, which BPF no longer needs.
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    execlp("bpftrace", "bpftrace", "-e", program.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  output_ = fdopen(out[0], "r");
  char line[512];
  while (output_ && std::fgets(line, sizeof line, output_))
    if (std::string_view(line).starts_with("Attaching")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      return;
    }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  if (output_) std::fclose(output_);
  throw std::runtime_error("bpftrace did not attach: " + program);
}

Bpftrace::~Bpftrace() {
  kill(pid_, SIGKILL);  // its maps are not wanted; the kernel detaches its programs
  waitpid(pid_, nullptr, 0);
  if (output_) std::fclose(output_);
}

}  // namespace ke::bench
