#include "app/options.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <sstream>

namespace ke::app {
namespace {

const std::vector<std::string> kCollectors = {"loadavg", "workqueue", "softirq"};

Options parse(std::initializer_list<const char*> args) {
  return parse_options(std::span<const char* const>(args.begin(), args.size()), kCollectors);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// Expects a UsageError whose message contains `message_part`.
void expect_usage_error(std::initializer_list<const char*> args, std::string_view message_part) {
  try {
    parse(args);
    ADD_FAILURE() << "no UsageError, expected one containing: " << message_part;
  } catch (const UsageError& error) {
    EXPECT_NE(std::string_view(error.what()).find(message_part), std::string_view::npos)
        << error.what();
  }
}

TEST(Options, Defaults) {
  Options options = parse({});
  EXPECT_EQ(options.listen_address, ":9477");
  EXPECT_EQ(options.telemetry_path, "/metrics");
  EXPECT_EQ(options.config_file, "");
  EXPECT_FALSE(options.config_check);
  EXPECT_TRUE(options.collector_overrides.empty());
  EXPECT_TRUE(options.disabled_hooks.empty());
  EXPECT_EQ(options.log_level, "info");
  EXPECT_EQ(options.log_format, "logfmt");
  EXPECT_FALSE(options.show_version);
  EXPECT_FALSE(options.show_help);
}

TEST(Options, ValueFlagsWithEqualsOrAsTheNextArgument) {
  Options options =
      parse({"--web.listen-address=127.0.0.1:9100", "--web.telemetry-path", "/m",
             "--config.file=/etc/ke.yaml", "--log.level", "debug", "--log.format=json"});
  EXPECT_EQ(options.listen_address, "127.0.0.1:9100");
  EXPECT_EQ(options.telemetry_path, "/m");
  EXPECT_EQ(options.config_file, "/etc/ke.yaml");
  EXPECT_EQ(options.log_level, "debug");
  EXPECT_EQ(options.log_format, "json");

  EXPECT_EQ(parse({"--config.file", "a=b.yaml"}).config_file, "a=b.yaml");
  EXPECT_EQ(parse({"--web.listen-address", ":0"}).listen_address, ":0");
}

TEST(Options, Switches) {
  EXPECT_TRUE(parse({"--config.check"}).config_check);
  EXPECT_FALSE(parse({"--no-config.check"}).config_check);
  EXPECT_TRUE(parse({"--version"}).show_version);
  EXPECT_TRUE(parse({"--help"}).show_help);
  EXPECT_TRUE(parse({"-h"}).show_help);
}

TEST(Options, CollectorOverrides) {
  Options options = parse({"--no-collector.softirq", "--collector.loadavg"});
  EXPECT_EQ(options.collector_overrides,
            (std::map<std::string, bool>{{"softirq", false}, {"loadavg", true}}));
}

TEST(Options, DisabledHooks) {
  EXPECT_EQ(parse({"--bpf.disable-hooks=fentry,kprobe"}).disabled_hooks,
            (std::vector<std::string>{"fentry", "kprobe"}));
  EXPECT_EQ(parse({"--bpf.disable-hooks", "tp_btf,raw_tp,tracepoint"}).disabled_hooks,
            (std::vector<std::string>{"tp_btf", "raw_tp", "tracepoint"}));
}

TEST(Options, ListenAddresses) {
  for (const char* address : {":9477", "0.0.0.0:0", "localhost:65535", "[::]:9477",
                              "[fe80::1%eth0]:80", "host.example:1"}) {
    const std::string flag = std::string("--web.listen-address=") + address;
    EXPECT_EQ(parse({flag.c_str()}).listen_address, address);
  }
  for (const char* address :
       {"9477", "", "host:", "host:65536", "host:-1", "host:+1", "host:9x", "::1:9477", "[::1:9477",
        "[]:80", "a b:80", "host:99999999999999999999"}) {
    SCOPED_TRACE(address);
    const std::string flag = std::string("--web.listen-address=") + address;
    expect_usage_error({flag.c_str()}, "--web.listen-address");
  }
}

TEST(Options, UnknownFlagsAreNamed) {
  expect_usage_error({"--no-such-flag"}, "unknown flag --no-such-flag");
  expect_usage_error({"--web.listen-adress=:1"}, "unknown flag --web.listen-adress");
  expect_usage_error({"-v"}, "unknown flag -v");
  expect_usage_error({"--no-log.level=info"}, "unknown flag --no-log.level");
  expect_usage_error({"--no-help"}, "unknown flag --no-help");
}

TEST(Options, MissingValues) {
  expect_usage_error({"--config.file"}, "flag --config.file needs a value");
  expect_usage_error({"--log.level", "--config.check"}, "flag --log.level needs a value");
  expect_usage_error({"--config.file="}, "flag --config.file needs a file name");
}

TEST(Options, SwitchesTakeNoValue) {
  expect_usage_error({"--config.check=true"}, "flag --config.check takes no value");
  expect_usage_error({"--collector.loadavg=false"}, "flag --collector.loadavg takes no value");
}

TEST(Options, UnknownCollector) {
  expect_usage_error({"--collector.cpu"},
                     "flag --collector.cpu: unknown collector 'cpu' (known: loadavg, workqueue, "
                     "softirq)");
  expect_usage_error({"--no-collector.cpu"}, "unknown collector 'cpu'");
}

TEST(Options, InvalidHooks) {
  expect_usage_error({"--bpf.disable-hooks=fentry,uprobe"},
                     "flag --bpf.disable-hooks: invalid hook 'uprobe' (valid: ");
  expect_usage_error({"--bpf.disable-hooks=fexit"}, "invalid hook 'fexit'");
  expect_usage_error({"--bpf.disable-hooks=fentry,"}, "invalid hook ''");
}

TEST(Options, LogLevelAndFormatMustBeKnown) {
  expect_usage_error(
      {"--log.level=verbose"},
      "flag --log.level: invalid value 'verbose' (one of: debug, info, warn, error)");
  expect_usage_error({"--log.format=text"},
                     "flag --log.format: invalid value 'text' (one of: logfmt, json)");
}

TEST(Options, TelemetryPathMustBeAbsolute) {
  expect_usage_error({"--web.telemetry-path=metrics"}, "--web.telemetry-path");
}

TEST(Options, PositionalArgumentsAreRejected) {
  expect_usage_error({"config.yaml"}, "unexpected argument 'config.yaml'");
  expect_usage_error({"--config.check", "extra"}, "unexpected argument 'extra'");
  expect_usage_error({"--"}, "unexpected argument '--'");
}

TEST(Options, FlagsMayNotBeRepeated) {
  expect_usage_error({"--log.level=info", "--log.level=debug"},
                     "flag --log.level given more than once");
  expect_usage_error({"--collector.softirq", "--no-collector.softirq"},
                     "flag --collector.softirq given more than once");
}

TEST(Options, UsageListsEveryFlagAndCollector) {
  const std::string usage = usage_text(kCollectors);
  for (const char* flag :
       {"-h, --help", "--version", "--web.listen-address=\":9477\"",
        "--web.telemetry-path=\"/metrics\"", "--config.file=", "--[no-]config.check",
        "--bpf.disable-hooks=", "--log.level=\"info\"", "--log.format=\"logfmt\"",
        "--[no-]collector.loadavg", "--[no-]collector.workqueue", "--[no-]collector.softirq"})
    EXPECT_NE(usage.find(flag), std::string::npos) << flag << "\n" << usage;
  for (const char* hook : {"fentry", "kprobe", "tp_btf", "raw_tp", "tracepoint"})
    EXPECT_NE(usage.find(hook), std::string::npos) << hook << "\n" << usage;
}

TEST(Options, UsageWrapsAtOneHundredColumns) {
  const std::string usage = usage_text(kCollectors);
  for (const std::string& line : lines_of(usage)) EXPECT_LE(line.size(), 100u) << line;
}

}  // namespace
}  // namespace ke::app
