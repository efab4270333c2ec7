// Regression: a YAML key that is itself a mapping or a list ("{{shop_name}}" parses as a flow
// mapping whose only key is the mapping {shop_name}) escaped as yaml-cpp's bad-conversion
// exception instead of a configuration error, and `replenishd --check-config` aborted. Found by
// fuzz_config. Such keys are now reported with their place like any other bad key.
#include <doctest/doctest.h>

#include <string>

#include "config/config.hpp"

namespace {

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

const std::string kValidRest =
    "categories:\n"
    "  - slug: diapers\n"
    "    match: [{category: [母婴]}]\n";

}  // namespace

TEST_CASE("regression: a mapping as the top-level key is a config error, not an abort") {
  const auto issues = issues_of("{{shop_name}}");
  CHECK(issues.find("(top level)") == std::string::npos);  // paths, not the rendered form
  CHECK(issues.find("a key must be a plain name, not a list or a mapping") != std::string::npos);
}

TEST_CASE("regression: a list as a channel name or as a key inside a section is reported") {
  const auto in_channels =
      issues_of(kValidRest + "channels:\n  [a, b]: {type: log}\n  log: {type: log}\n");
  CHECK(in_channels.find("channels: a key must be a plain name, not a list or a mapping") !=
        std::string::npos);

  const auto in_section =
      issues_of(kValidRest + "channels:\n  log: {type: log}\nserver: {{x: 1}: 2}\n");
  CHECK(in_section.find("server: a key must be a plain name, not a list or a mapping") !=
        std::string::npos);
}
