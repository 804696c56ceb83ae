#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <system_error>

#include "app/join.hpp"

namespace ke::config {

LabelFilter::LabelFilter(std::vector<std::regex> include, std::vector<std::regex> exclude)
    : include_(std::move(include)), exclude_(std::move(exclude)) {}

bool LabelFilter::admits(std::string_view value) const {
  const auto matches = [value](const std::regex& pattern) {
    return std::regex_match(value.begin(), value.end(), pattern);
  };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches)) return false;
  return std::none_of(exclude_.begin(), exclude_.end(), matches);
}

bool CollectorConfig::admits(std::string_view label, std::string_view value) const {
  const auto filter = filters.find(label);
  return filter == filters.end() || filter->second.admits(value);
}

namespace {
const OptionValue& declared_option(const CollectorConfig& config, std::string_view option) {
  const auto found = config.options.find(option);
  if (found == config.options.end())
    throw std::out_of_range("undeclared collector option '" + std::string(option) + "'");
  return found->second;
}

std::string format_number(double number) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", number);
  return text;
}
}  // namespace

bool CollectorConfig::flag(std::string_view option) const {
  return std::get<bool>(declared_option(*this, option));
}

double CollectorConfig::number(std::string_view option) const {
  return std::get<double>(declared_option(*this, option));
}

std::string ConfigError::str() const {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line) + ":" + std::to_string(column);
  text += ": ";
  if (!key.empty()) text += "key '" + key + "': ";
  return text + message;
}

namespace {

constexpr std::string_view kTopLevelKeys[] = {"collectors"};
constexpr std::string_view kCollectorKeys[] = {"enabled", "label_limit", "filters", "histogram"};
constexpr std::string_view kFilterKeys[] = {"include", "exclude"};
constexpr std::string_view kHistogramKeys[] = {"min_seconds", "max_seconds", "schema"};

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return text;
}

// Quoted scalars (and !!str) are strings even when they read like numbers or booleans.
bool is_explicit_string(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return is_explicit_string(node) ? "the string \"" + node.Scalar() + "\""
                                      : "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

// floor(log2(seconds)) and ceil(log2(seconds)) for seconds > 0, exact where std::log2 may
// round: frexp gives seconds = mantissa * 2^e with mantissa in [0.5, 1).
int floor_log2(double seconds) {
  int exponent = 0;
  std::frexp(seconds, &exponent);
  return exponent - 1;
}
int ceil_log2(double seconds) {
  int exponent = 0;
  const double mantissa = std::frexp(seconds, &exponent);
  return mantissa == 0.5 ? exponent - 1 : exponent;
}

// A node being parsed: where errors about it point, and its dotted key path.
struct Located {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;
};

// One parse: checks nodes against the collector schemas and collects every error.
class Parser {
 public:
  Parser(std::string_view source, std::span<const CollectorSchema> schemas,
         std::vector<ConfigError>& errors)
      : source_(source), schemas_(schemas), errors_(errors) {}

  void parse_document(const YAML::Node& root, Config& config) {
    for_each_entry({root, root.Mark(), ""}, [&](const YAML::Node& key, const Located& value) {
      if (key.Scalar() == "collectors") {
        parse_collectors(value, config);
      } else {
        report_unknown_key(key, value.path, kTopLevelKeys);
      }
    });
  }

  void report(const YAML::Mark& mark, std::string path, std::string message) {
    errors_.push_back(
        {source_, mark.line + 1, mark.column + 1, std::move(path), std::move(message)});
  }

 private:
  void report(const Located& at, std::string message) {
    report(at.mark, at.path, std::move(message));
  }

  template <typename Names>
  void report_unknown_key(const YAML::Node& key, const std::string& path, const Names& known) {
    report(key.Mark(), path, "unknown key '" + key.Scalar() + "' (known: " + join(known) + ")");
  }

  // Calls visit(key, value) for each entry of a mapping; null counts as an empty mapping so
  // that a section with nothing under it means "all defaults".
  template <typename Visit>
  void for_each_entry(const Located& mapping, Visit visit) {
    if (mapping.node.IsNull()) return;
    if (!mapping.node.IsMap()) {
      report(mapping, "expected a mapping, got " + describe(mapping.node));
      return;
    }
    std::set<std::string, std::less<>> seen_keys;
    for (const auto& entry : mapping.node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) {
        report(key.Mark(), mapping.path, "expected a plain key, got " + describe(key));
        continue;
      }
      // yaml-cpp marks an empty value at the next token, so point at the key instead.
      const YAML::Mark value_mark = entry.second.IsNull() ? key.Mark() : entry.second.Mark();
      const Located value{entry.second, value_mark, child_path(mapping.path, key.Scalar())};
      if (!seen_keys.insert(key.Scalar()).second) {
        report(key.Mark(), value.path, "duplicate key '" + key.Scalar() + "'");
        continue;
      }
      visit(key, value);
    }
  }

  std::optional<bool> read_bool(const Located& value) {
    bool result = false;
    if (!value.node.IsScalar() || is_explicit_string(value.node) ||
        !YAML::convert<bool>::decode(value.node, result)) {
      report(value, "expected true or false, got " + describe(value.node));
      return std::nullopt;
    }
    return result;
  }

  std::optional<long long> read_integer(const Located& value, long long min, long long max) {
    long long result = 0;
    if (!value.node.IsScalar() || is_explicit_string(value.node) ||
        !YAML::convert<long long>::decode(value.node, result)) {
      report(value, "expected an integer, got " + describe(value.node));
      return std::nullopt;
    }
    if (result < min || result > max) {
      report(value, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                        ", got " + value.node.Scalar());
      return std::nullopt;
    }
    return result;
  }

  std::optional<double> read_number(const Located& value) {
    double result = 0;
    if (!value.node.IsScalar() || is_explicit_string(value.node) ||
        !YAML::convert<double>::decode(value.node, result)) {
      report(value, "expected a number, got " + describe(value.node));
      return std::nullopt;
    }
    return result;
  }

  const CollectorSchema* find_schema(std::string_view name) const {
    for (const CollectorSchema& schema : schemas_)
      if (schema.name == name) return &schema;
    return nullptr;
  }

  void parse_collectors(const Located& collectors, Config& config) {
    for_each_entry(collectors, [&](const YAML::Node& key, const Located& value) {
      const CollectorSchema* schema = find_schema(key.Scalar());
      if (schema == nullptr) {
        std::vector<std::string_view> known;
        for (const CollectorSchema& candidate : schemas_) known.push_back(candidate.name);
        report(key.Mark(), value.path,
               "unknown collector '" + key.Scalar() + "' (known: " + join(known) + ")");
        return;
      }
      parse_collector(*schema, value, config.collectors[schema->name]);
    });
  }

  void parse_collector(const CollectorSchema& schema, const Located& collector,
                       CollectorConfig& config) {
    for_each_entry(collector, [&](const YAML::Node& key, const Located& value) {
      const std::string& name = key.Scalar();
      if (name == "enabled") {
        if (auto enabled = read_bool(value)) config.enabled = *enabled;
      } else if (name == "label_limit") {
        if (auto limit = read_integer(value, 1, kMaxLabelLimit))
          config.label_limit = static_cast<unsigned>(*limit);
      } else if (name == "filters") {
        parse_filters(schema, value, config.filters);
      } else if (name == "histogram") {
        if (schema.has_histograms) {
          config.histogram = parse_histogram(value);
        } else {
          report(key.Mark(), value.path, "collector '" + schema.name + "' has no histograms");
        }
      } else if (name == "options") {
        if (!schema.options.empty()) {
          parse_options(schema, value, config.options);
        } else {
          report(key.Mark(), value.path, "collector '" + schema.name + "' has no options");
        }
      } else if (schema.options.empty()) {
        report_unknown_key(key, value.path, kCollectorKeys);
      } else {
        std::vector<std::string_view> known(std::begin(kCollectorKeys), std::end(kCollectorKeys));
        known.push_back("options");
        report_unknown_key(key, value.path, known);
      }
    });
  }

  void parse_options(const CollectorSchema& schema, const Located& options,
                     std::map<std::string, OptionValue, std::less<>>& out) {
    for_each_entry(options, [&](const YAML::Node& key, const Located& value) {
      const auto known = std::find_if(schema.options.begin(), schema.options.end(),
                                      [&](const Option& o) { return o.name == key.Scalar(); });
      if (known == schema.options.end()) {
        std::vector<std::string_view> names;
        for (const Option& option : schema.options) names.push_back(option.name);
        report(key.Mark(), value.path,
               "collector '" + schema.name + "' has no option '" + key.Scalar() +
                   "' (options: " + join(names) + ")");
        return;
      }
      if (std::holds_alternative<bool>(known->default_value)) {
        if (auto enabled = read_bool(value)) out[known->name] = *enabled;
      } else if (auto number = read_number(value)) {
        if (!(*number >= known->min && *number <= known->max)) {  // NaN too
          report(value, "must be between " + format_number(known->min) + " and " +
                            format_number(known->max) + ", got " + value.node.Scalar());
          return;
        }
        out[known->name] = *number;
      }
    });
  }

  void parse_filters(const CollectorSchema& schema, const Located& filters,
                     std::map<std::string, LabelFilter, std::less<>>& out) {
    for_each_entry(filters, [&](const YAML::Node& key, const Located& value) {
      const std::string& label = key.Scalar();
      if (std::find(schema.labels.begin(), schema.labels.end(), label) == schema.labels.end()) {
        const std::string labels = schema.labels.empty() ? "none" : join(schema.labels);
        report(key.Mark(), value.path,
               "collector '" + schema.name + "' has no label '" + label + "' (labels: " + labels +
                   ")");
        return;
      }
      out[label] = parse_filter(value);
    });
  }

  LabelFilter parse_filter(const Located& filter) {
    std::vector<std::regex> include;
    std::vector<std::regex> exclude;
    for_each_entry(filter, [&](const YAML::Node& key, const Located& value) {
      if (key.Scalar() == "include") {
        include = parse_regex_list(value);
      } else if (key.Scalar() == "exclude") {
        exclude = parse_regex_list(value);
      } else {
        report_unknown_key(key, value.path, kFilterKeys);
      }
    });
    return LabelFilter(std::move(include), std::move(exclude));
  }

  std::vector<std::regex> parse_regex_list(const Located& list) {
    std::vector<std::regex> patterns;
    if (list.node.IsNull()) return patterns;
    if (!list.node.IsSequence()) {
      report(list, "expected a list of regular expressions, got " + describe(list.node));
      return patterns;
    }
    for (size_t index = 0; index < list.node.size(); ++index) {
      const YAML::Node element = list.node[index];
      const Located pattern{element, element.Mark(), list.path + "[" + std::to_string(index) + "]"};
      if (!element.IsScalar()) {
        report(pattern, "expected a regular expression string, got " + describe(element));
        continue;
      }
      try {
        patterns.emplace_back(element.Scalar(), std::regex::ECMAScript);
      } catch (const std::regex_error& error) {
        report(pattern, "invalid regular expression '" + element.Scalar() + "': " + error.what());
      }
    }
    return patterns;
  }

  // Reads a bucket bound in seconds and rounds it to a power of two (down for the lowest
  // bound, up for the highest, so the configured range is always covered).
  std::optional<int> read_bucket_exponent(const Located& value, bool round_up, double& seconds) {
    const std::optional<double> number = read_number(value);
    if (!number) return std::nullopt;
    if (!std::isfinite(*number) || *number <= 0) {
      report(value, "must be a finite number of seconds above 0, got " + value.node.Scalar());
      return std::nullopt;
    }
    const int exponent = round_up ? ceil_log2(*number) : floor_log2(*number);
    if (exponent < kMinHistogramExponent || exponent > kMaxHistogramExponent) {
      report(value, std::string("rounds ") + (round_up ? "up" : "down") + " to 2^" +
                        std::to_string(exponent) + " seconds, outside 2^" +
                        std::to_string(kMinHistogramExponent) + "..2^" +
                        std::to_string(kMaxHistogramExponent));
      return std::nullopt;
    }
    seconds = *number;
    return exponent;
  }

  HistogramRange parse_histogram(const Located& histogram) {
    HistogramRange range;
    double min_seconds = std::ldexp(1.0, range.min_exponent);
    double max_seconds = std::ldexp(1.0, range.max_exponent);
    std::optional<Located> min_written;
    std::optional<Located> max_written;
    bool bounds_valid = true;
    for_each_entry(histogram, [&](const YAML::Node& key, const Located& value) {
      if (key.Scalar() == "min_seconds") {
        const auto exponent = read_bucket_exponent(value, false, min_seconds);
        bounds_valid = bounds_valid && exponent;
        if (exponent) range.min_exponent = *exponent;
        min_written = value;
      } else if (key.Scalar() == "max_seconds") {
        const auto exponent = read_bucket_exponent(value, true, max_seconds);
        bounds_valid = bounds_valid && exponent;
        if (exponent) range.max_exponent = *exponent;
        max_written = value;
      } else if (key.Scalar() == "schema") {
        if (auto schema = read_integer(value, 0, kMaxHistogramSchema))
          range.schema = static_cast<int>(*schema);
      } else {
        report_unknown_key(key, value.path, kHistogramKeys);
      }
    });
    // Compared as written: a bound that was not written is the default power of two.
    if (bounds_valid && max_seconds <= min_seconds) {
      if (max_written) {
        report(*max_written, "must be above min_seconds (" +
                                 std::string(min_written ? "" : "default ") +
                                 format_seconds(min_seconds) + ")");
      } else {
        report(*min_written,
               "must be below max_seconds (default " + format_seconds(max_seconds) + ")");
      }
    }
    return range;
  }

  std::string source_;
  std::span<const CollectorSchema> schemas_;
  std::vector<ConfigError>& errors_;
};

// The whole file; throws std::system_error naming why it cannot be read.
std::string read_whole_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) throw std::system_error(errno, std::generic_category());
  std::string text;
  char buffer[4096];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, count);
  if (std::ferror(file.get())) throw std::system_error(errno, std::generic_category());
  return text;
}

}  // namespace

ParseResult parse_config(std::string_view yaml_text, std::string_view source_name,
                         std::span<const CollectorSchema> schemas) {
  ParseResult result;
  result.config.source = source_name;
  for (const CollectorSchema& schema : schemas) {
    CollectorConfig& collector = result.config.collectors[schema.name];
    collector.enabled = schema.default_enabled;
    for (const Option& option : schema.options)
      collector.options[option.name] = option.default_value;
  }

  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::ParserException& error) {
    // The parser cannot go on after a syntax error, so this is the only error reported.
    result.errors.push_back({std::string(source_name), error.mark.line + 1, error.mark.column + 1,
                             "", "YAML syntax error: " + error.msg});
    return result;
  }
  Parser parser(source_name, schemas, result.errors);
  if (documents.size() > 1) {
    parser.report(documents[1].Mark(), "",
                  "expected one YAML document, found " + std::to_string(documents.size()));
  }
  if (!documents.empty()) parser.parse_document(documents.front(), result.config);
  return result;
}

ParseResult load_config_file(const std::string& path, std::span<const CollectorSchema> schemas) {
  std::string text;
  try {
    text = read_whole_file(path);
  } catch (const std::system_error& error) {
    ParseResult result;
    result.config.source = path;
    result.errors.push_back({path, 0, 0, "", "cannot read file: " + error.code().message()});
    return result;
  }
  return parse_config(text, path, schemas);
}

ParseResult embedded_default_config(std::span<const CollectorSchema> schemas) {
  return parse_config(ke_default_config, "<embedded default>", schemas);
}

}  // namespace ke::config
