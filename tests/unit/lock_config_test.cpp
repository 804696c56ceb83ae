// The lock collector's configuration through the real registry: named_locks is an option, off
// by default, and every label the collector can show is filterable.
#include <gtest/gtest.h>

#include "collectors/collector.hpp"
#include "config/config.hpp"

namespace ke::config {
namespace {

ParseResult parse(std::string_view yaml) {
  return parse_config(yaml, "test.yaml", collectors::schemas());
}

TEST(LockConfig, NamedLocksIsOffByDefault) {
  const std::vector<CollectorSchema> schemas = collectors::schemas();
  ParseResult embedded = embedded_default_config(schemas);
  ASSERT_TRUE(embedded.ok());
  EXPECT_FALSE(embedded.config.collectors.at("lock").flag("named_locks"));
  EXPECT_FALSE(parse("").config.collectors.at("lock").flag("named_locks"));
}

TEST(LockConfig, NamedLocksCanBeTurnedOn) {
  ParseResult result = parse("collectors:\n  lock:\n    options:\n      named_locks: true\n");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.config.collectors.at("lock").flag("named_locks"));
}

TEST(LockConfig, LabelsAreFilterable) {
  ParseResult result = parse(R"(
collectors:
  lock:
    filters:
      lock_type: {include: ["mutex.*"]}
      caller: {exclude: ["rcu_.*"]}
      lock: {include: ["tty_mutex"]}
)");
  ASSERT_TRUE(result.ok());
  const CollectorConfig& lock = result.config.collectors.at("lock");
  EXPECT_TRUE(lock.admits("lock_type", "mutex-spin"));
  EXPECT_FALSE(lock.admits("lock_type", "spinlock"));
  EXPECT_FALSE(lock.admits("caller", "rcu_core"));
  EXPECT_TRUE(lock.admits("lock", "tty_mutex"));
}

TEST(LockConfig, OptionErrorsNameTheOption) {
  ParseResult result = parse("collectors:\n  lock:\n    options:\n      named_lock: true\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].str(),
            "test.yaml:4:7: key 'collectors.lock.options.named_lock': collector 'lock' has no "
            "option 'named_lock' (options: named_locks)");
}

}  // namespace
}  // namespace ke::config
