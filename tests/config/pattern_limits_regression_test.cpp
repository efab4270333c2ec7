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

TEST_CASE("regression: a pattern repeating a repetition hung the category match") {
  // Found by fuzz_config: an include of one byte followed by 60 stars took longer than the
  // fuzzer's 10 s limit to match (std::regex backtracks over every split).
  const std::string why =
      "categories[0].match[0].include: pattern repeats a part that is itself repeated (like a** "
      "or (a+)*), which can take exponential time to match; repeat it once\n";
  CHECK(issues_of(config_with_include("纸" + std::string(60, '*'))) == why);
  CHECK(issues_of(config_with_include("a**")) == why);
  CHECK(issues_of(config_with_include("(a+)*")) == why);
  CHECK(issues_of(config_with_include("x(a|b?){2,}")) == why);
  CHECK(issues_of(config_with_include("((a)*)+")) == why);
  CHECK(issues_of(config_with_include("(?:a+)*")) == why);
  // One repetition, lazy ones, escaped and class characters, repeated plain groups: fine.
  for (const char* ok : {"纸尿裤.*", "a*?b", "(尿不湿|纸尿裤)+", R"(a\\*+)", "[*+]*", "(ab)*c+",
                         "a{2,3}b?", "(a)(b)*", "(?:ab)*", "(?!柔顺).*洗衣液"}) {
    CAPTURE(ok);
    CHECK(issues_of(config_with_include(ok)) == "valid");
  }
}
