#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "notify/templates.hpp"
#include "support.hpp"

namespace replenish::notify {
namespace {

TemplateVars detergent_vars() {
  TemplateVars v;
  v.shop_name = "小蓝鲸母婴店";
  v.user_id = "u1001";
  v.category = "detergent";
  v.category_name = "洗衣液";
  v.last_purchase_date = "11月1日";
  v.days_since_last = 26;
  v.predicted_date = "11月28日";
  v.due_date = "11月26日";
  v.kind = "replenish";
  return v;
}

config::Issues issues_of(const TemplateTexts& texts) {
  try {
    Templates templates(texts);
  } catch (const config::ConfigError& e) {
    return e.issues();
  }
  return {};
}

}  // namespace

TEST_CASE("notify: default templates render warm Chinese text exactly") {
  const auto templates = Templates::with_defaults({});
  CHECK(templates.names() ==
        std::vector<std::string>{"digest", "follow_up", "replenish", "win_back"});
  const auto vars = detergent_vars().to_json();
  CHECK(templates.render("replenish", vars) ==
        "小蓝鲸母婴店提醒您：您上次购买的洗衣液是在11月1日，按您的使用习惯，"
        "预计11月28日左右就要用完啦，记得及时补货哦～");
  CHECK(templates.render("follow_up", vars) ==
        "小蓝鲸母婴店温馨提示：距离您上次购买洗衣液已经26天了，家里的存货还够用吗？"
        "如果快用完了，现在补货正合适～");
  CHECK(templates.render("win_back", vars) ==
        "好久不见！小蓝鲸母婴店想念您啦～距离您上次购买洗衣液已经26天了，"
        "不知道最近用得怎么样？期待您再次光临～");
}

TEST_CASE("notify: default templates show the coupon only when there is one") {
  const auto templates = Templates::with_defaults({});
  auto v = detergent_vars();
  v.coupon_code = "RP-8K2Q";
  v.coupon_value = "10元";
  v.coupon_expiry = "12月5日";
  CHECK(templates.render("replenish", v.to_json()) ==
        "小蓝鲸母婴店提醒您：您上次购买的洗衣液是在11月1日，按您的使用习惯，"
        "预计11月28日左右就要用完啦，记得及时补货哦～"
        "送您一张10元补货券（券码 RP-8K2Q，12月5日前有效）。");
  CHECK(templates.render("win_back", v.to_json()) ==
        "好久不见！小蓝鲸母婴店想念您啦～距离您上次购买洗衣液已经26天了，不知道最近用得怎么样？"
        "特意为您准备了一张10元优惠券（券码 RP-8K2Q，12月5日前有效），期待您再次光临～");
}

TEST_CASE("notify: configured templates replace defaults and may add names") {
  const auto templates = Templates::with_defaults(
      {{"replenish", "{{category_name}}快用完啦"}, {"test", "测试：{{shop_name}}"}});
  const auto vars = detergent_vars().to_json();
  CHECK(templates.render("replenish", vars) == "洗衣液快用完啦");
  CHECK(templates.render("test", vars) == "测试：小蓝鲸母婴店");
  CHECK(templates.has("follow_up"));
  CHECK(templates.variables("test") == std::set<std::string>{"shop_name"});
}

TEST_CASE("notify: an unknown template variable is a start-up error naming it") {
  const auto issues = issues_of({{"x", "{{shop_name}}：您的{{product}}快用完了"},
                                 {"y", "{{#coupon}}{{^expired}}{{code}}{{/expired}}{{/coupon}}"},
                                 {"ok", "{{shop_name}}"}});
  CHECK(test::has_issue(issues, "templates.x", "unknown variable 'product'"));
  CHECK(test::has_issue(issues, "templates.x", "known: shop_name, user_id"));
  // Names inside sections and inverted sections are found too.
  CHECK(test::has_issue(issues, "templates.y", "unknown variable 'coupon'"));
  CHECK(test::has_issue(issues, "templates.y", "unknown variable 'expired'"));
  CHECK(test::has_issue(issues, "templates.y", "unknown variable 'code'"));
  CHECK(issues.size() == 4);
  try {
    Templates templates(TemplateTexts{{"x", "{{productname}}"}});
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    const std::string what = e.what();
    CHECK(what.find("templates.x") != std::string::npos);
    CHECK(what.find("productname") != std::string::npos);
  }
}

TEST_CASE("notify: template syntax errors, partials and empty text are start-up errors") {
  const auto issues = issues_of({{"open", "{{#coupon_code}}券码{{coupon_code}}"},
                                 {"unclosed", "您好{{shop_name"},
                                 {"partial", "{{> footer}}"},
                                 {"empty", ""},
                                 {"binary", "\xFF\xFE"}});
  CHECK(test::has_issue(issues, "templates.open", "Mustache syntax error: "));
  CHECK(test::has_issue(issues, "templates.unclosed", "Mustache syntax error: "));
  CHECK(test::has_issue(issues, "templates.partial", "partials"));
  CHECK(test::has_issue(issues, "templates.empty", "must not be empty"));
  CHECK(test::has_issue(issues, "templates.binary", "not valid UTF-8"));
  CHECK(issues.size() == 5);
}

TEST_CASE("notify: templates do not HTML-escape plain-text messages") {
  const Templates templates(TemplateTexts{{"t", "{{shop_name}} & {{{category_name}}}"}});
  CHECK(templates.render("t", {{"shop_name", "A&B <店> \"好\" 'x'"}, {"category_name", "<b>"}}) ==
        "A&B <店> \"好\" 'x' & <b>");
}

TEST_CASE("notify: template values: numbers, empty values in sections, missing values") {
  const Templates templates(
      TemplateTexts{{"t",
                     "{{days_since_last}}天{{#coupon_code}}，券{{coupon_code}}{{/coupon_code}}"
                     "{{^coupon_code}}，无券{{/coupon_code}}"}});
  CHECK(templates.render("t", {{"days_since_last", 0}, {"coupon_code", ""}}) == "0天，无券");
  CHECK(templates.render("t", {{"days_since_last", 12}, {"coupon_code", nullptr}}) == "12天，无券");
  CHECK(templates.render("t", {{"days_since_last", 3}, {"coupon_code", "Q1"}}) == "3天，券Q1");
  // A variable the template uses without a value is a bug in the caller, never a blank.
  CHECK_THROWS_AS(templates.render("t", {{"days_since_last", 3}}), std::invalid_argument);
  CHECK_THROWS_AS(templates.render("t", {{"days_since_last", 3}, {"coupon_code", {1, 2}}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(templates.render("t", nlohmann::json::array()), std::invalid_argument);
  CHECK_THROWS_AS(templates.render("nope", nlohmann::json::object()), std::out_of_range);
  CHECK_THROWS_AS(templates.variables("nope"), std::out_of_range);
}

TEST_CASE("notify: TemplateVars gives exactly the known variables") {
  const auto json = TemplateVars{}.to_json();
  std::set<std::string> keys;
  for (const auto& item : json.items()) keys.insert(item.key());
  const auto& known = template_variables();
  CHECK(keys == std::set<std::string>(known.begin(), known.end()));
  CHECK(known.size() == 12);
}

TEST_CASE("notify: templates render from several threads at once") {
  const auto templates = Templates::with_defaults({});
  const auto vars = detergent_vars().to_json();
  const std::string expected = templates.render("replenish", vars);
  std::atomic<int> same{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (templates.render("replenish", vars) == expected) ++same;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(same == 800);
}

}  // namespace replenish::notify
