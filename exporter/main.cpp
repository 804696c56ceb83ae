// kernel_exporter: kernel metrics from BPF programs, served to Prometheus.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <span>

#include "app/exporter.hpp"
#include "app/options.hpp"
#include "build_info.hpp"
#include "collectors/collector.hpp"
#include "http/server.hpp"
#include "log/log.hpp"

namespace {

constexpr int kExitUsage = 2;  // bad flags or bad configuration

std::vector<std::string> collector_names() {
  std::vector<std::string> names;
  for (const auto& descriptor : ke::collectors::all()) names.push_back(descriptor.name);
  return names;
}

// Blocks SIGINT/SIGTERM before any thread starts, then waits for one of them.
class ShutdownSignals {
 public:
  ShutdownSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  int wait() const {
    int signal = 0;
    sigwait(&set_, &signal);
    return signal;
  }

 private:
  sigset_t set_;
};

int run(int argc, char** argv) {
  const std::vector<std::string> names = collector_names();
  ke::app::Options options;
  try {
    options = ke::app::parse_options(std::span<const char* const>(argv + 1, argc - 1), names);
  } catch (const ke::app::UsageError& error) {
    std::cerr << "kernel_exporter: " << error.what() << "\nTry --help.\n";
    return kExitUsage;
  }
  if (options.show_help) {
    std::cout << ke::app::usage_text(names);
    return 0;
  }
  if (options.show_version) {
    std::cout << "kernel_exporter " << ke::build::kVersion << " (revision " << ke::build::kRevision
              << ", " << ke::build::kCompiler << ")\n";
    return 0;
  }
  ke::log::Level level{};
  ke::log::Format format{};
  ke::log::parse_level(options.log_level, level);
  ke::log::parse_format(options.log_format, format);
  ke::log::configure(level, format);

  const auto schemas = ke::collectors::schemas();
  ke::config::ParseResult parsed = options.config_file.empty()
                                       ? ke::config::embedded_default_config(schemas)
                                       : ke::config::load_config_file(options.config_file, schemas);
  if (!parsed.ok()) {
    for (const auto& error : parsed.errors) std::cerr << error.str() << "\n";
    std::cerr << "kernel_exporter: " << parsed.errors.size() << " configuration error(s)\n";
    return kExitUsage;
  }
  if (options.config_check) {
    std::cout << parsed.config.source << ": configuration OK\n";
    return 0;
  }
  ke::config::Config& config = parsed.config;
  for (const auto& [name, enabled] : options.collector_overrides)
    config.collectors.at(name).enabled = enabled;

  ShutdownSignals signals;
  ke::bpf::install_libbpf_logging();
  ke::bpf::LoaderOptions loader;
  loader.disabled_hooks.insert(options.disabled_hooks.begin(), options.disabled_hooks.end());

  ke::log::info("starting kernel_exporter", {{"version", ke::build::kVersion},
                                             {"revision", ke::build::kRevision},
                                             {"config", config.source}});
  ke::app::Exporter exporter(config, loader);
  ke::log::info("collectors loaded",
                {{"duration_ms", std::to_string(exporter.startup_duration().count())}});

  ke::http::Handlers handlers;
  handlers.metrics = [&](std::string_view accept) { return exporter.scrape(accept); };
  handlers.landing_page = [&] { return exporter.landing_page(options.telemetry_path); };
  handlers.ready = [] { return true; };
  try {
    ke::http::Server server(options.listen_address, options.telemetry_path, handlers);
    ke::log::info("listening",
                  {{"address", options.listen_address}, {"port", std::to_string(server.port())}});
    int signal = signals.wait();
    ke::log::info("shutting down", {{"signal", strsignal(signal)}});
  } catch (const std::runtime_error& error) {
    ke::log::error("cannot serve HTTP", {{"err", error.what()}});
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return run(argc, argv);
}
