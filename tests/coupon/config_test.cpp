#include <doctest/doctest.h>

#include <string>

#include "config/config.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;

namespace {

const char* kBase = R"(
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
channels:
  log: {type: log}
)";

config::Issues issues_of(const std::string& yaml, const std::string& dir) {
  try {
    config::parse_config(std::string(kBase) + yaml, "test.yaml", dir);
  } catch (const config::ConfigError& e) {
    return e.issues();
  }
  return {};
}

bool has(const config::Issues& issues, const std::string& path, const std::string& text,
         int line = 0) {
  for (const auto& i : issues) {
    if (i.path == path && i.message.find(text) != std::string::npos &&
        (line == 0 || i.line == line)) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("coupon config: every key is read into typed rules") {
  testing::TempDir dir;
  dir.write("coupon.key", "0123456789abcdef-local\n");
  dir.write("service.key", "0123456789abcdef-service");
  const auto cfg = config::parse_config(std::string(kBase) + R"(
coupons:
  secret_file: coupon.key
  code_prefix: ab1
  service:
    url: https://shop.example/coupons/issue
    secret_file: service.key
    timeout_ms: 1500
  rules:
    small:
      kind: amount_off
      value: 5
      threshold: 50
      validity_days: 7
      budget_per_day: 200
      budget_total: 5000
    tenth:
      kind: percent_off
      value: 15
      scope: sku
      skus: [S1, S2]
      source: service
)",
                                        "test.yaml", dir.path().string());
  const auto& c = cfg.coupons;
  CHECK(c.secret == "0123456789abcdef-local");
  CHECK(c.code_prefix == "AB1");
  REQUIRE(c.service);
  CHECK(c.service->url == "https://shop.example/coupons/issue");
  CHECK(c.service->secret == "0123456789abcdef-service");
  CHECK(c.service->timeout_ms == 1500);
  CHECK_FALSE(c.service->allow_http);
  REQUIRE(c.rules.size() == 2);
  const auto* small = c.rule("small");
  REQUIRE(small);
  CHECK(small->kind == config::CouponRule::Kind::kAmountOff);
  CHECK(small->value == 5);
  CHECK(small->threshold == 50);
  CHECK(small->validity_days == 7);
  CHECK(small->scope == config::CouponRule::Scope::kCategory);
  CHECK(small->budget_per_day == 200);
  CHECK(small->budget_total == 5000);
  CHECK(small->source == config::CouponRule::Source::kLocal);
  const auto* tenth = c.rule("tenth");
  REQUIRE(tenth);
  CHECK(tenth->kind == config::CouponRule::Kind::kPercentOff);
  CHECK(tenth->value == 15);
  CHECK(tenth->threshold == 0);
  CHECK(tenth->validity_days == 7);
  CHECK(tenth->scope == config::CouponRule::Scope::kSku);
  CHECK(tenth->skus == std::vector<std::string>{"S1", "S2"});
  CHECK(tenth->budget_per_day == 0);
  CHECK(tenth->source == config::CouponRule::Source::kService);
  CHECK(c.rule("nope") == nullptr);
}

TEST_CASE("coupon config: no coupons section means no rules and no secret") {
  const auto cfg = config::parse_config(kBase, "test.yaml");
  CHECK(cfg.coupons.rules.empty());
  CHECK(cfg.coupons.secret.empty());
  CHECK_FALSE(cfg.coupons.service);
  CHECK(cfg.coupons.code_prefix == "RP");
}

TEST_CASE("coupon config: errors name the key path and line") {
  testing::TempDir dir;
  dir.write("short.key", "too-short\n");
  // kBase is 7 lines (the first is empty), so `coupons:` is on line 8.
  const auto issues = issues_of(R"(coupons:
  secret_file: short.key
  code_prefix: "R-P"
  service:
    url: http://shop.example/coupons
    timeout_ms: 0
  rules:
    small:
      kind: dollars_off
      value: 5
      budget_per_day: -1
    pct:
      kind: percent_off
      value: 150
      scope: sku
    cheap:
      kind: amount_off
      value: 10
      threshold: 5
      colour: red
)",
                                dir.path().string());
  CHECK(has(issues, "coupons.secret_file", "must be at least 16 bytes", 9));
  CHECK(has(issues, "coupons.code_prefix", "1-6 characters", 10));
  CHECK(has(issues, "coupons.service.url", "must be https", 12));
  CHECK(has(issues, "coupons.service.secret_file", "is required"));
  CHECK(has(issues, "coupons.service.timeout_ms", "", 13));
  CHECK(has(issues, "coupons.rules.small.kind", "must be amount_off or percent_off", 16));
  CHECK(has(issues, "coupons.rules.small.budget_per_day", "", 18));
  CHECK(has(issues, "coupons.rules.pct.value", "", 21));
  CHECK(has(issues, "coupons.rules.pct.skus", "needs at least one SKU"));
  CHECK(has(issues, "coupons.rules.cheap.threshold", "must be larger than value", 26));
  CHECK(has(issues, "coupons.rules.cheap.colour", "unknown key", 27));
}

TEST_CASE("coupon config: local rules need the code secret, service rules the service") {
  const auto issues = issues_of(R"(coupons:
  rules:
    small: {kind: amount_off, value: 5}
    remote: {kind: amount_off, value: 5, source: service}
)",
                                ".");
  CHECK(has(issues, "coupons.secret_file", "is required for rules with source local"));
  CHECK(has(issues, "coupons.rules.remote.source", "coupons.service is not configured"));
  CHECK(has(issues_of("coupons:\n  rules:\n    x: {value: 5}\n", "."), "coupons.rules.x.kind",
            "is required"));
  CHECK(has(issues_of("coupons:\n  rules:\n    x: {kind: amount_off}\n", "."),
            "coupons.rules.x.value", "is required"));
}

TEST_CASE("coupon config: a plain http service URL needs allow_http") {
  testing::TempDir dir;
  dir.write("service.key", "0123456789abcdef-service");
  const auto cfg = config::parse_config(std::string(kBase) + R"(coupons:
  service:
    url: http://127.0.0.1:9000/coupons
    secret_file: service.key
    allow_http: true
)",
                                        "test.yaml", dir.path().string());
  REQUIRE(cfg.coupons.service);
  CHECK(cfg.coupons.service->allow_http);
  CHECK(cfg.coupons.service->timeout_ms == 3000);
}
