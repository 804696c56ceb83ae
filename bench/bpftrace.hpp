// A bpftrace program running next to a benchmark: the tool one would otherwise use for the same
// numbers, measured in the same run.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>

namespace ke::bench {

// Runs `bpftrace -e program` while it lives; the constructor returns once its probes are
// attached: bpftrace prints "Attaching N probes..." after compiling, just before attaching, so
// it waits a little more. The destructor kills it without waiting for its maps to print.
class Bpftrace {
 public:
  explicit Bpftrace(const std::string& program);
  ~Bpftrace();
  Bpftrace(const Bpftrace&) = delete;
  Bpftrace& operator=(const Bpftrace&) = delete;

 private:
  pid_t pid_;
  FILE* output_ = nullptr;
};

}  // namespace ke::bench
