// Loads a collector's BPF skeleton, choosing per program slot the first hook the kernel accepts.
//
// Programs in bpf/*.bpf.c are named `<slot>__<hook>`: `execute_start__tp_btf`,
// `execute_start__raw_tp`, `execute_start__tracepoint`, `mutex_lock__fentry`, ... Each slot is
// one measurement point; its variants are tried in kHookPreference order by really loading and
// attaching them, never by guessing from kernel versions. One load refused with EPERM (the
// program type is refused, whatever the program: capabilities, lockdown) rejects every variant
// of that hook family in the object at once, instead of costing one reload each. A program
// without a `__<hook>` suffix is loaded but not attached (it is run on demand with
// BPF_PROG_TEST_RUN).
#pragma once

#include <bpf/libbpf.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ke::bpf {

// Most to least preferred: cheapest and most precise first.
inline constexpr std::string_view kHookPreference[] = {"fentry",     "fexit",  "tp_btf",   "raw_tp",
                                                       "tracepoint", "kprobe", "kretprobe"};
// What --bpf.disable-hooks accepts; "fentry" also covers fexit, "kprobe" kretprobe.
inline constexpr std::string_view kHookFamilies[] = {"fentry", "tp_btf", "raw_tp", "tracepoint",
                                                     "kprobe"};
inline constexpr std::string_view kOnDemandHook = "on_demand";

// Hook families the kernel refused with EPERM, with the kernel's reason: such a refusal is for the
// program type (capabilities, lockdown), whatever the program, so later loads skip the family
// without trying. Thread-safe: collectors load concurrently.
class RefusedHookFamilies {
 public:
  void add(std::string_view family, const std::string& reason);
  std::optional<std::string> find(std::string_view family) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> refusals_;
};

struct LoaderOptions {
  std::set<std::string, std::less<>> disabled_hooks;  // hook families, see kHookFamilies
  // Shared by every load with these options (one exporter's collectors): what one collector
  // learnt costs the others no load.
  std::shared_ptr<RefusedHookFamilies> refused = std::make_shared<RefusedHookFamilies>();
};

struct HookFailure {
  std::string hook;
  std::string reason;  // the kernel's or libbpf's words
};

struct ProgramStatus {
  std::string slot;
  std::string hook;  // the hook in use; empty when no variant could attach
  std::vector<HookFailure> failures;
  bool attached() const { return !hook.empty(); }
};

// A collector whose BPF part could not be loaded at all.
class LoadError : public std::runtime_error {
 public:
  LoadError(const std::string& what, std::vector<ProgramStatus> programs)
      : std::runtime_error(what), programs_(std::move(programs)) {}
  const std::vector<ProgramStatus>& programs() const { return programs_; }

 private:
  std::vector<ProgramStatus> programs_;
};

// Routes libbpf's messages to our log (debug level); idempotent, and done by every load.
void install_libbpf_logging();

// Whether the kernel can attach kprobes at all: libbpf needs the kprobe PMU, or the legacy
// kprobe_events file of tracefs. Without either (CONFIG_KPROBES off), every kprobe variant is
// rejected up front instead of failing at attach, which costs a reload of the whole object.
bool kernel_has_kprobes();

// "fexit" -> "fentry", "kretprobe" -> "kprobe", others unchanged.
std::string_view hook_family(std::string_view hook);

// Splits "execute_start__tp_btf" into slot and hook; hook is empty when the suffix is no hook.
struct ProgramName {
  std::string_view slot;
  std::string_view hook;
};
ProgramName parse_program_name(std::string_view name);

// The program named in the first libbpf warning of `log` ("prog 'NAME': reason"), with the
// reason; empty name when no program is named.
struct LibbpfBlame {
  std::string program;
  std::string reason;
};
LibbpfBlame blame_program(std::string_view log);

struct BpfLinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using Link = std::unique_ptr<bpf_link, BpfLinkDeleter>;

// The type-erased operations of one bpftool skeleton.
struct SkeletonOps {
  void* (*open)();
  int (*load)(void*);
  void (*destroy)(void*);
  bpf_object* (*object)(void*);
};

struct ErasedSkeleton {
  void* skeleton = nullptr;
  std::vector<Link> links;
  std::vector<ProgramStatus> programs;
};

// Opens, loads and attaches with fallback; `configure` runs after each open, before load (to
// set read-only data). Throws LoadError when no program attached. The caller owns
// `skeleton` (destroy with ops.destroy after dropping the links).
ErasedSkeleton load_with_fallback(const SkeletonOps& ops, std::string_view collector,
                                  const LoaderOptions& options,
                                  const std::function<void(void*)>& configure);

// A loaded and attached skeleton: links are destroyed before the skeleton.
template <class Skel>
class Skeleton {
 public:
  using Configure = std::function<void(Skel*)>;

  static Skeleton load(const SkeletonOps& ops, std::string_view collector,
                       const LoaderOptions& options, const Configure& configure = {}) {
    auto erased = load_with_fallback(ops, collector, options, [&](void* skel) {
      if (configure) configure(static_cast<Skel*>(skel));
    });
    return Skeleton(ops.destroy, std::move(erased));
  }

  Skel* operator->() const { return skel_.get(); }
  Skel* get() const { return skel_.get(); }
  const std::vector<ProgramStatus>& programs() const { return programs_; }

 private:
  Skeleton(void (*destroy)(void*), ErasedSkeleton erased)
      : skel_(static_cast<Skel*>(erased.skeleton), destroy),
        links_(std::move(erased.links)),
        programs_(std::move(erased.programs)) {}

  std::unique_ptr<Skel, void (*)(void*)> skel_;
  std::vector<Link> links_;  // declared after skel_: destroyed first
  std::vector<ProgramStatus> programs_;
};

// The SkeletonOps of bpftool skeleton `name` (the struct generated as `name`).
#define KE_SKELETON_OPS(name)                                        \
  ::ke::bpf::SkeletonOps {                                           \
    [] { return static_cast<void*>(name##__open()); },               \
        [](void* s) { return name##__load(static_cast<name*>(s)); }, \
        [](void* s) { name##__destroy(static_cast<name*>(s)); },     \
        [](void* s) { return static_cast<name*>(s)->obj; }           \
  }

}  // namespace ke::bpf
