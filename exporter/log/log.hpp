// Structured logging: one line per event, logfmt or JSON, with a level.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ke::log {

enum class Level { debug, info, warn, error };
enum class Format { logfmt, json };

// A key/value pair of one log line; values are strings, callers format numbers.
using Field = std::pair<std::string_view, std::string>;

// Sets the minimum level and the output format (stderr). Thread-safe.
void configure(Level min_level, Format format);
// Parses "debug|info|warn|error" and "logfmt|json"; false on an unknown name.
bool parse_level(std::string_view name, Level& out);
bool parse_format(std::string_view name, Format& out);

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::error, m, f);
}

// Formats one line without writing it (no trailing newline); used by write() and the tests.
std::string format_line(Format format, Level level, std::string_view timestamp,
                        std::string_view message, std::initializer_list<Field> fields);

}  // namespace ke::log
