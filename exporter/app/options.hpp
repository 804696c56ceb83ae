// Command-line flags, in the style of node_exporter (kingpin): --flag=value or --flag value,
// --[no-]switch.
#pragma once

#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ke::app {

struct Options {
  std::string listen_address = ":9477";     // --web.listen-address, [host]:port
  std::string telemetry_path = "/metrics";  // --web.telemetry-path
  std::string config_file;    // --config.file; empty: the embedded default configuration
  bool config_check = false;  // --config.check: validate, print every error, exit
  std::map<std::string, bool> collector_overrides;  // --collector.<name> / --no-collector.<name>
  std::vector<std::string> disabled_hooks;  // --bpf.disable-hooks=fentry,kprobe (hook families)
  std::string log_level = "info";           // --log.level
  std::string log_format = "logfmt";        // --log.format
  bool show_version = false;                // --version
  bool show_help = false;                   // --help, -h
};

// A bad command line; the message names the offending flag or argument.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses argv without argv[0]; throws UsageError. A flag may be given once.
Options parse_options(std::span<const char* const> args,
                      std::span<const std::string> collector_names);

// The --help text: every flag, including --[no-]collector.<name> for each collector.
std::string usage_text(std::span<const std::string> collector_names);

}  // namespace ke::app
