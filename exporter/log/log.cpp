#include "log/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ke::log {
namespace {

// One mutex guards the settings and stderr, so lines never interleave and a line is always
// written with the settings in force when it was logged.
std::mutex state_mutex;
Level minimum_level = Level::info;
Format output_format = Format::logfmt;

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

std::string_view level_name(Level level) {
  return kLevelNames[static_cast<size_t>(level)];
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

void append_unicode_escape(std::string& out, char c) {
  char escape[7];
  std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
  out += escape;
}

// Escapes shared by both formats; bytes >= 0x80 (UTF-8) pass through unchanged.
void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (is_control(c)) {
          append_unicode_escape(out, c);
        } else {
          out += c;
        }
    }
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  append_escaped(out, text);
  out += '"';
}

// Empty values are quoted too, so `key=""` cannot be mistaken for a missing value.
bool needs_logfmt_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value)
    if (c == ' ' || c == '=' || c == '"' || is_control(c)) return true;
  return false;
}

void append_logfmt_pair(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += '=';
  if (!needs_logfmt_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  append_escaped(out, value);
  out += '"';
}

void append_json_pair(std::string& out, std::string_view key, std::string_view value) {
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

// RFC 3339 in UTC with milliseconds, e.g. 2026-11-21T23:28:00.123Z.
std::string current_timestamp() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto milliseconds =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t time = seconds.count();
  std::tm utc{};
  gmtime_r(&time, &utc);
  char date_time[24];
  std::strftime(date_time, sizeof date_time, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(milliseconds));
  return std::string(date_time) + fraction;
}

}  // namespace

void configure(Level min_level, Format format) {
  std::lock_guard lock(state_mutex);
  minimum_level = min_level;
  output_format = format;
}

bool parse_level(std::string_view name, Level& out) {
  for (size_t index = 0; index < std::size(kLevelNames); ++index) {
    if (kLevelNames[index] == name) {
      out = static_cast<Level>(index);
      return true;
    }
  }
  return false;
}

bool parse_format(std::string_view name, Format& out) {
  if (name == "logfmt") {
    out = Format::logfmt;
  } else if (name == "json") {
    out = Format::json;
  } else {
    return false;
  }
  return true;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::lock_guard lock(state_mutex);
  if (level < minimum_level) return;
  // Timestamped under the lock so that lines appear in timestamp order.
  std::string line = format_line(output_format, level, current_timestamp(), message, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view message, std::initializer_list<Field> fields) {
  const bool logfmt = format == Format::logfmt;
  std::string line = logfmt ? "" : "{";
  bool first_pair = true;
  const auto append_pair = [&](std::string_view key, std::string_view value) {
    if (!first_pair) line += logfmt ? ' ' : ',';
    first_pair = false;
    logfmt ? append_logfmt_pair(line, key, value) : append_json_pair(line, key, value);
  };
  append_pair("ts", timestamp);
  append_pair("level", level_name(level));
  append_pair("msg", message);
  for (const auto& [key, value] : fields) append_pair(key, value);
  if (!logfmt) line += '}';
  return line;
}

}  // namespace ke::log
