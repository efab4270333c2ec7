// Regression: std::regex compiles by recursion. An include pattern nested 20,000 groups deep, or
// 100,000 bytes long, made `replenishd --check-config` die with SIGSEGV instead of naming the
// key. Patterns are now refused past 4096 bytes or 64 levels of groups, before compiling.
#include <doctest/doctest.h>

#include <string>

#include "config/config.hpp"

namespace {

std::string config_with_include(const std::string& pattern) {
  return "categories:\n"
         "  - slug: diapers\n"
         "    match: [{category: [母婴], include: \"" +
         pattern +
         "\"}]\n"
         "channels:\n"
         "  log: {type: log}\n";
}

std::string issues_of(const std::string& yaml) {
  try {
    replenish::config::parse_config(yaml, "test.yaml");
  } catch (const replenish::config::ConfigError& e) {
    std::string out;
    for (const auto& i : e.issues()) out += i.path + ": " + i.message + "\n";
    return out;
  }
  return "valid";
}

}  // namespace

TEST_CASE("regression: a pattern nested 20,000 groups deep overflowed the stack at check-config") {
  // 40,001 bytes: refused for its length before anything else.
  int n = 20000;
  CHECK(issues_of(config_with_include(std::string(n, '(') + "a" + std::string(n, ')'))) ==
        "categories[0].match[0].include: pattern longer than 4096 bytes\n");
  // Short enough, but nested too deep.
  n = 2000;
  CHECK(issues_of(config_with_include(std::string(n, '(') + "a" + std::string(n, ')'))) ==
        "categories[0].match[0].include: pattern nests groups deeper than 64 levels\n");
  // 64 levels are fine; escaped parentheses and classes do not count.
  CHECK(issues_of(config_with_include(std::string(64, '(') + "a" + std::string(64, ')'))) ==
        "valid");
  CHECK(issues_of(config_with_include(std::string(100, '[') + "(]" + R"(\\()")) == "valid");
}

TEST_CASE("regression: a 100,000-byte pattern overflowed the stack at check-config") {
  CHECK(issues_of(config_with_include(std::string(100000, 'a'))) ==
        "categories[0].match[0].include: pattern longer than 4096 bytes\n");
  CHECK(issues_of(config_with_include(std::string(4096, 'a'))) == "valid");
}
