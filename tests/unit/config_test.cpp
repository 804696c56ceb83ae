#include "config/config.hpp"

#include "collectors/collector.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

namespace ke::config {
namespace {

// The collectors as of writing; the parser must take them from here, never hard-code them.
const std::vector<CollectorSchema> kSchemas = {
    {"loadavg", true, {}, false},
    {"workqueue", true, {"function"}, true},
    {"softirq", true, {"vector", "function"}, true},
};

ParseResult parse(std::string_view yaml) {
  return parse_config(yaml, "test.yaml", kSchemas);
}

std::string all_errors(const ParseResult& result) {
  std::string text;
  for (const ConfigError& error : result.errors) text += error.str() + "\n";
  return text;
}

Config parse_ok(std::string_view yaml) {
  ParseResult result = parse(yaml);
  EXPECT_TRUE(result.ok()) << all_errors(result);
  return result.config;
}

// The error of a document that has exactly one.
ConfigError single_error(std::string_view yaml) {
  ParseResult result = parse(yaml);
  EXPECT_EQ(result.errors.size(), 1u) << all_errors(result);
  return result.errors.empty() ? ConfigError{} : result.errors.front();
}

void expect_error(std::string_view yaml, int line, std::string_view key,
                  std::string_view message_part) {
  SCOPED_TRACE(yaml);
  ParseResult result = parse(yaml);
  ASSERT_EQ(result.errors.size(), 1u) << all_errors(result);
  const ConfigError& error = result.errors.front();
  EXPECT_EQ(error.file, "test.yaml");
  EXPECT_EQ(error.line, line) << error.str();
  EXPECT_EQ(error.key, key) << error.str();
  EXPECT_NE(error.message.find(message_part), std::string::npos) << error.str();
}

HistogramRange histogram_of(std::string_view histogram_yaml) {
  return parse_ok("collectors:\n  workqueue:\n    histogram: " + std::string(histogram_yaml))
      .collectors.at("workqueue")
      .histogram;
}

TEST(Config, EmptyDocumentGivesEveryCollectorItsDefaults) {
  const std::vector<CollectorSchema> schemas = {{"on", true, {}, false}, {"off", false, {}, true}};
  for (std::string_view yaml : {"", "# only a comment\n", "collectors:\n", "collectors: {}\n"}) {
    SCOPED_TRACE(yaml);
    ParseResult result = parse_config(yaml, "test.yaml", schemas);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.config.source, "test.yaml");
    ASSERT_EQ(result.config.collectors.size(), 2u);
    const CollectorConfig& on = result.config.collectors.at("on");
    EXPECT_TRUE(on.enabled);
    EXPECT_EQ(on.label_limit, 64u);
    EXPECT_TRUE(on.filters.empty());
    EXPECT_EQ(on.histogram.min_exponent, -20);
    EXPECT_EQ(on.histogram.max_exponent, 4);
    EXPECT_FALSE(result.config.collectors.at("off").enabled);
  }
}

TEST(Config, ReadsEverySetting) {
  Config config = parse_ok(R"(
collectors:
  loadavg:
    enabled: false
  softirq:
    label_limit: 10
    filters:
      vector:
        include: ["net_.*"]
      function:
        exclude: ["noisy_.*", "other"]
    histogram:
      min_seconds: 0.001
      max_seconds: 2
)");
  EXPECT_FALSE(config.collectors.at("loadavg").enabled);
  const CollectorConfig& softirq = config.collectors.at("softirq");
  EXPECT_TRUE(softirq.enabled);
  EXPECT_EQ(softirq.label_limit, 10u);
  EXPECT_EQ(softirq.filters.size(), 2u);
  EXPECT_TRUE(softirq.admits("vector", "net_rx"));
  EXPECT_FALSE(softirq.admits("vector", "timer"));
  EXPECT_TRUE(softirq.admits("function", "tasklet_fn"));
  EXPECT_FALSE(softirq.admits("function", "noisy_handler"));
  EXPECT_EQ(softirq.histogram.min_exponent, -10);
  EXPECT_EQ(softirq.histogram.max_exponent, 1);
  // Untouched collectors keep their defaults.
  EXPECT_TRUE(config.collectors.at("workqueue").enabled);
  EXPECT_EQ(config.collectors.at("workqueue").label_limit, 64u);
}

TEST(Config, EmptySectionsMeanDefaults) {
  Config config = parse_ok(
      "collectors:\n  workqueue:\n    filters:\n      function:\n        include:\n"
      "    histogram:\n");
  const CollectorConfig& workqueue = config.collectors.at("workqueue");
  EXPECT_TRUE(workqueue.admits("function", "anything"));
  EXPECT_EQ(workqueue.histogram.min_exponent, -20);
  EXPECT_EQ(workqueue.histogram.max_exponent, 4);
}

// The embedded default is checked against the real registry: it must list every collector built.
TEST(Config, EmbeddedDefaultParsesCleanlyAndMatchesTheBuiltInDefaults) {
  const std::vector<CollectorSchema> schemas = ke::collectors::schemas();
  ParseResult result = embedded_default_config(schemas);
  EXPECT_TRUE(result.ok()) << all_errors(result);
  EXPECT_EQ(result.config.source, "<embedded default>");
  ASSERT_EQ(result.config.collectors.size(), schemas.size());
  for (const CollectorSchema& schema : schemas) {
    SCOPED_TRACE(schema.name);
    const CollectorConfig& config = result.config.collectors.at(schema.name);
    EXPECT_EQ(config.enabled, schema.default_enabled);
    EXPECT_EQ(config.label_limit, CollectorConfig{}.label_limit);
    EXPECT_EQ(config.histogram.min_exponent, HistogramRange{}.min_exponent);
    EXPECT_EQ(config.histogram.max_exponent, HistogramRange{}.max_exponent);
    for (const std::string& label : schema.labels) EXPECT_TRUE(config.admits(label, "any"));
  }
}

TEST(Config, EmbeddedDefaultListsEveryCollector) {
  const YAML::Node collectors = YAML::Load(ke_default_config)["collectors"];
  std::vector<std::string> listed;
  for (const auto& entry : collectors) listed.push_back(entry.first.Scalar());
  std::vector<std::string> known;
  for (const CollectorSchema& schema : ke::collectors::schemas()) known.push_back(schema.name);
  EXPECT_EQ(listed, known);
}

TEST(Config, UnknownTopLevelKey) {
  expect_error("collectors:\n  loadavg: {}\ncollector:\n  loadavg: {}\n", 3, "collector",
               "unknown key 'collector' (known: collectors)");
}

TEST(Config, UnknownCollectorListsTheKnownOnes) {
  ConfigError error = single_error("collectors:\n  loadavg: {}\n  bogus:\n    enabled: true\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 3);
  EXPECT_EQ(error.key, "collectors.bogus");
  EXPECT_EQ(error.message, "unknown collector 'bogus' (known: loadavg, workqueue, softirq)");
}

TEST(Config, UnknownCollectorNamesComeFromTheSchemas) {
  const std::vector<CollectorSchema> schemas = {{"only", true, {}, false}};
  ParseResult result = parse_config("collectors: {loadavg: {}}", "x.yaml", schemas);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].message, "unknown collector 'loadavg' (known: only)");
}

TEST(Config, UnknownKeysAtEveryLevel) {
  expect_error("collectors:\n  workqueue:\n    colour: blue\n", 3, "collectors.workqueue.colour",
               "unknown key 'colour' (known: enabled, label_limit, filters, histogram)");
  expect_error("collectors:\n  workqueue:\n    filters:\n      function:\n        includes: []\n",
               5, "collectors.workqueue.filters.function.includes",
               "unknown key 'includes' (known: include, exclude)");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      min: 1\n", 4,
               "collectors.workqueue.histogram.min",
               "unknown key 'min' (known: min_seconds, max_seconds, schema)");
}

TEST(Config, WrongTypes) {
  expect_error("collectors:\n  workqueue:\n    label_limit: many\n", 3,
               "collectors.workqueue.label_limit", "expected an integer, got 'many'");
  expect_error("collectors:\n  workqueue:\n    label_limit: 1.5\n", 3,
               "collectors.workqueue.label_limit", "expected an integer");
  expect_error("collectors:\n  workqueue:\n    label_limit: \"64\"\n", 3,
               "collectors.workqueue.label_limit", "expected an integer, got the string \"64\"");
  expect_error("collectors:\n  loadavg:\n    enabled: maybe\n", 3, "collectors.loadavg.enabled",
               "expected true or false");
  expect_error("collectors:\n  loadavg:\n    enabled:\n", 3, "collectors.loadavg.enabled",
               "expected true or false, got nothing");
  expect_error("collectors:\n  workqueue:\n    filters: [function]\n", 3,
               "collectors.workqueue.filters", "expected a mapping, got a list");
  expect_error(
      "collectors:\n  workqueue:\n    filters:\n      function:\n        include: {a: b}\n", 5,
      "collectors.workqueue.filters.function.include",
      "expected a list of regular expressions, got a mapping");
  expect_error("collectors:\n  workqueue:\n    filters:\n      function:\n        include: abc\n",
               5, "collectors.workqueue.filters.function.include",
               "expected a list of regular expressions, got 'abc'");
  expect_error("collectors:\n  workqueue:\n    filters:\n      function:\n        exclude: [[a]]\n",
               5, "collectors.workqueue.filters.function.exclude[0]",
               "expected a regular expression string, got a list");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      max_seconds: long\n", 4,
               "collectors.workqueue.histogram.max_seconds", "expected a number, got 'long'");
  expect_error("collectors: [loadavg]\n", 1, "collectors", "expected a mapping, got a list");
  expect_error("just text\n", 1, "", "expected a mapping, got 'just text'");
}

TEST(Config, OutOfRangeValues) {
  expect_error("collectors:\n  workqueue:\n    label_limit: 0\n", 3,
               "collectors.workqueue.label_limit", "must be between 1 and 10000, got 0");
  expect_error("collectors:\n  workqueue:\n    label_limit: 10001\n", 3,
               "collectors.workqueue.label_limit", "must be between 1 and 10000");
  expect_error("collectors:\n  workqueue:\n    label_limit: -1\n", 3,
               "collectors.workqueue.label_limit", "must be between 1 and 10000");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      min_seconds: 0\n", 4,
               "collectors.workqueue.histogram.min_seconds", "above 0");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      min_seconds: -1\n", 4,
               "collectors.workqueue.histogram.min_seconds", "above 0");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      max_seconds: .inf\n", 4,
               "collectors.workqueue.histogram.max_seconds", "finite");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      min_seconds: 1.0e-12\n", 4,
               "collectors.workqueue.histogram.min_seconds",
               "rounds down to 2^-40 seconds, outside 2^-30..2^10");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      max_seconds: 1025\n", 4,
               "collectors.workqueue.histogram.max_seconds",
               "rounds up to 2^11 seconds, outside 2^-30..2^10");
  expect_error(
      "collectors:\n  workqueue:\n    histogram:\n      min_seconds: 2\n      max_seconds: 2\n", 5,
      "collectors.workqueue.histogram.max_seconds", "must be above min_seconds (2)");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      min_seconds: 32\n", 4,
               "collectors.workqueue.histogram.min_seconds",
               "must be below max_seconds (default 16)");
  expect_error("collectors:\n  workqueue:\n    histogram:\n      max_seconds: 1.0e-7\n", 4,
               "collectors.workqueue.histogram.max_seconds", "must be above min_seconds (default");
}

TEST(Config, ExponentBoundsAreInclusive) {
  HistogramRange range = histogram_of("{min_seconds: 9.313225746154785e-10, max_seconds: 1024}");
  EXPECT_EQ(range.min_exponent, -30);
  EXPECT_EQ(range.max_exponent, 10);
}

TEST(Config, BoundsRoundOutwardToPowersOfTwo) {
  HistogramRange range = histogram_of("{min_seconds: 1.0e-6, max_seconds: 16}");
  EXPECT_EQ(range.min_exponent, -20);
  EXPECT_EQ(range.max_exponent, 4);
  EXPECT_EQ(histogram_of("{max_seconds: 10}").max_exponent, 4);
  EXPECT_EQ(histogram_of("{min_seconds: 0.5}").min_exponent, -1);
  EXPECT_EQ(histogram_of("{max_seconds: 0.5}").max_exponent, -1);
  EXPECT_EQ(histogram_of("{min_seconds: 0.3}").min_exponent, -2);
  EXPECT_EQ(histogram_of("{max_seconds: 0.3}").max_exponent, -1);
  // Just above a power of two still rounds up to the next one.
  EXPECT_EQ(histogram_of("{max_seconds: 16.000001}").max_exponent, 5);
  // Only the written bound changes.
  EXPECT_EQ(histogram_of("{max_seconds: 10}").min_exponent, -20);
}

TEST(Config, InvalidRegexNamesTheListElement) {
  ConfigError error = single_error(R"(collectors:
  softirq:
    filters:
      vector:
        include:
          - "net_.*"
          - "(unclosed"
)");
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.column, 13);
  EXPECT_EQ(error.key, "collectors.softirq.filters.vector.include[1]");
  EXPECT_NE(error.message.find("invalid regular expression '(unclosed'"), std::string::npos);
}

TEST(Config, FilterOnAnUndeclaredLabel) {
  expect_error("collectors:\n  workqueue:\n    filters:\n      vector:\n        include: [a]\n", 4,
               "collectors.workqueue.filters.vector",
               "collector 'workqueue' has no label 'vector' (labels: function)");
  expect_error("collectors:\n  loadavg:\n    filters:\n      cpu: {}\n", 4,
               "collectors.loadavg.filters.cpu",
               "collector 'loadavg' has no label 'cpu' (labels: none)");
}

TEST(Config, HistogramOnACollectorWithoutHistograms) {
  expect_error("collectors:\n  loadavg:\n    histogram:\n      max_seconds: 2\n", 3,
               "collectors.loadavg.histogram", "collector 'loadavg' has no histograms");
}

TEST(Config, DuplicateKey) {
  expect_error("collectors:\n  loadavg:\n    enabled: true\n    enabled: false\n", 4,
               "collectors.loadavg.enabled", "duplicate key 'enabled'");
}

TEST(Config, OnlyOneDocument) {
  expect_error("collectors: {}\n---\ncollectors: {}\n", 3, "", "expected one YAML document");
}

TEST(Config, YamlSyntaxErrorHasItsPosition) {
  ConfigError error = single_error("collectors:\n  workqueue:\n    label_limit: [1, 2\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "");
  EXPECT_NE(error.message.find("YAML syntax error"), std::string::npos) << error.str();

  error = single_error("collectors:\n  loadavg:\n\tenabled: true\n");
  EXPECT_EQ(error.line, 3);
}

TEST(Config, EveryErrorIsReportedInDocumentOrder) {
  ParseResult result = parse(R"(collectors:
  workqueue:
    label_limit: 0
    colour: blue
  softirq:
    enabled: sometimes
    filters:
      vector:
        include: ["(unclosed", "ok", "[z-a]"]
  nosuch: {}
extra: 1
)");
  ASSERT_EQ(result.errors.size(), 7u) << all_errors(result);
  const std::vector<std::pair<int, std::string>> expected = {
      {3, "collectors.workqueue.label_limit"},
      {4, "collectors.workqueue.colour"},
      {6, "collectors.softirq.enabled"},
      {9, "collectors.softirq.filters.vector.include[0]"},
      {9, "collectors.softirq.filters.vector.include[2]"},
      {10, "collectors.nosuch"},
      {11, "extra"},
  };
  for (size_t index = 0; index < expected.size(); ++index) {
    EXPECT_EQ(result.errors[index].line, expected[index].first) << result.errors[index].str();
    EXPECT_EQ(result.errors[index].key, expected[index].second) << result.errors[index].str();
  }
  // The valid parts still apply.
  EXPECT_TRUE(result.config.collectors.at("softirq").admits("vector", "ok"));
  EXPECT_FALSE(result.config.collectors.at("softirq").admits("vector", "net_rx"));
}

TEST(Config, ErrorStringNamesFileLineColumnAndKey) {
  ConfigError error = single_error("collectors:\n  workqueue:\n    label_limit: 0\n");
  EXPECT_EQ(error.str(),
            "test.yaml:3:18: key 'collectors.workqueue.label_limit': must be between 1 and "
            "10000, got 0");
  EXPECT_EQ((ConfigError{"f.yaml", 2, 1, "", "oops"}.str()), "f.yaml:2:1: oops");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "cannot read"}.str()), "f.yaml: cannot read");
}

class ConfigFile : public testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() / ("ke_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string write(const std::string& name, std::string_view text) {
    const std::string path = directory_ / name;
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path directory_;
};

TEST_F(ConfigFile, LoadsAFileAndNamesItInErrors) {
  const std::string path = write("good.yaml", "collectors:\n  loadavg:\n    enabled: false\n");
  ParseResult good = load_config_file(path, kSchemas);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.config.source, path);
  EXPECT_FALSE(good.config.collectors.at("loadavg").enabled);

  const std::string bad_path = write("bad.yaml", "collectors:\n  loadavg:\n    enabled: 3\n");
  ParseResult bad = load_config_file(bad_path, kSchemas);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].file, bad_path);
  EXPECT_EQ(bad.errors[0].line, 3);
}

TEST_F(ConfigFile, UnreadableFileIsOneErrorWithoutALine) {
  for (const std::string& path : {(directory_ / "missing.yaml").string(), directory_.string()}) {
    SCOPED_TRACE(path);
    ParseResult result = load_config_file(path, kSchemas);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].file, path);
    EXPECT_EQ(result.errors[0].line, 0);
    EXPECT_EQ(result.errors[0].key, "");
    EXPECT_NE(result.errors[0].message.find("cannot read file"), std::string::npos);
  }
  ParseResult missing = load_config_file((directory_ / "missing.yaml").string(), kSchemas);
  EXPECT_EQ(missing.errors[0].str(), (directory_ / "missing.yaml").string() +
                                         ": cannot read file: No such file or directory");
}

TEST(LabelFilter, IncludeAndExcludeMatchWholeValues) {
  LabelFilter filter({std::regex("vmstat_.*"), std::regex("kfree_rcu")}, {std::regex(".*_noisy")});
  EXPECT_TRUE(filter.admits("vmstat_update"));
  EXPECT_TRUE(filter.admits("kfree_rcu"));
  EXPECT_FALSE(filter.admits("kfree_rcu_work"));  // a partial match is no match
  EXPECT_FALSE(filter.admits("my_vmstat_update"));
  EXPECT_FALSE(filter.admits("vmstat_noisy"));  // excluded wins over included
  EXPECT_FALSE(filter.admits(""));
}

TEST(LabelFilter, WithoutIncludesEverythingNotExcludedPasses) {
  EXPECT_TRUE(LabelFilter().admits("anything"));
  LabelFilter filter({}, {std::regex("a|b")});
  EXPECT_FALSE(filter.admits("a"));
  EXPECT_TRUE(filter.admits("ab"));
  EXPECT_TRUE(filter.admits("c"));
}

TEST(LabelFilter, ConfigFiltersApplyPerLabel) {
  Config config = parse_ok(
      "collectors:\n  softirq:\n    filters:\n      function:\n        include: ['tcp_.*']\n");
  const CollectorConfig& softirq = config.collectors.at("softirq");
  EXPECT_TRUE(softirq.admits("function", "tcp_tasklet_func"));
  EXPECT_FALSE(softirq.admits("function", "other_func"));
  EXPECT_TRUE(softirq.admits("vector", "other_func"));  // no filter on that label
}

// Collector-specific switches: declared by the collector's schema, defaulted from it, checked
// as strictly as every other key.
const std::vector<CollectorSchema> kSchemasWithOptions = {
    {"plain", true, {}, true},
    {"switchy", true, {"label"}, true, {{"fancy", false}, {"fast", true}, {"age", 1.5, 0, 60}}},
};

ParseResult parse_options(std::string_view yaml) {
  return parse_config(yaml, "test.yaml", kSchemasWithOptions);
}

TEST(ConfigOptions, EveryDeclaredOptionHasItsDefault) {
  for (std::string_view yaml :
       {"", "collectors: {switchy: {}}", "collectors: {switchy: {options:}}",
        "collectors: {switchy: {options: {}}}"}) {
    SCOPED_TRACE(yaml);
    ParseResult result = parse_options(yaml);
    ASSERT_TRUE(result.ok()) << all_errors(result);
    EXPECT_EQ(result.config.collectors.at("switchy").options,
              (std::map<std::string, OptionValue, std::less<>>{
                  {"age", 1.5}, {"fancy", false}, {"fast", true}}));
    EXPECT_TRUE(result.config.collectors.at("plain").options.empty());
  }
}

TEST(ConfigOptions, ReadsOptions) {
  ParseResult result = parse_options(
      "collectors:\n  switchy:\n    options:\n      fancy: true\n      fast: false\n");
  ASSERT_TRUE(result.ok()) << all_errors(result);
  const CollectorConfig& switchy = result.config.collectors.at("switchy");
  EXPECT_TRUE(switchy.flag("fancy"));
  EXPECT_FALSE(switchy.flag("fast"));
  EXPECT_EQ(switchy.number("age"), 1.5);
  // Only the written option changes.
  result = parse_options("collectors: {switchy: {options: {fancy: true, age: 0}}}");
  ASSERT_TRUE(result.ok()) << all_errors(result);
  EXPECT_TRUE(result.config.collectors.at("switchy").flag("fast"));
  EXPECT_EQ(result.config.collectors.at("switchy").number("age"), 0);
  result = parse_options("collectors: {switchy: {options: {age: 60}}}");
  EXPECT_EQ(result.config.collectors.at("switchy").number("age"), 60);
}

TEST(ConfigOptions, Errors) {
  auto expect = [](std::string_view yaml, int line, std::string_view key,
                   std::string_view message_part) {
    SCOPED_TRACE(yaml);
    ParseResult result = parse_options(yaml);
    ASSERT_EQ(result.errors.size(), 1u) << all_errors(result);
    EXPECT_EQ(result.errors[0].line, line) << result.errors[0].str();
    EXPECT_EQ(result.errors[0].key, key) << result.errors[0].str();
    EXPECT_NE(result.errors[0].message.find(message_part), std::string::npos)
        << result.errors[0].str();
  };
  expect("collectors:\n  switchy:\n    options:\n      colour: true\n", 4,
         "collectors.switchy.options.colour",
         "collector 'switchy' has no option 'colour' (options: fancy, fast, age)");
  expect("collectors:\n  switchy:\n    options:\n      age: 61\n", 4,
         "collectors.switchy.options.age", "must be between 0 and 60, got 61");
  expect("collectors:\n  switchy:\n    options:\n      age: -0.5\n", 4,
         "collectors.switchy.options.age", "must be between 0 and 60, got -0.5");
  expect("collectors:\n  switchy:\n    options:\n      age: .nan\n", 4,
         "collectors.switchy.options.age", "must be between 0 and 60, got .nan");
  expect("collectors:\n  switchy:\n    options:\n      age: soon\n", 4,
         "collectors.switchy.options.age", "expected a number, got 'soon'");
  expect("collectors:\n  switchy:\n    options:\n      age: true\n", 4,
         "collectors.switchy.options.age", "expected a number, got");
  expect("collectors:\n  switchy:\n    options:\n      fancy: maybe\n", 4,
         "collectors.switchy.options.fancy", "expected true or false, got 'maybe'");
  expect("collectors:\n  switchy:\n    options:\n      fancy: \"true\"\n", 4,
         "collectors.switchy.options.fancy", "expected true or false, got the string \"true\"");
  expect("collectors:\n  switchy:\n    options:\n      fancy:\n", 4,
         "collectors.switchy.options.fancy", "expected true or false, got nothing");
  expect("collectors:\n  switchy:\n    options: [fancy]\n", 3, "collectors.switchy.options",
         "expected a mapping, got a list");
  expect("collectors:\n  switchy:\n    options:\n      fancy: true\n      fancy: false\n", 5,
         "collectors.switchy.options.fancy", "duplicate key 'fancy'");
  expect("collectors:\n  plain:\n    options:\n      fancy: true\n", 3, "collectors.plain.options",
         "collector 'plain' has no options");
  // The known keys of a collector name `options` only where it has some.
  expect("collectors:\n  switchy:\n    colour: 1\n", 3, "collectors.switchy.colour",
         "unknown key 'colour' (known: enabled, label_limit, filters, histogram, options)");
  expect("collectors:\n  plain:\n    colour: 1\n", 3, "collectors.plain.colour",
         "unknown key 'colour' (known: enabled, label_limit, filters, histogram)");
}

}  // namespace
}  // namespace ke::config
