#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "core/clock.hpp"
#include "notify/channels/wechat_subscribe.hpp"
#include "notify/consent.hpp"
#include "notify/templates.hpp"
#include "support.hpp"
#include "wechat_mock.hpp"

namespace replenish::notify {
namespace {

using std::chrono::milliseconds;
using Answer = test::WechatMock::Answer;

constexpr const char* kSecret = "fedcba9876543210fedcba9876543210";
constexpr const char* kOpenid = "oMini8uMuAJO_M2pxb1Q9zNjWeS6o";
constexpr const char* kTemplate = "SUB-restock-1";
constexpr core::EpochSeconds kNow = 1700000000;

Message sample_message() {
  TemplateVars vars;
  vars.shop_name = "本店";
  vars.user_id = "u1001";
  vars.category = "detergent";
  vars.category_name = "洗衣液";
  vars.last_purchase_date = "11月1日";
  vars.days_since_last = 27;
  vars.predicted_date = "11月28日";
  vars.due_date = "11月26日";
  vars.kind = "replenish";
  vars.coupon_code = "RB10";
  vars.coupon_value = "10元";
  vars.coupon_expiry = "12月31日";
  Message m;
  m.reminder_id = 42;
  m.key = "rem-42-a1";
  m.user_id = "u1001";
  m.openid = kOpenid;
  m.category = "detergent";
  m.kind = "replenish";
  m.vars = vars.to_json();
  return m;
}

const std::string kFields =
    "fields:\n"
    "  thing1: \"{{category_name}}即将用完\"\n"
    "  date2: \"{{predicted_date}}\"\n"
    "  number3:\n"
    "    type: number\n"
    "    text: \"{{days_since_last}}\"\n"
    "  thing4: \"点击查看补货提醒\"\n";

std::string subscribe_yaml(const std::string& base_url, const std::string& extra = "",
                           const std::string& fields = kFields) {
  return std::string("type: wechat_subscribe\nappid: wxmini0001\nsecret: ") + kSecret +
         "\nbase_url: " + base_url + "\ntemplate_id: " + kTemplate + "\n" + extra + fields;
}

/// A subscribe channel against a mock, with a ledger and a fixed clock.
struct Fixture {
  test::LogCapture logs;
  test::WechatMock mock;
  InMemoryConsentLedger ledger;
  core::SimulatedClock clock{kNow, 0};

  ChannelContext context() { return ChannelContext{&clock, ".", &ledger}; }
  std::shared_ptr<Channel> channel(const std::string& extra = "",
                                   const std::string& fields = kFields) {
    return test::build_one("mini", subscribe_yaml(mock.url(), extra, fields), context());
  }
  int credits() const { return ledger.credits("u1001", kTemplate); }
};

}  // namespace

TEST_CASE("notify: wechat_subscribe spends one consent credit per delivered message") {
  Fixture f;
  f.ledger.grant("u1001", kTemplate, 2);
  const auto channel = f.channel("page: \"pages/coupon/index?code={{coupon_code}}\"\n");
  const auto outcome = channel->send(sample_message());
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK(outcome.provider_id == "1000");
  CHECK(f.credits() == 1);

  const auto sends = f.mock.sends();
  REQUIRE(sends.size() == 1);
  CHECK(sends[0].path == "/cgi-bin/message/subscribe/send");
  CHECK(sends[0].param("access_token") == "TOKEN-1");
  CHECK(sends[0].body ==
        R"({"touser":"oMini8uMuAJO_M2pxb1Q9zNjWeS6o","template_id":"SUB-restock-1",)"
        R"("page":"pages/coupon/index?code=RB10","miniprogram_state":"formal","lang":"zh_CN",)"
        R"("data":{"thing1":{"value":"洗衣液即将用完"},"date2":{"value":"11月28日"},)"
        R"("number3":{"value":"27"},"thing4":{"value":"点击查看补货提醒"}}})");

  const std::string log = f.logs.text();
  CHECK(log.find("info event=message_sent channel=mini reminder=rem-42-a1 openid=h:") !=
        std::string::npos);
  CHECK(log.find("consent=spent") != std::string::npos);
  CHECK(log.find(kOpenid) == std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find("TOKEN-1") == std::string::npos);

  // miniprogram_state and lang are passed as configured.
  const auto trial = f.channel("miniprogram_state: trial\nlang: en_US\n");
  CHECK(trial->send(sample_message()).kind == Outcome::Kind::kDelivered);
  CHECK(f.credits() == 0);
  const auto json = nlohmann::json::parse(f.mock.sends().at(1).body);
  CHECK(json["miniprogram_state"] == "trial");
  CHECK(json["lang"] == "en_US");
  CHECK_FALSE(json.contains("page"));
}

TEST_CASE("notify: wechat_subscribe without a credit is skipped and sends nothing") {
  Fixture f;
  f.ledger.grant("u1001", "another-template", 3);
  const auto outcome = f.channel()->send(sample_message());
  CHECK(outcome.kind == Outcome::Kind::kSkipped);
  CHECK(outcome.detail == "no consent for template SUB-restock-1");
  CHECK(f.mock.sends().empty());
  CHECK(f.ledger.credits("u1001", "another-template") == 3);
  CHECK(f.logs.text().find("info event=message_skipped channel=mini reminder=rem-42-a1 "
                           "reason=no_consent") != std::string::npos);

  // No openid: skipped before any credit is looked at.
  f.ledger.grant("u1001", kTemplate, 1);
  auto m = sample_message();
  m.openid.clear();
  m.openids = {{"wxshop0001", "oOfficialAccount"}};  // another appid's openid does not count
  const auto no_openid = f.channel()->send(m);
  CHECK(no_openid.kind == Outcome::Kind::kSkipped);
  CHECK(no_openid.detail == "no openid");
  CHECK(f.credits() == 1);
  m.openids["wxmini0001"] = "oMiniOwn";
  CHECK(f.channel()->send(m).kind == Outcome::Kind::kDelivered);
  CHECK(nlohmann::json::parse(f.mock.sends().at(0).body)["touser"] == "oMiniOwn");
}

TEST_CASE("notify: wechat_subscribe refunds the credit unless the message reached the user") {
  Fixture f;
  f.ledger.grant("u1001", kTemplate, 1);
  const auto send_answer = [&](Answer answer, const std::string& extra = "") {
    f.mock.queue(std::move(answer));
    return f.channel(extra)->send(sample_message());
  };
  SUBCASE("45009: retryable, refunded") {
    const auto o = send_answer(test::WechatMock::errcode(45009, "reach max api daily quota"));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == 3600);
    CHECK(f.credits() == 1);
    CHECK(f.logs.text().find("outcome=retryable errcode=45009 sends=1") != std::string::npos);
    CHECK(f.logs.text().find("consent=refunded") != std::string::npos);
  }
  SUBCASE("a timeout: retryable, refunded") {
    const auto o = send_answer(Answer{200, nullptr, milliseconds(700)}, "timeout_ms: 150\n");
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(f.credits() == 1);
  }
  SUBCASE("HTTP 502: retryable, refunded") {
    const auto o = send_answer(Answer{502, "bad gateway", milliseconds(0)});
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(f.credits() == 1);
  }
  SUBCASE("a token rejected twice: retryable, refunded") {
    f.mock.reject_token("TOKEN-1", 40014);
    f.mock.reject_token("TOKEN-2", 40014);
    const auto o = f.channel()->send(sample_message());
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(f.mock.sends().size() == 2);
    CHECK(f.credits() == 1);
  }
  SUBCASE("an expired token: refreshed once, delivered, spent") {
    f.mock.reject_token("TOKEN-1", 42001);
    const auto o = f.channel()->send(sample_message());
    CHECK(o.kind == Outcome::Kind::kDelivered);
    CHECK(f.mock.token_requests().size() == 2);
    CHECK(f.mock.sends().size() == 2);
    CHECK(f.credits() == 0);
  }
  SUBCASE("47003: permanent with the field WeChat names, refunded") {
    const auto o = send_answer(
        test::WechatMock::errcode(47003, "argument invalid! hint: [x] data.date2.value invalid"));
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 47003: argument invalid! hint: [x] data.date2.value invalid");
    CHECK(f.credits() == 1);
  }
  SUBCASE("40003, 40037, 41030: permanent, refunded") {
    auto o = send_answer(test::WechatMock::errcode(40003, "invalid openid"));
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 40003: invalid openid");
    o = send_answer(test::WechatMock::errcode(40037, "invalid template id"));
    CHECK(o.detail == "errcode 40037: invalid template id");
    o = send_answer(test::WechatMock::errcode(41030, "invalid page"),
                    "page: pages/missing/index\n");
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 41030: invalid page");
    CHECK(f.credits() == 1);
  }
  SUBCASE("43101: permanent, and the credit stays spent") {
    const auto o = send_answer(test::WechatMock::errcode(43101, "user refuse to accept the msg"));
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 43101: user refuse to accept the msg");
    CHECK(f.credits() == 0);
    CHECK(f.logs.text().find("consent=spent") != std::string::npos);
  }
  SUBCASE("no token to be had: retryable, refunded") {
    f.mock.set_token_error({{"errcode", 40164}, {"errmsg", "invalid ip, not in whitelist"}});
    const auto o = f.channel()->send(sample_message());
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == "access token: errcode 40164: invalid ip, not in whitelist");
    CHECK(f.mock.sends().empty());
    CHECK(f.credits() == 1);
  }
}

TEST_CASE("notify: wechat_subscribe refuses a value that breaks its rule, before any consent") {
  Fixture f;
  f.ledger.grant("u1001", kTemplate, 1);
  const auto channel = f.channel("", kFields + "  phrase5: \"{{kind}}\"\n");
  auto m = sample_message();
  m.vars["kind"] = "replenish";
  auto o = channel->send(m);
  CHECK(o.kind == Outcome::Kind::kPermanent);
  CHECK(o.detail == "field phrase5: 'r' is not allowed in a phrase (Chinese characters only)");
  CHECK(f.credits() == 1);
  CHECK(f.mock.sends().empty());

  m.vars["kind"] = "补货";
  m.vars["predicted_date"] = "下周三";
  o = channel->send(m);
  CHECK(o.kind == Outcome::Kind::kPermanent);
  CHECK(o.detail ==
        "field date2: '下周三' is not a date (e.g. 2024年3月5日, 2024-03-05, 3月5日, "
        "2024-03-05 10:00)");

  m.vars["predicted_date"] = "11月28日";
  m.vars["category_name"] = "超浓缩洁净护色洗衣液家庭装三公斤大瓶";  // thing: cut to 20
  o = channel->send(m);
  CHECK(o.kind == Outcome::Kind::kDelivered);
  CHECK(nlohmann::json::parse(f.mock.sends().at(0).body)["data"]["thing1"]["value"] ==
        "超浓缩洁净护色洗衣液家庭装三公斤大瓶即…");
  CHECK(f.credits() == 0);

  m.vars.erase("kind");
  o = channel->send(m);
  CHECK(o.kind == Outcome::Kind::kPermanent);
  CHECK(o.detail == "cannot render fields.phrase5: variable 'kind' has no value");
}

TEST_CASE("notify: wechat_subscribe field types come from WeChat's field names") {
  CHECK(field_type_of_name("thing1") == FieldType::kThing);
  CHECK(field_type_of_name("thing") == FieldType::kThing);
  CHECK(field_type_of_name("character_string12") == FieldType::kCharacterString);
  CHECK(field_type_of_name("number01") == FieldType::kNumber);
  CHECK(field_type_of_name("letter2") == FieldType::kLetter);
  CHECK(field_type_of_name("symbol3") == FieldType::kSymbol);
  CHECK(field_type_of_name("phrase4") == FieldType::kPhrase);
  CHECK(field_type_of_name("name5") == FieldType::kName);
  CHECK(field_type_of_name("amount6") == FieldType::kAmount);
  CHECK(field_type_of_name("time7") == FieldType::kTime);
  CHECK(field_type_of_name("date8") == FieldType::kDate);
  CHECK(field_type_of_name("phone_number9") == FieldType::kPhoneNumber);
  CHECK(field_type_of_name("car_number10") == FieldType::kCarNumber);
  CHECK(field_type_of_name("keyword1") == std::nullopt);
  CHECK(field_type_of_name("first") == std::nullopt);
  CHECK(field_type_of_name("12") == std::nullopt);
  CHECK(parse_field_type("character_string") == FieldType::kCharacterString);
  CHECK(parse_field_type("string") == std::nullopt);
  CHECK(std::string(to_string(FieldType::kPhoneNumber)) == "phone_number");
}

TEST_CASE("notify: wechat_subscribe field rules per type") {
  const auto ok = [](FieldType type, const std::string& value) {
    const auto check = conform_field_value(type, value);
    CAPTURE(value);
    CAPTURE(check.error);
    return check.ok() && check.value == value;
  };
  const auto error = [](FieldType type, const std::string& value) {
    return conform_field_value(type, value).error;
  };
  using T = FieldType;

  SUBCASE("every type: cleaned, trimmed, not empty") {
    CHECK(conform_field_value(T::kThing, " 洗衣液\n即将\t用完\r\n ").value == "洗衣液即将 用完");
    CHECK(error(T::kThing, "") == "is empty");
    CHECK(error(T::kNumber, " \n ") == "is empty");
    CHECK(error(T::kThing, "\xFF") == "is not valid UTF-8");
  }
  SUBCASE("thing: at most 20 characters, cut with an ellipsis") {
    CHECK(ok(T::kThing, "洗衣液即将用完，记得补货 OK!"));
    const auto cut = conform_field_value(T::kThing, "一二三四五六七八九十一二三四五六七八九十一");
    CHECK(cut.ok());
    CHECK(cut.value == "一二三四五六七八九十一二三四五六七八九…");
    CHECK(ok(T::kThing, "一二三四五六七八九十一二三四五六七八九十"));
  }
  SUBCASE("character_string: 32 digits, letters or symbols") {
    CHECK(ok(T::kCharacterString, "RB10-2024/11#7"));
    CHECK(error(T::kCharacterString, "券RB10") ==
          "'券' is not allowed in a character_string (digits, letters and symbols only)");
    CHECK(ok(T::kCharacterString, std::string(32, 'A')));
    CHECK(error(T::kCharacterString, std::string(33, 'A')) ==
          "has 33 characters; a character_string allows at most 32");
  }
  SUBCASE("number: 32 digits, one decimal point") {
    CHECK(ok(T::kNumber, "27"));
    CHECK(ok(T::kNumber, "12.5"));
    CHECK(ok(T::kNumber, std::string(16, '1') + "." + std::string(16, '2')));
    CHECK(error(T::kNumber, "27天") ==
          "'天' is not allowed in a number (digits and a decimal point only)");
    CHECK(error(T::kNumber, "-3") ==
          "'-' is not allowed in a number (digits and a decimal point only)");
    CHECK(error(T::kNumber, "1.2.3") == "'1.2.3' is not a number");
    CHECK(error(T::kNumber, ".5") == "'.5' is not a number");
    CHECK(error(T::kNumber, "5.") == "'5.' is not a number");
    CHECK(error(T::kNumber, std::string(33, '9')) == "has 33 digits; a number allows at most 32");
  }
  SUBCASE("letter: 32 letters") {
    CHECK(ok(T::kLetter, "abcXYZ"));
    CHECK(error(T::kLetter, "abc1") == "'1' is not allowed in a letter (letters only)");
    CHECK(error(T::kLetter, std::string(33, 'x')) ==
          "has 33 characters; a letter allows at most 32");
  }
  SUBCASE("symbol: 5 symbols") {
    CHECK(ok(T::kSymbol, "+-*/"));
    CHECK(ok(T::kSymbol, "¥。"));
    CHECK(error(T::kSymbol, "a") == "'a' is not allowed in a symbol (symbols only)");
    CHECK(error(T::kSymbol, "++++++") == "has 6 characters; a symbol allows at most 5");
  }
  SUBCASE("phrase: 5 Chinese characters") {
    CHECK(ok(T::kPhrase, "配送中"));
    CHECK(error(T::kPhrase, "配送ok") ==
          "'o' is not allowed in a phrase (Chinese characters only)");
    CHECK(error(T::kPhrase, "即将用完了吧") == "has 6 characters; a phrase allows at most 5");
  }
  SUBCASE("name: 10 with Chinese characters, else 20 letters and symbols") {
    CHECK(ok(T::kName, "张三"));
    CHECK(ok(T::kName, "John Smith"));
    CHECK(ok(T::kName, "张Amy"));
    CHECK(error(T::kName, "张三2") ==
          "'2' is not allowed in a name (Chinese characters, letters and symbols only)");
    CHECK(error(T::kName, "欧阳张三李四王五赵六钱") ==
          "has 11 characters; a name with Chinese characters allows at most 10");
    CHECK(error(T::kName, "Wolfeschlegelsteinhau") ==
          "has 21 characters; a name allows at most 20");
  }
  SUBCASE("amount: a currency symbol or 元, at most 10 digits") {
    CHECK(ok(T::kAmount, "¥12.50"));
    CHECK(ok(T::kAmount, "￥8"));
    CHECK(ok(T::kAmount, "$3.99"));
    CHECK(ok(T::kAmount, "12.50元"));
    CHECK(ok(T::kAmount, "¥1234567890"));
    CHECK(error(T::kAmount, "12.50") ==
          "'12.50' is not an amount (a currency symbol and at most 10 digits, e.g. ¥12.50)");
    CHECK(error(T::kAmount, "¥12,50") ==
          "'¥12,50' is not an amount (a currency symbol and at most 10 digits, e.g. ¥12.50)");
    CHECK(error(T::kAmount, "¥.5") ==
          "'¥.5' is not an amount (a currency symbol and at most 10 digits, e.g. ¥12.50)");
    CHECK(error(T::kAmount, "满99减10") ==
          "'满99减10' is not an amount (a currency symbol and at most 10 digits, e.g. ¥12.50)");
    CHECK(error(T::kAmount, "¥12345678901") == "has 11 digits; an amount allows at most 10");
  }
  SUBCASE("time: 24-hour time, possibly after a date, or a range") {
    for (const char* v : {"15:01", "9:05", "09:05:30", "2024年3月5日 15:01", "2024年3月5日15:01",
                          "2024-03-05 10:00", "3月5日 8:00", "10:00~12:00", "10:00 ~ 12:00",
                          "2024-03-05 10:00~2024-03-05 12:00", "2024/03/05 23:59:59"}) {
      CHECK(ok(T::kTime, v));
    }
    const std::string hint =
        " is not a time (e.g. 15:01, 2024年3月5日 15:01, 2024-03-05 10:00~12:00)";
    CHECK(error(T::kTime, "明天") == "'明天'" + hint);
    CHECK(error(T::kTime, "11月28日") == "'11月28日'" + hint);
    CHECK(error(T::kTime, "24:00") == "'24:00'" + hint);
    CHECK(error(T::kTime, "10:5") == "'10:5'" + hint);
    CHECK(error(T::kTime, "10:00~") == "'10:00~'" + hint);
  }
  SUBCASE("date: y年m月d日, y年m月, m月d日, or with - / ., possibly with a time") {
    for (const char* v : {"2024年3月5日", "2024年3月", "3月5日", "11月28日", "2024-03-05",
                          "2024/03/05", "2024.03.05", "2024-03", "03-05", "2024-03-05 10:00",
                          "2024年3月5日 15:01", "2024年3月5日~2024年3月8日", "3月5日 ~ 3月8日"}) {
      CHECK(ok(T::kDate, v));
    }
    const std::string hint =
        " is not a date (e.g. 2024年3月5日, 2024-03-05, 3月5日, 2024-03-05 10:00)";
    CHECK(error(T::kDate, "下周") == "'下周'" + hint);
    CHECK(error(T::kDate, "2024-13-01") == "'2024-13-01'" + hint);
    CHECK(error(T::kDate, "2024-03-32") == "'2024-03-32'" + hint);
    CHECK(error(T::kDate, "20240305") == "'20240305'" + hint);
    CHECK(error(T::kDate, "2024-03/05") == "'2024-03/05'" + hint);
    CHECK(error(T::kDate, "15:01") == "'15:01'" + hint);
    CHECK(error(T::kDate, "2024-03-05 25:00") == "'2024-03-05 25:00'" + hint);
  }
  SUBCASE("phone_number: 17 digits and symbols") {
    CHECK(ok(T::kPhoneNumber, "+86-0766-66888866"));
    CHECK(ok(T::kPhoneNumber, "400 820 8820"));
    CHECK(error(T::kPhoneNumber, "tel 400") ==
          "'t' is not allowed in a phone_number (digits and symbols only)");
    CHECK(error(T::kPhoneNumber, std::string(18, '1')) ==
          "has 18 characters; a phone_number allows at most 17");
  }
  SUBCASE("car_number: 8 letters and digits, Chinese first and last") {
    CHECK(ok(T::kCarNumber, "粤A8Z888挂"));
    CHECK(ok(T::kCarNumber, "京B12345"));
    CHECK(ok(T::kCarNumber, "AB12345"));
    const std::string hint =
        " is not a car_number (at most 8 letters and digits, the first and last may be Chinese)";
    CHECK(error(T::kCarNumber, "粤A8Z888挂X") == "'粤A8Z888挂X'" + hint);
    CHECK(error(T::kCarNumber, "粤A-8888") == "'粤A-8888'" + hint);
    CHECK(error(T::kCarNumber, "A粤8888") == "'A粤8888'" + hint);
    CHECK(error(T::kCarNumber, "粤") == "'粤'" + hint);
  }
  SUBCASE("fixed characters of a text with variables") {
    CHECK(check_fixed_characters(T::kNumber, "天") ==
          "'天' can never be part of a number (digits and a decimal point only)");
    CHECK(check_fixed_characters(T::kAmount, "¥") == "");
    CHECK(check_fixed_characters(T::kDate, "年月日 ") == "");
    CHECK(check_fixed_characters(T::kThing, "任何文字") == "");
  }
}

TEST_CASE("notify: wechat_subscribe options are validated with key paths, fixed texts too") {
  InMemoryConsentLedger ledger;
  const ChannelContext context{nullptr, ".", &ledger};
  const auto issues = [&](const std::string& yaml) {
    return test::build_issues("mini", yaml, context);
  };
  const std::string base = "https://api.weixin.qq.com";
  const auto with_fields = [&](const std::string& fields, const std::string& extra = "") {
    return issues(subscribe_yaml(base, extra, "fields:\n" + fields));
  };

  CHECK(issues(subscribe_yaml(base)).empty());
  CHECK(test::has_issue(test::build_issues("mini", subscribe_yaml(base)), "channels.mini",
                        "needs a consent ledger"));
  CHECK(test::has_issue(issues("type: wechat_subscribe\nappid: wx1\nsecret: s\n" + kFields),
                        "channels.mini.template_id", "is required"));
  CHECK(test::has_issue(issues("type: wechat_subscribe\nsecret: s\ntemplate_id: T\n" + kFields),
                        "channels.mini.appid", "is required"));
  CHECK(test::has_issue(issues("type: wechat_subscribe\nappid: wx1\ntemplate_id: T\n" + kFields),
                        "channels.mini.secret", "is required"));
  CHECK(test::has_issue(issues("type: wechat_subscribe\nappid: wx1\nsecret: s\ntemplate_id: T\n"),
                        "channels.mini.fields", "is required"));
  CHECK(test::has_issue(issues(subscribe_yaml(base, "miniprogram_state: beta\n")),
                        "channels.mini.miniprogram_state", "must be formal, trial or developer"));
  CHECK(test::has_issue(issues(subscribe_yaml(base, "lang: fr_FR\n")), "channels.mini.lang",
                        "must be zh_CN, en_US, zh_HK or zh_TW"));
  CHECK(test::has_issue(issues(subscribe_yaml(base, "page: \"p?c={{coupon}}\"\n")),
                        "channels.mini.page", "unknown variable 'coupon'"));

  CHECK(test::has_issue(
      issues("type: wechat_subscribe\nappid: wx1\nsecret: s\ntemplate_id: T\nfields: {}\n"),
      "channels.mini.fields", "must name at least one field"));

  // Types: from the name, or given, and consistent.
  CHECK(test::has_issue(with_fields("  keyword1: \"{{category_name}}\"\n"),
                        "channels.mini.fields.keyword1", "the name does not tell the field type"));
  CHECK(with_fields("  keyword1:\n    type: thing\n    text: \"{{category_name}}\"\n").empty());
  CHECK(test::has_issue(
      with_fields("  thing1:\n    type: number\n    text: \"{{days_since_last}}\"\n"),
      "channels.mini.fields.thing1.type", "is number, but the field name says thing"));
  CHECK(test::has_issue(with_fields("  keyword1:\n    type: string\n    text: x\n"),
                        "channels.mini.fields.keyword1.type", "unknown field type 'string'"));
  CHECK(test::has_issue(with_fields("  thing1:\n    type: thing\n"),
                        "channels.mini.fields.thing1.text", "is required"));
  CHECK(test::has_issue(with_fields("  thing1:\n    text: x\n    color: red\n"),
                        "channels.mini.fields.thing1.color", "unknown key"));
  CHECK(test::has_issue(with_fields("  thing1: \"{{coupon}}\"\n"), "channels.mini.fields.thing1",
                        "unknown variable 'coupon'"));
  CHECK(test::has_issue(with_fields("  number2:\n    text: \"{{nope}}\"\n"),
                        "channels.mini.fields.number2.text", "unknown variable 'nope'"));

  // Fixed texts against their rule.
  CHECK(test::has_issue(with_fields("  number2: \"{{days_since_last}}天\"\n"),
                        "channels.mini.fields.number2",
                        "'天' can never be part of a number (digits and a decimal point only)"));
  CHECK(test::has_issue(with_fields("  phrase3: \"补货OK\"\n"), "channels.mini.fields.phrase3",
                        "'O' is not allowed in a phrase (Chinese characters only)"));
  CHECK(test::has_issue(with_fields("  amount4: \"10\"\n"), "channels.mini.fields.amount4",
                        "'10' is not an amount"));
  CHECK(with_fields("  amount4: \"¥10\"\n").empty());
  CHECK(test::has_issue(
      with_fields("  thing5: \"您购买的商品即将用完请及时补货以免影响使用{{category_name}}\"\n"),
      "channels.mini.fields.thing5",
      "its fixed text alone has 21 characters; WeChat allows at most 20"));
  CHECK(test::has_issue(with_fields("  date6:\n    text: \"下周{{predicted_date}}\"\n"),
                        "channels.mini.fields.date6.text", "'下' can never be part of a date"));
  // Every problem at once.
  CHECK(with_fields("  number2: \"{{days_since_last}}天\"\n  phrase3: \"补货OK\"\n", "lang: fr\n")
            .size() == 3);
}

TEST_CASE("notify: the wechat_subscribe example of its header builds") {
  InMemoryConsentLedger ledger;
  const std::string yaml = R"(type: wechat_subscribe
appid: wxabcdef1234567890
secret: fedcba9876543210fedcba9876543210
template_id: 9Lk2-Hq
page: "pages/coupon/index?code={{coupon_code}}&c={{category}}"
miniprogram_state: formal
lang: zh_CN
fields:
  thing1: "{{category_name}}即将用完"
  date2: "{{predicted_date}}"
  thing3: "点击查看为您准备的补货礼"
  number4:
    type: number
    text: "{{days_since_last}}"
)";
  CHECK(test::build_issues("wx_mini", yaml, ChannelContext{nullptr, ".", &ledger}).empty());
}

}  // namespace replenish::notify
