#include "bpf/loader.hpp"

#include <bpf/btf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "log/log.hpp"

namespace ke::bpf {
namespace {

// While a load runs, libbpf's messages are also collected here to find the culprit program.
thread_local std::string* captured_libbpf_log = nullptr;

int forward_libbpf_message(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buffer[1024];
  int length = std::vsnprintf(buffer, sizeof buffer, format, args);
  if (length < 0) return 0;
  std::string_view text(buffer, std::min<size_t>(length, sizeof buffer - 1));
  if (captured_libbpf_log) captured_libbpf_log->append(text);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  log::debug("libbpf", {{"message", std::string(text)}});
  return 0;
}

class LibbpfLogCapture {
 public:
  LibbpfLogCapture() { captured_libbpf_log = &text_; }
  ~LibbpfLogCapture() { captured_libbpf_log = nullptr; }
  LibbpfLogCapture(const LibbpfLogCapture&) = delete;
  LibbpfLogCapture& operator=(const LibbpfLogCapture&) = delete;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The first line of libbpf's messages: where a failed load went wrong (later lines only
// repeat that the object failed).
std::string first_line(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  if (text.starts_with("libbpf: ")) text.remove_prefix(8);
  return std::string(text);
}

int hook_rank(std::string_view hook) {
  auto it = std::find(std::begin(kHookPreference), std::end(kHookPreference), hook);
  return static_cast<int>(it - std::begin(kHookPreference));
}

bool is_hook(std::string_view hook) {
  return hook_rank(hook) < static_cast<int>(std::size(kHookPreference));
}

std::string errno_reason(int error) {
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")";
}

// One measurement point and the variants still to try, best first.
struct Slot {
  std::string name;
  std::vector<std::string> programs;  // variant program names, in preference order
  std::map<std::string, std::string, std::less<>> functions;  // hooked function by variant
  size_t next = 0;                                            // index of the variant being tried
  ProgramStatus status;

  const std::string* current() const { return next < programs.size() ? &programs[next] : nullptr; }
  void reject(std::string reason) {
    status.failures.push_back(
        {std::string(parse_program_name(programs[next]).hook), std::move(reason)});
    ++next;
  }
};

struct SkeletonHandle {
  const SkeletonOps& ops;
  void* skeleton;
  ~SkeletonHandle() {
    if (skeleton) ops.destroy(skeleton);
  }
  void* release() { return std::exchange(skeleton, nullptr); }
};

void* open_or_throw(const SkeletonOps& ops, std::string_view collector) {
  void* skeleton = ops.open();
  if (!skeleton)
    throw LoadError(
        "cannot open the BPF object of " + std::string(collector) + ": " + errno_reason(errno), {});
  return skeleton;
}

// The kernel function a function hook's section names ("fentry/mutex_lock"), else empty.
std::string_view hooked_function(const bpf_program* program) {
  const std::string_view hook = parse_program_name(bpf_program__name(program)).hook;
  if (hook_family(hook) != "fentry" && hook_family(hook) != "kprobe") return {};
  const std::string_view section = bpf_program__section_name(program);
  const size_t slash = section.find('/');
  return slash == std::string_view::npos ? std::string_view{} : section.substr(slash + 1);
}

// Whether the running kernel has `function` (in its BTF, which lists every function that was
// not inlined away): a variant on an absent function is rejected without a load, which would
// fail and cost a reload of the whole object (functions come and go between kernel versions:
// migrate_misplaced_page became migrate_misplaced_folio).
bool kernel_has_function(std::string_view function) {
  static btf* const vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return true;  // unknown: let the load decide
  return btf__find_by_name_kind(vmlinux, std::string(function).c_str(), BTF_KIND_FUNC) >= 0;
}

// Why variant `program` (hooking `function`, empty for tracepoints) cannot work, known before
// loading; empty when it may.
std::string known_refusal(std::string_view program, const std::string* function,
                          const LoaderOptions& options) {
  const std::string_view family = hook_family(parse_program_name(program).hook);
  if (options.disabled_hooks.contains(family)) return "disabled by --bpf.disable-hooks";
  if (auto refusal = options.refused->find(family))
    return *refusal + " (refused earlier: EPERM refuses the hook type)";
  if (family == "kprobe" && !kernel_has_kprobes())
    return "this kernel has no kprobes (no kprobe PMU or kprobe_events)";
  if (function && !kernel_has_function(*function))
    return "no function " + *function + " in this kernel (BTF)";
  return "";
}

// Reads the object's programs into slots; on-demand programs (no hook suffix) are listed apart.
std::vector<Slot> discover_slots(bpf_object* object, std::vector<std::string>& on_demand) {
  std::map<std::string, Slot, std::less<>> slots;
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    std::string name = bpf_program__name(program);
    ProgramName parsed = parse_program_name(name);
    if (parsed.hook.empty()) {
      on_demand.push_back(name);
      continue;
    }
    Slot& slot = slots[std::string(parsed.slot)];
    slot.name = parsed.slot;
    if (const std::string_view function = hooked_function(program); !function.empty())
      slot.functions[name] = function;
    slot.programs.push_back(name);
  }
  std::vector<Slot> result;
  for (auto& [name, slot] : slots) {
    std::stable_sort(
        slot.programs.begin(), slot.programs.end(), [](const std::string& a, const std::string& b) {
          return hook_rank(parse_program_name(a).hook) < hook_rank(parse_program_name(b).hook);
        });
    slot.status.slot = name;
    result.push_back(std::move(slot));
  }
  return result;
}

// Moves every slot past the variants known not to work (hooks disabled by the operator among
// them), which count as refused so that the status says why they were skipped. Before each load:
// a refusal learnt during the last one can make later variants known not to work.
void skip_known_refusals(std::vector<Slot>& slots, const LoaderOptions& options) {
  for (Slot& slot : slots) {
    while (const std::string* program = slot.current()) {
      const auto function = slot.functions.find(*program);
      std::string refusal = known_refusal(
          *program, function == slot.functions.end() ? nullptr : &function->second, options);
      if (refusal.empty()) break;
      slot.reject(std::move(refusal));
    }
  }
}

Slot* slot_of_program(std::vector<Slot>& slots, std::string_view program) {
  for (Slot& slot : slots)
    if (const std::string* current = slot.current(); current && *current == program) return &slot;
  return nullptr;
}

// A load refused with EPERM was refused for its program type (capabilities, lockdown, an LSM),
// not for what the program does: every variant of that hook family would meet the same refusal.
// Rejecting them all at once saves one reload of the object per variant (~10 ms each), which
// made start-up miss its target where fentry is refused and a collector has many fentry slots.
void reject_hook_family(std::vector<Slot>& slots, std::string_view refused_hook,
                        std::string_view refused_program, const std::string& reason) {
  const std::string_view family = hook_family(refused_hook);
  const std::string inferred =
      reason + " (inferred from " + std::string(refused_program) + ": EPERM refuses the hook type)";
  for (Slot& slot : slots) {
    while (const std::string* current = slot.current()) {
      if (hook_family(parse_program_name(*current).hook) != family) break;
      slot.reject(*current == refused_program ? reason : inferred);
    }
  }
}

std::vector<ProgramStatus> loaded_statuses(const std::vector<Slot>& slots,
                                           const std::vector<std::string>& on_demand) {
  std::vector<ProgramStatus> result;
  for (const Slot& slot : slots) {
    result.push_back(slot.status);
    if (const std::string* name = slot.current())
      result.back().hook = parse_program_name(*name).hook;
  }
  for (const std::string& name : on_demand)
    result.push_back({name, std::string(kOnDemandHook), {}});
  return result;
}

// The statuses when the object as a whole failed for `reason`: every program still in the
// running records it.
std::vector<ProgramStatus> failed_statuses(const std::vector<Slot>& slots,
                                           const std::vector<std::string>& on_demand,
                                           const std::string& reason) {
  std::vector<ProgramStatus> result;
  for (const Slot& slot : slots) {
    result.push_back(slot.status);
    if (const std::string* name = slot.current())
      result.back().failures.push_back({std::string(parse_program_name(*name).hook), reason});
  }
  for (const std::string& name : on_demand)
    result.push_back({name, "", {{std::string(kOnDemandHook), reason}}});
  return result;
}

}  // namespace

void install_libbpf_logging() {
  static std::once_flag installed;
  std::call_once(installed, [] { libbpf_set_print(forward_libbpf_message); });
}

std::string_view hook_family(std::string_view hook) {
  if (hook == "fexit") return "fentry";
  if (hook == "kretprobe") return "kprobe";
  return hook;
}

void RefusedHookFamilies::add(std::string_view family, const std::string& reason) {
  const std::lock_guard lock(mutex_);
  refusals_.try_emplace(std::string(family), reason);
}

std::optional<std::string> RefusedHookFamilies::find(std::string_view family) const {
  const std::lock_guard lock(mutex_);
  const auto found = refusals_.find(family);
  if (found == refusals_.end()) return std::nullopt;
  return found->second;
}

bool kernel_has_kprobes() {
  static const bool available = [] {
    for (const char* path :
         {"/sys/bus/event_source/devices/kprobe/type", "/sys/kernel/tracing/kprobe_events",
          "/sys/kernel/debug/tracing/kprobe_events"})
      if (access(path, F_OK) == 0) return true;
    return false;
  }();
  return available;
}

ProgramName parse_program_name(std::string_view name) {
  size_t separator = name.rfind("__");
  if (separator == std::string_view::npos || !is_hook(name.substr(separator + 2)))
    return {name, {}};
  return {name.substr(0, separator), name.substr(separator + 2)};
}

LibbpfBlame blame_program(std::string_view log) {
  constexpr std::string_view kPrefix = "prog '";
  size_t start = log.find(kPrefix);
  if (start == std::string_view::npos) return {};
  start += kPrefix.size();
  size_t end = log.find("': ", start);
  if (end == std::string_view::npos) return {};
  size_t reason_end = log.find('\n', end);
  std::string_view reason =
      log.substr(end + 3, reason_end == std::string_view::npos ? std::string_view::npos
                                                               : reason_end - end - 3);
  return {std::string(log.substr(start, end - start)), std::string(reason)};
}

ErasedSkeleton load_with_fallback(const SkeletonOps& ops, std::string_view collector,
                                  const LoaderOptions& options,
                                  const std::function<void(void*)>& configure) {
  install_libbpf_logging();
  std::vector<std::string> on_demand;
  std::vector<Slot> slots;
  {
    SkeletonHandle probe{ops, open_or_throw(ops, collector)};
    slots = discover_slots(ops.object(probe.skeleton), on_demand);
  }

  // Each round either succeeds or rejects at least one variant, so this ends.
  for (;;) {
    skip_known_refusals(slots, options);
    bool any_program = !on_demand.empty();
    for (const Slot& slot : slots) any_program |= slot.current() != nullptr;
    if (!any_program)
      throw LoadError(std::string(collector) + ": no BPF program could be loaded and attached",
                      failed_statuses(slots, on_demand, "no variant left"));

    SkeletonHandle handle{ops, open_or_throw(ops, collector)};
    bpf_object* object = ops.object(handle.skeleton);
    bpf_program* program;
    bpf_object__for_each_program(program, object) {
      std::string_view name = bpf_program__name(program);
      bool wanted = std::find(on_demand.begin(), on_demand.end(), name) != on_demand.end() ||
                    slot_of_program(slots, name) != nullptr;
      bpf_program__set_autoload(program, wanted);
    }
    if (configure) configure(handle.skeleton);

    LibbpfLogCapture capture;
    if (int error = ops.load(handle.skeleton); error != 0) {
      LibbpfBlame blame = blame_program(capture.text());
      Slot* slot = slot_of_program(slots, blame.program);
      if (!slot) {
        std::string reason = first_line(capture.text());
        if (reason.empty()) reason = errno_reason(-error);
        throw LoadError(std::string(collector) + ": BPF load failed: " + reason,
                        failed_statuses(slots, on_demand, reason));
      }
      std::string reason = blame.reason.empty() ? errno_reason(-error) : blame.reason;
      if (error == -EPERM) {
        const std::string_view hook = parse_program_name(blame.program).hook;
        options.refused->add(hook_family(hook), reason);
        reject_hook_family(slots, hook, blame.program, reason);
      } else {
        slot->reject(std::move(reason));
      }
      continue;
    }

    // Every slot is tried before reloading, so that several refusals cost one reload.
    std::vector<Link> links;
    bool attach_failed = false;
    for (Slot& slot : slots) {
      const std::string* name = slot.current();
      if (!name) continue;
      const size_t log_start = capture.text().size();
      bpf_program* to_attach = bpf_object__find_program_by_name(object, name->c_str());
      bpf_link* link = bpf_program__attach(to_attach);
      if (!link) {
        int error = errno;
        LibbpfBlame blame = blame_program(capture.text().substr(log_start));
        slot.reject(blame.program == *name ? blame.reason : errno_reason(error));
        attach_failed = true;
        continue;
      }
      links.emplace_back(link);
    }
    if (attach_failed) continue;

    ErasedSkeleton result;
    result.programs = loaded_statuses(slots, on_demand);
    result.links = std::move(links);
    result.skeleton = handle.release();
    return result;
  }
}

}  // namespace ke::bpf
