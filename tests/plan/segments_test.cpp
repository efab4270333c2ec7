// Segments, the high-value threshold, the control group and the choice of a campaign rule.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <set>

#include "config/config.hpp"
#include "plan/segments.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;

namespace {

constexpr core::EpochSeconds kNow = 1709222400;  // 2024-03-01T00:00:00+08:00

plan::SegmentInput input(int purchases, core::EpochSeconds hi, bool lapsed = false) {
  plan::SegmentInput in;
  in.purchases = purchases;
  in.hi = hi;
  in.lapsed = lapsed;
  in.now = kNow;
  return in;
}

}  // namespace

TEST_CASE("segments: lifecycle by purchases, interval and lapse") {
  const config::SegmentsConfig cfg;  // loyal from 3 purchases
  const core::EpochSeconds later = kNow + 86400;
  CHECK(plan::segments_of(input(1, later), cfg).lifecycle == "new");
  CHECK(plan::segments_of(input(2, later), cfg).lifecycle == "regular");
  CHECK(plan::segments_of(input(3, later), cfg).lifecycle == "loyal");
  CHECK(plan::segments_of(input(12, later), cfg).lifecycle == "loyal");
  // Past the upper bound of the interval, not lapsed: at risk, whatever the history.
  CHECK(plan::segments_of(input(1, kNow - 1), cfg).lifecycle == "at_risk");
  CHECK(plan::segments_of(input(7, kNow - 1), cfg).lifecycle == "at_risk");
  CHECK(plan::segments_of(input(7, kNow - 1, true), cfg).lifecycle == "lapsed");
  config::SegmentsConfig five;
  five.loyal_min_purchases = 5;
  CHECK(plan::segments_of(input(4, later), five).lifecycle == "regular");
  CHECK(plan::segments_of(input(5, later), five).lifecycle == "loyal");
}

TEST_CASE("segments: high value is the top spend quantile, from the stored threshold") {
  // 20 users spending 10, 20, ..., 200: the top 10 % are the two spending 190 and 200.
  std::vector<double> spends;
  for (int i = 1; i <= 20; ++i) spends.push_back(10.0 * i);
  spends.push_back(0);  // a user without priced lines does not count
  CHECK(plan::high_value_threshold(spends, 0.9) == doctest::Approx(190));
  CHECK(plan::high_value_threshold(spends, 0.75) == doctest::Approx(160));  // top 5
  // 15 users: ceil(1.5) = the top 2.
  spends.resize(15);
  CHECK(plan::high_value_threshold(spends, 0.9) == doctest::Approx(140));
  CHECK_FALSE(plan::high_value_threshold({}, 0.9).has_value());
  CHECK_FALSE(plan::high_value_threshold({0, 0}, 0.9).has_value());

  auto in = input(3, kNow + 86400);
  in.spend = 189.5;
  CHECK_FALSE(plan::segments_of(in, {}).high_value);  // no threshold stored yet
  in.high_value_spend = 190;
  CHECK_FALSE(plan::segments_of(in, {}).high_value);
  in.spend = 190;
  const auto s = plan::segments_of(in, {});
  CHECK(s.high_value);
  CHECK(s.to_string() == "loyal+high_value");
  CHECK(s.has("loyal"));
  CHECK(s.has("high_value"));
  CHECK(s.has("default"));
  CHECK_FALSE(s.has("new"));
}

TEST_CASE("holdout: 5 % of 100,000 users within one point, stable, independent of other salts") {
  std::set<int> held;
  for (int i = 0; i < 100000; ++i) {
    if (plan::in_holdout("spring-2024", fmt::format("user{:06}", i), 0.05)) held.insert(i);
  }
  const double share = static_cast<double>(held.size()) / 100000.0;
  CHECK(share >= 0.04);
  CHECK(share <= 0.06);
  // Stable: the same users again (a restarted daemon computes the same function).
  int again = 0;
  for (int i = 0; i < 100000; ++i) {
    const bool h = plan::in_holdout("spring-2024", fmt::format("user{:06}", i), 0.05);
    CHECK_MESSAGE(h == (held.count(i) > 0), "user", i);
    again += h ? 1 : 0;
  }
  CHECK(again == static_cast<int>(held.size()));
  // Another salt draws another group of the same size; the two overlap by chance only
  // (expected 100,000 x 0.05 x 0.05 = 250).
  int other = 0, both = 0;
  for (int i = 0; i < 100000; ++i) {
    if (plan::in_holdout("autumn-2024", fmt::format("user{:06}", i), 0.05)) {
      ++other;
      both += held.count(i) > 0 ? 1 : 0;
    }
  }
  CHECK(other >= 4000);
  CHECK(other <= 6000);
  CHECK(both >= 150);
  CHECK(both <= 350);
  // Nested: a larger share keeps everyone the smaller one held out.
  for (const int i : held) {
    CHECK(plan::in_holdout("spring-2024", fmt::format("user{:06}", i), 0.20));
  }
  CHECK_FALSE(plan::in_holdout("spring-2024", "user000001", 0));
}

TEST_CASE("holdout: 20 % of 100,000 users within one point") {
  int held = 0;
  for (int i = 0; i < 100000; ++i) {
    held += plan::in_holdout("s", std::to_string(i), 0.2) ? 1 : 0;
  }
  CHECK(held >= 19000);
  CHECK(held <= 21000);
}

TEST_CASE("campaigns: rules are read, checked, and the first matching segment wins") {
  testing::TempDir dir;
  dir.write("coupon.key", "segments-test-coupon-key-0123");
  const auto cfg = config::parse_config(R"(
categories:
  - slug: diapers
    match: [{category: [母婴]}]
  - slug: detergent
    match: [{category: [洗衣]}]
channels:
  hook: {type: log}
  other: {type: log}
campaigns:
  - name: baby
    categories: [diapers]
    channels: [other, hook]
    rules:
      - {segment: new, template: restock_new, coupon: small}
      - {segment: high_value, template: vip}
      - {segment: loyal, template: restock_loyal}
      - {segment: default, template: replenish, coupon: small, fallback_template: plain}
    follow_up: {template: follow_up, coupon: better}
    win_back: {enabled: false}
  - name: home
    rules:
      - {segment: default, template: replenish}
coupons:
  secret_file: coupon.key
  rules:
    small: {kind: amount_off, value: 5}
    better: {kind: amount_off, value: 10}
)",
                                        "t.yaml", dir.path().string());
  REQUIRE(cfg.campaigns.size() == 2);
  const auto& baby = cfg.campaigns[0];
  CHECK(baby.channels == std::vector<std::string>{"other", "hook"});
  CHECK(baby.rules.size() == 4);
  CHECK(baby.rules[3].fallback_template == "plain");
  CHECK(baby.follow_up.enabled);
  CHECK(baby.follow_up.rule.coupon == "better");
  CHECK_FALSE(baby.win_back.enabled);
  CHECK_FALSE(cfg.campaigns[1].follow_up.enabled);
  CHECK(plan::campaign_for(cfg, "diapers") == &baby);
  CHECK(plan::campaign_for(cfg, "detergent") == &cfg.campaigns[1]);

  plan::Segments s;
  s.lifecycle = "new";
  s.high_value = true;
  auto c = plan::choose_rule(baby, s);
  CHECK(c.rule->template_name == "restock_new");
  CHECK(c.segment == "new");
  s.lifecycle = "loyal";
  c = plan::choose_rule(baby, s);
  CHECK(c.rule->template_name == "vip");
  CHECK(c.segment == "high_value");
  s.high_value = false;
  CHECK(plan::choose_rule(baby, s).rule->template_name == "restock_loyal");
  s.lifecycle = "at_risk";
  c = plan::choose_rule(baby, s);
  CHECK(c.rule->template_name == "replenish");
  CHECK(c.segment == "at_risk");  // a default rule records the lifecycle segment
}

TEST_CASE("campaigns: mistakes are errors that name the key") {
  const auto issues = [](const std::string& campaigns) {
    try {
      config::parse_config(R"(
categories:
  - slug: diapers
    match: [{category: [母婴]}]
channels:
  hook: {type: log}
)" + campaigns,
                           "t.yaml");
    } catch (const config::ConfigError& e) {
      return e.issues();
    }
    return config::Issues{};
  };
  auto i = issues(R"(
campaigns:
  - name: a
    categories: [nappies]
    channels: [sms]
    rules:
      - {segment: vip, template: x, coupon: huge}
)");
  REQUIRE(i.size() == 5);
  CHECK(i[0].path == "campaigns[0].categories");
  CHECK(i[0].message == "unknown category 'nappies'");
  CHECK(i[1].path == "campaigns[0].channels");
  CHECK(i[1].message == "unknown channel 'sms'");
  CHECK(i[2].path == "campaigns[0].rules[0].segment");
  CHECK(i[2].message ==
        "unknown segment 'vip' (new, regular, loyal, at_risk, lapsed, high_value, default)");
  CHECK(i[2].line == 13);
  CHECK(i[3].path == "campaigns[0].rules[0].coupon");
  CHECK(i[3].message == "unknown coupon rule 'huge' (coupons.rules: none)");
  CHECK(i[4].path == "campaigns[0].rules");
  CHECK(i[4].message == "needs a rule for segment 'default' (it catches every other user)");

  i = issues(R"(
campaigns:
  - name: a
    rules:
      - {segment: default, template: x}
      - {segment: new, template: y}
  - name: a
    categories: [diapers]
    rules: [{segment: default, template: x, fallback_template: z}]
)");
  REQUIRE(i.size() == 4);
  CHECK(i[0].path == "campaigns[0].rules[1]");
  CHECK(i[1].path == "campaigns[1].name");
  CHECK(i[1].message == "duplicate campaign 'a'");
  CHECK(i[2].path == "campaigns[1].rules[0].fallback_template");
  CHECK(i[3].path == "campaigns[1].categories");
  CHECK(i[3].message ==
        "category 'diapers' already belongs to an earlier campaign; a category has one campaign");
}
