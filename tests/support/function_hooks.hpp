// Test-side knowledge of the running kernel's function hooks, and the mutex test object that
// learns it (tests/bpf/mutex_pairing.bpf.c).
#pragma once

#include <memory>
#include <set>
#include <string>

struct mutex_pairing_bpf;

namespace ke::test {

struct MutexPairingDeleter {
  void operator()(mutex_pairing_bpf* skeleton) const;
};
using MutexPairingObject = std::unique_ptr<mutex_pairing_bpf, MutexPairingDeleter>;

// Opens tests/bpf/mutex_pairing.bpf.c with only `programs` to load; load it next.
MutexPairingObject open_mutex_pairing(const std::set<std::string>& programs);

// Why this kernel refuses fentry/fexit and kprobe programs on a kernel function ("load:
// <strerror>" or "attach: <strerror>"), empty where it allows them: learnt once by loading and
// attaching an fexit and a kprobe program on mutex_lock.
struct FunctionHookSupport {
  std::string fentry_refusal;
  std::string kprobe_refusal;
};
const FunctionHookSupport& function_hook_support();

}  // namespace ke::test
