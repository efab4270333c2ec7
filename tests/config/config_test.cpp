#include <doctest/doctest.h>

#include <algorithm>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

using namespace replenish::config;

namespace {

const char* kMinimal = R"(
categories:
  - slug: diapers
    name: 纸尿裤
    match:
      - category: [母婴]
        include: 纸尿裤
channels:
  log: {type: log}
)";

Issues issues_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.issues();
  }
  return {};
}

bool has_issue(const Issues& issues, const std::string& path, const std::string& message) {
  return std::any_of(issues.begin(), issues.end(),
                     [&](const Issue& i) { return i.path == path && i.message == message; });
}

}  // namespace

TEST_CASE("config: a minimal file gets the documented defaults") {
  const auto cfg = parse_config(kMinimal, "test.yaml", "/etc/replenish");
  CHECK(cfg.server.host == "127.0.0.1");
  CHECK(cfg.server.port == 8470);
  CHECK(cfg.store.path == "/var/lib/replenish/replenish.db");
  CHECK(cfg.merchant.timezone == "Asia/Shanghai");
  CHECK(cfg.plan.send_hour == 10);
  CHECK(cfg.dispatch.max_attempts == 6);
  REQUIRE(cfg.categories.size() == 1);
  CHECK(cfg.categories[0].slug == "diapers");
  CHECK(cfg.categories[0].default_cycle_days == 30);
  CHECK(cfg.categories[0].lead_days == 2);
  CHECK(cfg.categories[0].match[0].include == "纸尿裤");
  CHECK(cfg.default_channels == std::vector<std::string>{"log"});
}

TEST_CASE("config: errors name the key path, the reason and the line") {
  const auto issues = issues_of(R"(
server:
  listen: "localhost"
  tokens:
    - name: shop
      token: short
      scopes: [ingest, write]
dispatch:
  batch: 0
  retries: 3
clock:
  mode: simulated
categories:
  - slug: Bad-Slug
    lead_days: seven
    match:
      - include: "([unclosed"
channels:
  log: {type: log}
default_channels: [sms]
)");
  CHECK(has_issue(issues, "server.listen", "expected HOST:PORT, e.g. 127.0.0.1:8470"));
  CHECK(has_issue(issues, "server.tokens[0].token", "must be at least 16 characters"));
  CHECK(
      has_issue(issues, "server.tokens[0].scopes", "unknown scope 'write' (ingest, read, admin)"));
  CHECK(has_issue(issues, "dispatch.batch", "must be between 1 and 10000, got 0"));
  CHECK(has_issue(issues, "dispatch.retries", "unknown key"));
  CHECK(has_issue(issues, "clock.start", "is required when mode is 'simulated'"));
  CHECK(has_issue(issues, "categories[0].slug", "use 1-64 characters a-z, 0-9 and _"));
  CHECK(has_issue(issues, "categories[0].lead_days", "expected an integer, got 'seven'"));
  CHECK(has_issue(issues, "default_channels", "unknown channel 'sms'"));
  const auto re = std::find_if(issues.begin(), issues.end(), [](const Issue& i) {
    return i.path == "categories[0].match[0].include";
  });
  REQUIRE(re != issues.end());
  CHECK(re->message.rfind("invalid regular expression", 0) == 0);
  const auto unknown = std::find_if(issues.begin(), issues.end(),
                                    [](const Issue& i) { return i.path == "dispatch.retries"; });
  CHECK(unknown->line == 10);
  CHECK(unknown->to_string() == "dispatch.retries (line 10, column 3): unknown key");
}

TEST_CASE("config: broken YAML and empty files are reported, not crashed on") {
  auto issues = issues_of("server: [unclosed\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message.rfind("YAML syntax error", 0) == 0);
  issues = issues_of("");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message == "the file is empty");
  issues = issues_of("- just\n- a list\n");
  CHECK(has_issue(issues, "", "expected a mapping"));
}

TEST_CASE("config: token files are read relative to the config file and trimmed") {
  replenish::testing::TempDir dir;
  dir.write("shop.token", "0123456789abcdef0123\n");
  const std::string yaml = std::string(kMinimal) + R"(
server:
  tokens:
    - {name: shop, token_file: shop.token, scopes: [ingest]}
store:
  path: state/replenish.db
)";
  const auto path = dir.write("replenishd.yaml", yaml);
  const auto cfg = load_config(path);
  REQUIRE(cfg.server.tokens.size() == 1);
  CHECK(cfg.server.tokens[0].token == "0123456789abcdef0123");
  CHECK(cfg.store.path == dir.file("state/replenish.db"));
}

TEST_CASE("config: the shipped replenishd.yaml is valid but for its secret files") {
  // The production file points at secrets installed on the server; here only those may fail.
  Issues issues;
  try {
    load_config(std::string(REPLENISH_SOURCE_DIR) + "/config/replenishd.yaml");
  } catch (const ConfigError& e) {
    issues = e.issues();
  }
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].path == "server.tokens[0].token_file");
  CHECK(issues[0].message == "cannot read '/etc/replenish/shop.token'");
  CHECK(issues[1].path == "server.tokens[1].token_file");
  CHECK(issues[2].path == "coupons.secret_file");
  CHECK(issues[2].message == "cannot read '/etc/replenish/coupon.key'");
}

TEST_CASE("config: the demo config loads") {
  const auto cfg = load_config(std::string(REPLENISH_SOURCE_DIR) + "/config/demo.yaml");
  CHECK(cfg.clock.mode == "simulated");
  CHECK(cfg.categories.size() == 5);
}
