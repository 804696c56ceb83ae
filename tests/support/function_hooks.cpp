#include "function_hooks.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bpf/histogram_maps.hpp"
// The type of the caller checks' variables, before the skeleton that declares them.
#include "../bpf/mutex_caller_check.h"
#include "mutex_pairing.skel.h"

namespace ke::test {

void MutexPairingDeleter::operator()(mutex_pairing_bpf* skeleton) const {
  mutex_pairing_bpf__destroy(skeleton);
}

MutexPairingObject open_mutex_pairing(const std::set<std::string>& programs) {
  MutexPairingObject skeleton(mutex_pairing_bpf__open());
  if (!skeleton) throw std::runtime_error("cannot open mutex_pairing.bpf.o");
  bpf_program* program;
  bpf_object__for_each_program(program, skeleton->obj) {
    bpf_program__set_autoload(program, programs.contains(bpf_program__name(program)));
  }
  bpf::configure_histograms(skeleton->obj, 0);
  return skeleton;
}

namespace {
std::string try_hook(const std::string& program_name) {
  MutexPairingObject skeleton = open_mutex_pairing({program_name});
  if (int error = mutex_pairing_bpf__load(skeleton.get()); error != 0)
    return "load: " + std::string(std::strerror(-error));
  bpf_link* link =
      bpf_program__attach(bpf_object__find_program_by_name(skeleton->obj, program_name.c_str()));
  if (!link) return "attach: " + std::string(std::strerror(errno));
  bpf_link__destroy(link);
  return "";
}
}  // namespace

const FunctionHookSupport& function_hook_support() {
  static const FunctionHookSupport support = {try_hook("fexit_caller_check"),
                                              try_hook("kprobe_caller_reference")};
  return support;
}

}  // namespace ke::test
