#include "log/log.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace ke::log {
namespace {

constexpr std::string_view kTimestamp = "2026-11-21T23:28:00.123Z";

std::string logfmt(Level level, std::string_view message, std::initializer_list<Field> fields) {
  return format_line(Format::logfmt, level, kTimestamp, message, fields);
}
std::string json(Level level, std::string_view message, std::initializer_list<Field> fields) {
  return format_line(Format::json, level, kTimestamp, message, fields);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

TEST(Log, Logfmt) {
  EXPECT_EQ(logfmt(Level::info, "listening", {{"address", ":9477"}, {"port", "9477"}}),
            "ts=2026-11-21T23:28:00.123Z level=info msg=listening address=:9477 port=9477");
  EXPECT_EQ(logfmt(Level::warn, "hook refused", {}),
            "ts=2026-11-21T23:28:00.123Z level=warn msg=\"hook refused\"");
}

TEST(Log, LogfmtQuotesAndEscapesWhereNeeded) {
  EXPECT_EQ(logfmt(Level::error, "m",
                   {{"space", "a b"},
                    {"equals", "a=b"},
                    {"quote", "say \"hi\""},
                    {"newline", "a\nb\\c"},
                    {"control", std::string("a\tb\x01", 4)},
                    {"empty", ""},
                    {"plain", "C:\\path"},
                    {"utf8", "caf\xc3\xa9"}}),
            "ts=2026-11-21T23:28:00.123Z level=error msg=m space=\"a b\" equals=\"a=b\" "
            "quote=\"say \\\"hi\\\"\" newline=\"a\\nb\\\\c\" control=\"a\\tb\\u0001\" empty=\"\" "
            "plain=C:\\path utf8=caf\xc3\xa9");
}

TEST(Log, Json) {
  EXPECT_EQ(
      json(Level::debug, "libbpf", {{"message", "loaded"}}),
      R"({"ts":"2026-11-21T23:28:00.123Z","level":"debug","msg":"libbpf","message":"loaded"})");
}

TEST(Log, JsonEscapesStrings) {
  EXPECT_EQ(json(Level::info, "a \"quoted\" \\ message\n",
                 {{"control", std::string("\x01\x1f\t\r", 4)}, {"utf8", "\xc3\xa9"}}),
            R"({"ts":"2026-11-21T23:28:00.123Z","level":"info",)"
            R"("msg":"a \"quoted\" \\ message\n","control":"\u0001\u001f\t\r","utf8":")"
            "\xc3\xa9\"}");
}

TEST(Log, ParsesLevelAndFormatNames) {
  Level level = Level::info;
  EXPECT_TRUE(parse_level("debug", level));
  EXPECT_EQ(level, Level::debug);
  EXPECT_TRUE(parse_level("error", level));
  EXPECT_EQ(level, Level::error);
  EXPECT_TRUE(parse_level("warn", level));
  EXPECT_EQ(level, Level::warn);
  EXPECT_FALSE(parse_level("warning", level));
  EXPECT_FALSE(parse_level("INFO", level));
  EXPECT_EQ(level, Level::warn);

  Format format = Format::logfmt;
  EXPECT_TRUE(parse_format("json", format));
  EXPECT_EQ(format, Format::json);
  EXPECT_TRUE(parse_format("logfmt", format));
  EXPECT_EQ(format, Format::logfmt);
  EXPECT_FALSE(parse_format("text", format));
}

TEST(Log, WritesLinesAtOrAboveTheLevelToStderr) {
  configure(Level::warn, Format::logfmt);
  testing::internal::CaptureStderr();
  info("dropped");
  warn("kept", {{"key", "value"}});
  const std::vector<std::string> lines = lines_of(testing::internal::GetCapturedStderr());
  configure(Level::info, Format::logfmt);

  ASSERT_EQ(lines.size(), 1u);
  const std::regex expected(
      R"(ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=warn msg=kept key=value)");
  EXPECT_TRUE(std::regex_match(lines[0], expected)) << lines[0];
}

TEST(Log, JsonLinesAndConcurrentWritersNeverInterleave) {
  configure(Level::debug, Format::json);
  testing::internal::CaptureStderr();
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 200;
  std::vector<std::thread> writers;
  for (int thread = 0; thread < kThreads; ++thread) {
    writers.emplace_back([thread] {
      for (int line = 0; line < kLinesPerThread; ++line)
        debug("event", {{"thread", std::to_string(thread)}, {"line", std::to_string(line)}});
    });
  }
  for (std::thread& writer : writers) writer.join();
  const std::vector<std::string> lines = lines_of(testing::internal::GetCapturedStderr());
  configure(Level::info, Format::logfmt);

  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLinesPerThread));
  const std::regex expected(
      R"(\{"ts":"[-0-9T:.]{23}Z","level":"debug","msg":"event","thread":"\d","line":"\d+"\})");
  for (const std::string& line : lines) ASSERT_TRUE(std::regex_match(line, expected)) << line;
}

}  // namespace
}  // namespace ke::log
