#include "app/options.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <string_view>

#include "app/join.hpp"
#include "bpf/loader.hpp"

namespace ke::app {
namespace {

constexpr std::string_view kLogLevels[] = {"debug", "info", "warn", "error"};
constexpr std::string_view kLogFormats[] = {"logfmt", "json"};
constexpr std::string_view kCollectorFlagPrefix = "collector.";

template <typename Names>
bool contains(const Names& names, std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

[[noreturn]] void fail(std::string message) {
  throw UsageError(std::move(message));
}

void check_one_of(std::string_view flag, std::string_view value,
                  std::span<const std::string_view> allowed) {
  if (!contains(allowed, value))
    fail("flag --" + std::string(flag) + ": invalid value '" + std::string(value) +
         "' (one of: " + join(allowed) + ")");
}

// [host]:port, where host is empty, a name, an IPv4 address or a bracketed IPv6 address.
void check_listen_address(std::string_view address) {
  const std::string prefix = "flag --web.listen-address: '" + std::string(address) + "' ";
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) fail(prefix + "is not [host]:port");
  const std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']' &&
                         host.find_first_of("[]", 1) == host.size() - 1;
  if (!bracketed && host.find_first_of(":[] \t") != std::string_view::npos)
    fail(prefix + "has an invalid host (IPv6 addresses go in brackets: [::1]:9477)");
  unsigned number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || number > 65535)
    fail(prefix + "has an invalid port (0..65535)");
}

std::vector<std::string> parse_hook_list(std::string_view list) {
  std::vector<std::string> hooks;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string_view hook = list.substr(start, comma - start);
    if (!contains(bpf::kHookFamilies, hook))
      fail("flag --bpf.disable-hooks: invalid hook '" + std::string(hook) +
           "' (valid: " + join(bpf::kHookFamilies) + ")");
    hooks.emplace_back(hook);
    if (comma == std::string_view::npos) return hooks;
    start = comma + 1;
  }
}

// Help text layout: flag descriptions start at kHelpColumn and wrap at kLineWidth.
constexpr size_t kHelpColumn = 34;
constexpr size_t kLineWidth = 100;

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

bool looks_like_flag(std::string_view arg) {
  return arg.size() > 1 && arg.front() == '-';
}

}  // namespace

Options parse_options(std::span<const char* const> args,
                      std::span<const std::string> collector_names) {
  Options options;
  std::set<std::string, std::less<>> seen_flags;
  for (size_t index = 0; index < args.size(); ++index) {
    const std::string_view arg = args[index] == std::string_view("-h") ? "--help" : args[index];
    if (!looks_like_flag(arg) || arg == "--")
      fail("unexpected argument '" + std::string(arg) + "' (kernel_exporter takes only flags)");
    const size_t equals = arg.find('=');
    const std::string flag(arg.substr(0, equals));  // as typed, for messages
    if (!flag.starts_with("--")) fail("unknown flag " + flag);
    const bool has_inline_value = equals != std::string_view::npos;
    const std::string_view inline_value = has_inline_value ? arg.substr(equals + 1) : "";
    const bool negated = flag.starts_with("--no-");
    const std::string name = flag.substr(negated ? 5 : 2);

    const bool is_collector = name.starts_with(kCollectorFlagPrefix);
    const bool is_switch = is_collector || name == "config.check" ||
                           (!negated && (name == "help" || name == "version"));
    const bool is_value_flag =
        !negated &&
        (name == "web.listen-address" || name == "web.telemetry-path" || name == "config.file" ||
         name == "bpf.disable-hooks" || name == "log.level" || name == "log.format");
    if (!is_switch && !is_value_flag) fail("unknown flag " + flag);
    if (!seen_flags.insert(name).second) fail("flag --" + name + " given more than once");

    if (is_switch) {
      if (has_inline_value) fail("flag " + flag + " takes no value");
      if (name == "help") {
        options.show_help = true;
      } else if (name == "version") {
        options.show_version = true;
      } else if (name == "config.check") {
        options.config_check = !negated;
      } else {
        const std::string collector = name.substr(kCollectorFlagPrefix.size());
        if (!contains(collector_names, collector))
          fail("flag " + flag + ": unknown collector '" + collector +
               "' (known: " + join(collector_names) + ")");
        options.collector_overrides[collector] = !negated;
      }
      continue;
    }

    std::string_view value;
    if (has_inline_value) {
      value = inline_value;
    } else if (index + 1 < args.size() && !looks_like_flag(args[index + 1])) {
      value = args[++index];
    } else {
      fail("flag " + flag + " needs a value");
    }
    if (name == "web.listen-address") {
      check_listen_address(value);
      options.listen_address = value;
    } else if (name == "web.telemetry-path") {
      if (!value.starts_with('/'))
        fail("flag --web.telemetry-path: '" + std::string(value) + "' must start with '/'");
      options.telemetry_path = value;
    } else if (name == "config.file") {
      // An empty name would silently mean the embedded default.
      if (value.empty()) fail("flag --config.file needs a file name");
      options.config_file = value;
    } else if (name == "bpf.disable-hooks") {
      options.disabled_hooks = parse_hook_list(value);
    } else if (name == "log.level") {
      check_one_of(name, value, kLogLevels);
      options.log_level = value;
    } else {
      check_one_of(name, value, kLogFormats);
      options.log_format = value;
    }
  }
  return options;
}

std::string usage_text(std::span<const std::string> collector_names) {
  const Options defaults;
  std::vector<std::pair<std::string, std::string>> rows = {
      {"-h, --help", "Show this help and exit."},
      {"--version", "Show the version and exit."},
      {"--web.listen-address=\"" + defaults.listen_address + "\"",
       "Address to serve metrics and the landing page on, as [host]:port."},
      {"--web.telemetry-path=\"" + defaults.telemetry_path + "\"",
       "Path under which to expose metrics."},
      {"--config.file=FILE",
       "YAML configuration file (see config/README.md). Default: the embedded "
       "config/default.yaml."},
      {"--[no-]config.check", "Validate the configuration, print every error, and exit."},
      {"--bpf.disable-hooks=HOOK,...", "Hook types never to attach with (" +
                                           join(bpf::kHookFamilies) +
                                           "); slots fall back to the next hook."},
      {"--log.level=\"" + defaults.log_level + "\"",
       "Only log messages at this level or above. One of: " + join(kLogLevels) + "."},
      {"--log.format=\"" + defaults.log_format + "\"",
       "Format of log lines. One of: " + join(kLogFormats) + "."},
  };
  for (const std::string& collector : collector_names)
    rows.push_back(
        {"--[no-]collector." + collector,
         "Enable or disable the " + collector + " collector, overriding the configuration file."});

  // Flags without a short form line up after "-h, ", as in kingpin's help.
  std::string text =
      "usage: kernel_exporter [<flags>]\n\n"
      "Kernel metrics from BPF programs, served to Prometheus.\n\n"
      "Flags:\n";
  for (const auto& [spec, help] : rows) {
    std::string line = spec.starts_with("--") ? "      " + spec : "  " + spec;
    if (line.size() + 2 > kHelpColumn) {
      text += line + "\n";
      line.clear();
    }
    for (const std::string_view word : words_of(help)) {
      if (line.size() > kHelpColumn && line.size() + 1 + word.size() > kLineWidth) {
        text += line + "\n";
        line.clear();
      }
      line.resize(std::max(line.size(), kHelpColumn - 1), ' ');
      line += ' ';
      line += word;
    }
    text += line + "\n";
  }
  return text;
}

}  // namespace ke::app
