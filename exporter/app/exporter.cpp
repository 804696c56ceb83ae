#include "app/exporter.hpp"

#include <unistd.h>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>

#include "build_info.hpp"
#include "log/log.hpp"
#include "metrics/exposition.hpp"
#include "metrics/families.hpp"

namespace ke::app {
namespace {

using metrics::MetricType;

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Boot time in seconds since the epoch ("btime" of /proc/stat); constant, so read once.
double boot_time() {
  static const double seconds = [] {
    std::ifstream kernel_stat("/proc/stat");
    for (std::string key; kernel_stat >> key;)
      if (key == "btime" && kernel_stat >> key) return std::stod(key);
    return 0.0;
  }();
  return seconds;
}

// process_* metrics as the Go and Python clients define them, from /proc/self.
void append_process_metrics(std::vector<metrics::Family>& families) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
  // Fields after the parenthesised command name; utime is field 14, starttime 22, vsize 23, rss 24.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> values{std::istream_iterator<std::string>(fields), {}};
  if (values.size() < 22) return;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  auto field = [&](int number) { return std::stod(values[number - 3]); };

  auto cpu =
      metrics::family("process_cpu_seconds_total",
                      "Total user and system CPU time spent in seconds.", MetricType::counter);
  metrics::add_value(cpu, {}, (field(14) + field(15)) / ticks);
  auto rss = metrics::family("process_resident_memory_bytes", "Resident memory size in bytes.",
                             MetricType::gauge);
  metrics::add_value(rss, {}, field(24) * page);
  auto vsize = metrics::family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                               MetricType::gauge);
  metrics::add_value(vsize, {}, field(23));
  auto start =
      metrics::family("process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.", MetricType::gauge);
  metrics::add_value(start, {}, boot_time() + field(22) / ticks);
  for (auto* family : {&cpu, &rss, &vsize, &start}) families.push_back(std::move(*family));
}

}  // namespace

Exporter::Exporter(const config::Config& config, const bpf::LoaderOptions& loader) {
  const auto started = std::chrono::steady_clock::now();
  // One read of kallsyms for the symbols the enabled collectors look up while loading, started
  // first so that it takes the symbol cache's lock before they ask.
  std::vector<std::string_view> kallsyms_names;
  for (const collectors::Descriptor& descriptor : collectors::all())
    if (config.collectors.at(descriptor.name).enabled)
      kallsyms_names.insert(kallsyms_names.end(), descriptor.kallsyms_names.begin(),
                            descriptor.kallsyms_names.end());
  std::future<void> symbols_read;
  if (!kallsyms_names.empty())
    symbols_read = std::async(std::launch::async, [&] { symbols_.addresses_of(kallsyms_names); });
  // Collectors are independent BPF objects: load them concurrently, log in registry order.
  std::vector<std::future<Entry>> loading;
  for (const collectors::Descriptor& descriptor : collectors::all()) {
    const config::CollectorConfig& collector_config = config.collectors.at(descriptor.name);
    if (!collector_config.enabled) continue;
    loading.push_back(std::async(std::launch::async, [&, &descriptor = descriptor] {
      Entry entry{descriptor.name, nullptr, "", {}};
      try {
        entry.collector = descriptor.create({collector_config, loader, symbols_});
        entry.programs = entry.collector->programs();
      } catch (const bpf::LoadError& error) {
        entry.error = error.what();
        entry.programs = error.programs();
      } catch (const std::exception& error) {
        entry.error = error.what();
      }
      return entry;
    }));
  }
  for (auto& future : loading) {
    Entry entry = future.get();
    for (const bpf::ProgramStatus& program : entry.programs) {
      for (const bpf::HookFailure& failure : program.failures)
        log::info("hook refused", {{"collector", entry.name},
                                   {"program", program.slot},
                                   {"hook", failure.hook},
                                   {"reason", failure.reason}});
      if (program.attached())
        log::info("program attached",
                  {{"collector", entry.name}, {"program", program.slot}, {"hook", program.hook}});
    }
    if (entry.collector)
      log::info("collector enabled", {{"collector", entry.name}});
    else
      log::error("collector unavailable", {{"collector", entry.name}, {"reason", entry.error}});
    entries_.push_back(std::move(entry));
  }
  startup_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
}

http::Response Exporter::scrape(std::string_view accept) {
  const metrics::Negotiated negotiated = metrics::negotiate(accept);
  return {200, negotiated.content_type, metrics::serialize(collect(), negotiated.format)};
}

std::vector<metrics::Family> Exporter::collect() {
  std::lock_guard lock(scrape_mutex_);
  std::vector<metrics::Family> page;

  auto build_info = metrics::family("kernel_exporter_build_info",
                                    "A metric with a constant '1' value labeled by version, "
                                    "revision, compiler and libbpf version.",
                                    MetricType::gauge);
  metrics::add_value(build_info,
                     {{"version", build::kVersion},
                      {"revision", build::kRevision},
                      {"compiler", build::kCompiler},
                      {"libbpf", std::to_string(libbpf_major_version()) + "." +
                                     std::to_string(libbpf_minor_version())}},
                     1);
  auto up = metrics::family("kernel_exporter_collector_up",
                            "Whether the collector loaded and attached (1) or is unavailable (0).",
                            MetricType::gauge);
  auto duration =
      metrics::family("kernel_exporter_scrape_collector_duration_seconds",
                      "Duration of the collector's part of this scrape.", MetricType::gauge);
  auto success =
      metrics::family("kernel_exporter_scrape_collector_success",
                      "Whether the collector's part of this scrape succeeded.", MetricType::gauge);
  auto hooks = metrics::family("kernel_exporter_bpf_program_info",
                               "BPF program slots of each collector and the hook each attached "
                               "with (hook=\"none\": no variant could attach; see the log).",
                               MetricType::gauge);
  auto dropped =
      metrics::family("kernel_exporter_bpf_dropped_events_total",
                      "Events a BPF program could not record, by reason.", MetricType::counter);
  auto folded = metrics::family("kernel_exporter_label_folded_events_total",
                                "Events counted under label value \"other\" because the "
                                "collector's label_limit was reached.",
                                MetricType::counter);

  for (Entry& entry : entries_) {
    metrics::add_value(up, {{"collector", entry.name}}, entry.collector ? 1 : 0);
    for (const bpf::ProgramStatus& program : entry.programs)
      metrics::add_value(hooks,
                         {{"collector", entry.name},
                          {"program", program.slot},
                          {"hook", program.attached() ? program.hook : "none"}},
                         1);
    if (!entry.collector) continue;
    collectors::ScrapeOutput out;
    const auto started = std::chrono::steady_clock::now();
    bool ok = true;
    try {
      entry.collector->collect(out);
    } catch (const std::exception& error) {
      ok = false;
      log::error("collector scrape failed", {{"collector", entry.name}, {"err", error.what()}});
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    metrics::add_value(duration, {{"collector", entry.name}}, elapsed.count());
    metrics::add_value(success, {{"collector", entry.name}}, ok ? 1 : 0);
    if (!ok) continue;
    for (auto& family : out.families) page.push_back(std::move(family));
    for (const auto& [reason, count] : out.dropped_events)
      metrics::add_value(dropped, {{"collector", entry.name}, {"reason", reason}},
                         static_cast<double>(count));
    for (const auto& [metric, count] : out.folded_events)
      metrics::add_value(folded, {{"collector", entry.name}, {"metric", metric}},
                         static_cast<double>(count));
  }
  for (auto* family : {&build_info, &up, &duration, &success, &hooks, &dropped, &folded})
    if (!family->samples.empty() || family == &up) page.push_back(std::move(*family));
  append_process_metrics(page);
  return page;
}

std::string Exporter::landing_page(std::string_view telemetry_path) const {
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>kernel_exporter</title>"
          "</head><body><h1>kernel_exporter</h1><p>Version "
       << build::kVersion << " (" << build::kRevision << ")</p><p><a href=\""
       << html_escape(telemetry_path) << "\">Metrics</a></p><h2>Collectors</h2>"
       << "<table border=\"1\"><tr><th>collector</th><th>status</th><th>program</th>"
          "<th>hook</th><th>refused hooks</th></tr>";
  for (const Entry& entry : entries_) {
    std::string status = entry.collector ? "up" : "unavailable: " + entry.error;
    if (entry.programs.empty())
      html << "<tr><td>" << html_escape(entry.name) << "</td><td>" << html_escape(status)
           << "</td><td></td><td></td><td></td></tr>";
    for (const bpf::ProgramStatus& program : entry.programs) {
      html << "<tr><td>" << html_escape(entry.name) << "</td><td>" << html_escape(status)
           << "</td><td>" << html_escape(program.slot) << "</td><td>"
           << html_escape(program.attached() ? program.hook : "none") << "</td><td>";
      for (const bpf::HookFailure& failure : program.failures)
        html << html_escape(failure.hook) << ": " << html_escape(failure.reason) << "<br>";
      html << "</td></tr>";
    }
  }
  html << "</table></body></html>\n";
  return html.str();
}

}  // namespace ke::app
