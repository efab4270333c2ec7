#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/clock.hpp"
#include "notify/channels/wechat_template.hpp"
#include "notify/templates.hpp"
#include "notify/utf8.hpp"
#include "support.hpp"
#include "wechat_mock.hpp"

namespace replenish::notify {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Answer = test::WechatMock::Answer;

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";
constexpr const char* kOpenid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
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
  m.due_at = 1700092800;
  m.text = "本店提醒您：洗衣液快用完啦～";
  m.vars = vars.to_json();
  return m;
}

std::string template_yaml(const std::string& base_url, const std::string& extra = "") {
  return std::string("type: wechat_template\nappid: wxshop0001\nsecret: ") + kSecret +
         "\nbase_url: " + base_url +
         "\ntemplate_id: TMPL-restock-1\nfields:\n  thing1: \"{{category_name}}即将用完\"\n"
         "  time2: \"{{predicted_date}}\"\n" +
         extra;
}

Outcome send_with(const std::string& yaml, const Message& message = sample_message()) {
  core::SimulatedClock clock(kNow, 0);
  return test::build_one("oa", yaml, ChannelContext{&clock, "."})->send(message);
}

nlohmann::json body_of(const test::Received& r) {
  return nlohmann::json::parse(r.body);
}

}  // namespace

TEST_CASE("notify: wechat_template posts the documented body and keeps secrets out of the log") {
  test::LogCapture logs;
  test::WechatMock mock;
  const std::string yaml =
      std::string("type: wechat_template\nappid: wxshop0001\nsecret: ") + kSecret +
      "\nbase_url: " + mock.url() +
      "\ntemplate_id: TMPL-restock-1\n"
      "fields:\n"
      "  thing1: \"{{category_name}}即将用完\"\n"
      "  time2: \"{{predicted_date}}\"\n"
      "  thing3: \"{{shop_name}}提醒您：\\n上次购买于{{last_purchase_date}}\"\n"
      "url: \"https://shop.example/restock?c={{category}}\"\n"
      "miniprogram:\n"
      "  appid: wxmini0001\n"
      "  pagepath: \"pages/coupon/index?code={{coupon_code}}&c={{category}}\"\n";
  auto m = sample_message();
  m.vars["shop_name"] = "幸福家居生活馆旗舰店";
  m.vars["category_name"] = "超浓缩洁净护色洗衣液家庭装三公斤";  // 16 + 4 = exactly 20
  m.vars["coupon_code"] = "RB 10&X";
  const auto outcome = send_with(yaml, m);
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK(outcome.provider_id == "1000");

  const auto tokens = mock.token_requests();
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].method == "POST");
  CHECK(tokens[0].path == "/cgi-bin/stable_token");
  CHECK(body_of(tokens[0]) == nlohmann::json{{"grant_type", "client_credential"},
                                             {"appid", "wxshop0001"},
                                             {"secret", kSecret},
                                             {"force_refresh", false}});

  const auto sends = mock.sends();
  REQUIRE(sends.size() == 1);
  const auto& r = sends[0];
  CHECK(r.method == "POST");
  CHECK(r.path == "/cgi-bin/message/template/send");
  CHECK(r.param("access_token") == "TOKEN-1");
  CHECK(r.params.size() == 1);
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(
      r.body ==
      R"({"touser":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","template_id":"TMPL-restock-1",)"
      R"("url":"https://shop.example/restock?c=detergent",)"
      R"("miniprogram":{"appid":"wxmini0001","pagepath":"pages/coupon/index?code=RB%2010%26X&c=detergent"},)"
      R"("client_msg_id":"rem-42-a1","data":{)"
      R"("thing1":{"value":"超浓缩洁净护色洗衣液家庭装三公斤即将用完"},)"
      R"("time2":{"value":"11月28日"},)"
      R"("thing3":{"value":"幸福家居生活馆旗舰店提醒您：上次购买于…"}}})");
  const auto json = body_of(r);
  for (const auto& [field, value] : json["data"].items()) {
    CAPTURE(field);
    const auto text = value["value"].get<std::string>();
    CHECK(utf8::length(text) <= 20);
    CHECK(text.find('\n') == std::string::npos);
  }

  const std::string log = logs.text();
  CHECK(log.find("info event=message_sent channel=oa reminder=rem-42-a1 openid=h:") !=
        std::string::npos);
  CHECK(log.find("msgid=1000 sends=1 ms=") != std::string::npos);
  CHECK(log.find("event=wechat_token_refreshed appid=wxshop0001 endpoint=stable_token "
                 "expires_in=7200 forced=false") != std::string::npos);
  CHECK(log.find("TOKEN-1") == std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find(kOpenid) == std::string::npos);
}

TEST_CASE("notify: wechat_template refreshes an expired token once and sends again") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.reject_token("TOKEN-1", 42001);
  const auto outcome = send_with(template_yaml(mock.url()));
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK(outcome.provider_id == "1000");
  const auto tokens = mock.token_requests();
  REQUIRE(tokens.size() == 2);
  CHECK(body_of(tokens[1])["force_refresh"] == false);  // WeChat handed out a new one anyway
  const auto sends = mock.sends();
  REQUIRE(sends.size() == 2);
  CHECK(sends[0].param("access_token") == "TOKEN-1");
  CHECK(sends[1].param("access_token") == "TOKEN-2");
  CHECK(sends[0].body == sends[1].body);
  CHECK(logs.text().find("warning event=wechat_token_rejected appid=wxshop0001") !=
        std::string::npos);
}

TEST_CASE("notify: wechat_template gives up on a second token rejection as retryable") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.reject_token("TOKEN-1", 40001);
  mock.reject_token("TOKEN-2", 40001);
  const auto outcome = send_with(template_yaml(mock.url()));
  CHECK(outcome.kind == Outcome::Kind::kRetryable);
  CHECK(outcome.detail ==
        "errcode 40001: invalid credential rid: 6600-ab (a fresh access token was rejected too)");
  CHECK(mock.token_requests().size() == 2);
  CHECK(mock.sends().size() == 2);
}

TEST_CASE("notify: wechat_template maps WeChat's errcodes onto outcomes") {
  test::LogCapture logs;
  test::WechatMock mock;
  const auto answer = [&](int code, const std::string& errmsg) {
    mock.queue(test::WechatMock::errcode(code, errmsg));
    return send_with(template_yaml(mock.url()));
  };
  SUBCASE("45009 daily quota: retryable in an hour") {
    const auto o = answer(45009, "reach max api daily quota limit rid: 1");
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == 3600);
    CHECK(o.detail == "errcode 45009: reach max api daily quota limit rid: 1");
  }
  SUBCASE("45011 per-minute quota: retryable in a minute") {
    const auto o = answer(45011, "api minute-quota reach limit");
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == 60);
  }
  SUBCASE("43117 and -1: retryable without a hint") {
    auto o = answer(43117, "too many messages to this user");
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == std::nullopt);
    o = answer(-1, "system error");
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == "errcode -1: system error");
  }
  SUBCASE("43004, 43019, 43101: permanent, user_blocked") {
    auto o = answer(43004, "require subscribe rid: 2");
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "user_blocked: errcode 43004: require subscribe rid: 2");
    CHECK(is_user_blocked(o));
    o = answer(43019, "require remove blacklist");
    CHECK(o.detail == "user_blocked: errcode 43019: require remove blacklist");
    o = answer(43101, "user refuse to accept the msg");
    CHECK(o.detail == "user_blocked: errcode 43101: user refuse to accept the msg");
    CHECK(is_user_blocked(o));
  }
  SUBCASE("40003, 40037, 47003 and unknown codes: permanent with errmsg") {
    auto o = answer(40003, "invalid openid");
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 40003: invalid openid");
    CHECK_FALSE(is_user_blocked(o));
    o = answer(40037, "invalid template_id");
    CHECK(o.detail == "errcode 40037: invalid template_id");
    o = answer(47003, "argument invalid! data.thing1.value invalid");
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 47003: argument invalid! data.thing1.value invalid");
    o = answer(40249, "this template msg has been blocked for illegal content");
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "errcode 40249: this template msg has been blocked for illegal content");
  }
  SUBCASE("an errmsg that echoes the openid is redacted") {
    const auto o = answer(40003, std::string("invalid openid ") + kOpenid);
    CHECK(o.detail == "errcode 40003: invalid openid …");
  }
  SUBCASE("HTTP 500 is retryable, a body that is not JSON too") {
    mock.queue(Answer{500, {{"errcode", -1}}, milliseconds(0)});
    auto o = send_with(template_yaml(mock.url()));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == R"(HTTP 500: {"errcode":-1})");
    mock.queue(Answer{200, "<html>", milliseconds(0)});
    o = send_with(template_yaml(mock.url()));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == R"(not a WeChat answer: "<html>")");
  }
}

TEST_CASE("notify: wechat_template needs an openid, preferring the one of its appid") {
  test::LogCapture logs;
  test::WechatMock mock;
  const auto channel = test::build_one("oa", template_yaml(mock.url()));
  auto m = sample_message();
  m.openid.clear();
  const auto skipped = channel->send(m);
  CHECK(skipped.kind == Outcome::Kind::kSkipped);
  CHECK(skipped.detail == "no openid");
  CHECK(mock.sends().empty());
  CHECK(mock.token_requests().empty());

  m.openid = "oMiniProgramOpenid";
  m.openids = {{"wxother", "oOtherApp"}, {"wxshop0001", "oOfficialAccountOpenid"}};
  CHECK(channel->send(m).kind == Outcome::Kind::kDelivered);
  m.openids = {{"wxother", "oOtherApp"}};
  CHECK(channel->send(m).kind == Outcome::Kind::kDelivered);
  const auto sends = mock.sends();
  REQUIRE(sends.size() == 2);
  CHECK(body_of(sends[0])["touser"] == "oOfficialAccountOpenid");
  CHECK(body_of(sends[1])["touser"] == "oMiniProgramOpenid");
}

TEST_CASE("notify: wechat_template with a variable the message lacks is permanent") {
  test::LogCapture logs;
  test::WechatMock mock;
  auto m = sample_message();
  m.vars.erase("predicted_date");
  const auto o = send_with(template_yaml(mock.url()), m);
  CHECK(o.kind == Outcome::Kind::kPermanent);
  CHECK(o.detail == "cannot render fields.time2: variable 'predicted_date' has no value");
  CHECK(mock.sends().empty());
}

TEST_CASE("notify: wechat_template times out a slow gateway as retryable") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.queue(Answer{200, nullptr, milliseconds(700)});
  const auto started = std::chrono::steady_clock::now();
  const auto o = send_with(template_yaml(mock.url(), "timeout_ms: 150\n"));
  CHECK(o.kind == Outcome::Kind::kRetryable);
  CHECK(o.detail == "no response (timed out or connection closed)");
  CHECK(std::chrono::steady_clock::now() - started < milliseconds(600));
}

TEST_CASE("notify: wechat_template: a reset connection or a closed port is retryable") {
  test::LogCapture logs;
  SUBCASE("the gateway resets the send; tokens come from access_token_url") {
    test::WechatMock tokens;
    test::ResetServer reset;
    const std::string yaml =
        "type: wechat_template\nappid: wxshop0001\nbase_url: " + reset.url("") +
        "\naccess_token_url: " + tokens.url("/gateway/token?shop=7") +
        "\ntemplate_id: T\nfields:\n  thing1: \"{{category_name}}\"\n";
    const auto o = send_with(yaml);
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == "no response (timed out or connection closed)");
    CHECK(reset.resets() == 1);
    const auto requests = tokens.token_requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].method == "GET");
    CHECK(requests[0].path == "/gateway/token");
    CHECK(requests[0].query_shop == "7");
  }
  SUBCASE("nothing listens: the token cannot be had") {
    const auto o =
        send_with(template_yaml("http://127.0.0.1:" + std::to_string(test::closed_port())));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == "access token: cannot connect");
    CHECK(logs.text().find("error event=wechat_token_failed appid=wxshop0001 "
                           "endpoint=stable_token kept_valid_token=false "
                           "detail=\"access token: cannot connect\"") != std::string::npos);
  }
}

TEST_CASE("notify: wechat_template gets tokens with GET /cgi-bin/token when told to") {
  test::LogCapture logs;
  test::WechatMock mock;
  const auto o = send_with(template_yaml(mock.url(), "token_endpoint: token\n"));
  CHECK(o.kind == Outcome::Kind::kDelivered);
  const auto tokens = mock.token_requests();
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].method == "GET");
  CHECK(tokens[0].path == "/cgi-bin/token");
  CHECK(tokens[0].param("grant_type") == "client_credential");
  CHECK(tokens[0].param("appid") == "wxshop0001");
  CHECK(tokens[0].param("secret") == kSecret);
  CHECK(logs.text().find(kSecret) == std::string::npos);
}

TEST_CASE("notify: wechat_template over https verifies the gateway's certificate") {
  test::LogCapture logs;
  test::SelfSigned cert;
  test::WechatMock mock(cert.server());
  const std::string base = mock.url("", "https");
  const fs::path ca =
      fs::temp_directory_path() / ("replenish-wechat-ca-" + std::to_string(::getpid()) + ".pem");
  cert.write_pem(ca.string());
  SUBCASE("an unknown issuer fails the token request, retryable") {
    const auto o = send_with(template_yaml(base));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == "access token: TLS certificate verification failed");
    CHECK(mock.sends().empty());
  }
  SUBCASE("ca_file trusts it") {
    const auto o = send_with(template_yaml(base, "ca_file: " + ca.string() + "\n"));
    CHECK(o.kind == Outcome::Kind::kDelivered);
    CHECK(mock.token_requests().size() == 1);
    CHECK(mock.sends().size() == 1);
  }
  SUBCASE("verify_tls: false accepts it and warns at start-up") {
    const auto o = send_with(template_yaml(base, "verify_tls: false\n"));
    CHECK(o.kind == Outcome::Kind::kDelivered);
    CHECK(logs.text().find("warning event=tls_verification_disabled channel=oa url=https://") == 0);
  }
  fs::remove(ca);
}

TEST_CASE("notify: wechat_template options are validated with key paths") {
  const fs::path dir =
      fs::temp_directory_path() / ("replenish-wechat-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "oa.secret") << kSecret << "\n";
  const ChannelContext context{nullptr, dir.string()};
  const auto issues = [&](const std::string& yaml) {
    return test::build_issues("oa", yaml, context);
  };
  const std::string base = "https://api.weixin.qq.com";
  const std::string minimal =
      "type: wechat_template\nappid: wx1\ntemplate_id: T\n"
      "fields:\n  thing1: \"{{category_name}}即将用完\"\n";

  CHECK(issues(minimal + "secret_file: oa.secret\n").empty());
  CHECK(issues(template_yaml(base)).empty());
  CHECK(issues(minimal + "access_token_url: https://gw.example/token\n").empty());
  CHECK(test::has_issue(issues("type: wechat_template\nsecret: s\ntemplate_id: T\n"
                               "fields:\n  thing1: x\n"),
                        "channels.oa.appid", "is required"));
  CHECK(test::has_issue(issues(minimal), "channels.oa.secret", "is required"));
  CHECK(test::has_issue(issues(minimal + "secret_file: none.secret\n"), "channels.oa.secret_file",
                        "cannot read '" + (dir / "none.secret").string()));
  CHECK(test::has_issue(issues(minimal + "secret: a\nsecret_file: oa.secret\n"),
                        "channels.oa.secret", "not both"));
  CHECK(test::has_issue(issues(minimal + "secret: a\naccess_token_url: https://gw.example/token\n"),
                        "channels.oa.secret", "not used with access_token_url"));
  CHECK(test::has_issue(
      issues(minimal + "access_token_url: https://gw.example/t\ntoken_endpoint: token\n"),
      "channels.oa.access_token_url", "either access_token_url or token_endpoint"));
  CHECK(test::has_issue(issues(minimal + "secret: a\ntoken_endpoint: oauth\n"),
                        "channels.oa.token_endpoint", "must be stable_token or token"));
  CHECK(test::has_issue(issues(minimal + "secret: a\nbase_url: ftp://x\n"), "channels.oa.base_url",
                        "unsupported scheme"));
  CHECK(test::has_issue(issues(minimal + "secret: a\nbase_url: https://gw.example/wx?x=1\n"),
                        "channels.oa.base_url", "must not have a query"));
  CHECK(test::has_issue(issues(template_yaml(base, "timeout_ms: 0\n")), "channels.oa.timeout_ms",
                        "must be between 1 and 300000"));
  CHECK(test::has_issue(issues(template_yaml("http://gw.example", "ca_file: oa.secret\n")),
                        "channels.oa.ca_file", "only applies to https"));
  CHECK(test::has_issue(issues("type: wechat_template\nappid: wx1\nsecret: a\n"
                               "fields:\n  thing1: x\n"),
                        "channels.oa.template_id", "is required"));
  CHECK(test::has_issue(issues("type: wechat_template\nappid: wx1\nsecret: a\ntemplate_id: T\n"),
                        "channels.oa.fields", "is required"));
  CHECK(test::has_issue(
      issues("type: wechat_template\nappid: wx1\nsecret: a\ntemplate_id: T\nfields: {}\n"),
      "channels.oa.fields", "must name at least one field"));
  CHECK(test::has_issue(issues(template_yaml(base) + "  thing3: \"{{coupon}}\"\n"),
                        "channels.oa.fields.thing3", "unknown variable 'coupon'"));
  CHECK(test::has_issue(issues(template_yaml(base) + "  thing3: \"{{#shop_name}}\"\n"),
                        "channels.oa.fields.thing3", "Mustache syntax error"));
  CHECK(test::has_issue(issues(template_yaml(base) + "  thing3: \"\"\n"),
                        "channels.oa.fields.thing3", "must not be empty"));
  CHECK(test::has_issue(issues(template_yaml(base) + "  \"thing 3\": x\n"),
                        "channels.oa.fields.thing 3", "not a WeChat field name"));
  CHECK(test::has_issue(
      issues(template_yaml(base) +
             "  thing3: \"您购买的商品即将用完请及时补货以免影响使用{{category_name}}\"\n"),
      "channels.oa.fields.thing3",
      "its fixed text alone has 21 characters; WeChat shows at most 20"));
  CHECK(test::has_issue(issues(template_yaml(base, "url: shop.example/x\n")), "channels.oa.url",
                        "must start with http:// or https://"));
  CHECK(test::has_issue(issues(template_yaml(base, "url: \"https://s.example/?c={{coupon}}\"\n")),
                        "channels.oa.url", "unknown variable 'coupon'"));
  CHECK(test::has_issue(issues(template_yaml(base, "miniprogram:\n  pagepath: pages/x\n")),
                        "channels.oa.miniprogram.appid", "is required"));
  CHECK(test::has_issue(
      issues(template_yaml(base, "miniprogram:\n  appid: wx2\n  pagepath: \"p?c={{x}}\"\n")),
      "channels.oa.miniprogram.pagepath", "unknown variable 'x'"));
  CHECK(test::has_issue(issues(template_yaml(base, "miniprogram:\n  appid: wx2\n  path: p\n")),
                        "channels.oa.miniprogram.path", "unknown key"));
  CHECK(test::has_issue(issues(template_yaml(base, "color: red\n")), "channels.oa.color",
                        "unknown key"));
  fs::remove_all(dir);
}

TEST_CASE("notify: the wechat_template example of its header builds") {
  const fs::path dir =
      fs::temp_directory_path() / ("replenish-wechat-doc-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "wechat-oa.secret") << kSecret << "\n";
  const std::string yaml = R"(type: wechat_template
appid: wx1234567890abcdef
secret_file: wechat-oa.secret
template_id: Zx8k-Qw
fields:
  thing1: "{{category_name}}即将用完"
  time2: "{{predicted_date}}"
  thing3: "上次购买于{{last_purchase_date}}"
miniprogram:
  appid: wxabcdef1234567890
  pagepath: "pages/restock/index?c={{category}}&coupon={{coupon_code}}"
url: "https://shop.example/restock?c={{category}}&coupon={{coupon_code}}"
base_url: https://api.weixin.qq.com
token_endpoint: stable_token
timeout_ms: 5000
verify_tls: true
)";
  CHECK(test::build_issues("wx_oa", yaml, ChannelContext{nullptr, dir.string()}).empty());
  fs::remove_all(dir);
}

TEST_CASE("notify: TEMPLATESENDJOBFINISH receipts map every status") {
  using Status = TemplateReceipt::Status;
  const auto parse = [](const std::string& status) {
    return parse_template_receipt(nlohmann::json{{"ToUserName", "gh_7f083739789a"},
                                                 {"FromUserName", kOpenid},
                                                 {"CreateTime", 1395658920},
                                                 {"MsgType", "event"},
                                                 {"Event", "TEMPLATESENDJOBFINISH"},
                                                 {"MsgID", 200163836},
                                                 {"Status", status}});
  };
  auto r = parse("success");
  REQUIRE(r);
  CHECK(r->msgid == "200163836");
  CHECK(r->status == Status::kDelivered);
  CHECK(r->raw == "success");
  r = parse("failed:user block");
  REQUIRE(r);
  CHECK(r->status == Status::kUserBlock);
  CHECK(r->raw == "failed:user block");
  r = parse("failed: system failed");
  REQUIRE(r);
  CHECK(r->status == Status::kSystemFailed);
  CHECK(parse("Failed: User Block")->status == Status::kUserBlock);
  r = parse("failed: something new");
  REQUIRE(r);
  CHECK(r->status == Status::kOther);
  CHECK(r->raw == "failed: something new");
  CHECK(std::string(to_string(Status::kDelivered)) == "delivered");
  CHECK(std::string(to_string(Status::kUserBlock)) == "user_block");
  CHECK(std::string(to_string(Status::kSystemFailed)) == "system_failed");
  CHECK(std::string(to_string(Status::kOther)) == "other");

  // A gateway may send the id as a string and spell the keys differently; no Event is fine.
  r = parse_template_receipt({{"msgid", "200163840"}, {"status", "success"}});
  REQUIRE(r);
  CHECK(r->msgid == "200163840");

  std::string why;
  CHECK_FALSE(parse_template_receipt(nlohmann::json::array(), &why));
  CHECK(why == "expected a JSON object");
  CHECK_FALSE(
      parse_template_receipt({{"Event", "subscribe"}, {"MsgID", 1}, {"Status", "success"}}, &why));
  CHECK(why == "not a TEMPLATESENDJOBFINISH event");
  CHECK_FALSE(parse_template_receipt({{"Status", "success"}}, &why));
  CHECK(why == "MsgID is missing or not a number or string");
  CHECK_FALSE(parse_template_receipt({{"MsgID", 5}}, &why));
  CHECK(why == "Status is missing or not a string");
}

}  // namespace replenish::notify
