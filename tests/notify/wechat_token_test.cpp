#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "notify/channels/wechat_template.hpp"
#include "notify/wechat_token.hpp"
#include "support.hpp"
#include "wechat_mock.hpp"

namespace replenish::notify {
namespace {

using std::chrono::milliseconds;

constexpr core::EpochSeconds kNow = 1700000000;

AccessTokenOptions token_options(const test::WechatMock& mock,
                                 TokenEndpoint endpoint = TokenEndpoint::kStable) {
  AccessTokenOptions o;
  o.base_url = *parse_http_url(mock.url());
  o.appid = "wxtoken0001";
  o.secret = "token-test-secret";
  o.endpoint = endpoint;
  o.http.timeout = milliseconds(2000);
  return o;
}

std::string template_yaml(const test::WechatMock& mock, const std::string& appid = "wxshop0001") {
  return "type: wechat_template\nappid: " + appid + "\nsecret: s3cr3t\nbase_url: " + mock.url() +
         "\ntemplate_id: T\nfields:\n  thing1: \"{{category_name}}即将用完\"\n";
}

Message message(int i) {
  Message m;
  m.key = "rem-" + std::to_string(i);
  m.user_id = "u" + std::to_string(i);
  m.openid = "oOpenid" + std::to_string(i);
  m.vars = {{"category_name", "洗衣液"}};
  return m;
}

bool forced(const test::Received& r) {
  return nlohmann::json::parse(r.body).value("force_refresh", false);
}

}  // namespace

TEST_CASE("notify: wechat token: 16 concurrent sends share one token request") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.set_token_delay(milliseconds(150));  // every sender arrives while the request is out
  const auto channel = test::build_one("oa", template_yaml(mock));
  constexpr int kThreads = 16;
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (channel->send(message(t)).kind == Outcome::Kind::kDelivered) ++delivered;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(delivered == kThreads);
  CHECK(mock.token_requests().size() == 1);
  const auto sends = mock.sends();
  CHECK(sends.size() == kThreads);
  for (const auto& s : sends) CHECK(s.param("access_token") == "TOKEN-1");
}

TEST_CASE("notify: wechat token: refreshed before it expires, on a fake clock") {
  test::LogCapture logs;
  test::WechatMock mock;
  core::SimulatedClock clock(kNow, 0);
  AccessTokenCache cache(token_options(mock), clock);
  CHECK(cache.get().token == "TOKEN-1");
  CHECK(cache.get().token == "TOKEN-1");
  CHECK(cache.requests() == 1);
  // 7200 s: refreshed when less than max(300 s, 10%) = 720 s remain.
  clock.advance(6479);
  CHECK(cache.get().token == "TOKEN-1");
  CHECK(cache.requests() == 1);
  clock.advance(2);
  CHECK(cache.get().token == "TOKEN-2");
  CHECK(cache.requests() == 2);
  CHECK_FALSE(forced(mock.token_requests()[1]));

  // A short-lived token is refreshed at half its lifetime at the latest.
  mock.set_expires_in(60);
  clock.advance(7200);
  CHECK(cache.get().token == "TOKEN-3");
  clock.advance(29);
  CHECK(cache.get().token == "TOKEN-3");
  clock.advance(2);
  CHECK(cache.get().token == "TOKEN-4");
  CHECK(cache.requests() == 4);
}

TEST_CASE("notify: wechat token: an early refresh that fails keeps the valid token") {
  test::LogCapture logs;
  test::WechatMock mock;
  core::SimulatedClock clock(kNow, 0);
  AccessTokenCache cache(token_options(mock), clock);
  CHECK(cache.get().token == "TOKEN-1");
  clock.advance(7000);
  mock.set_token_error({{"errcode", -1}, {"errmsg", "system error"}});
  CHECK(cache.get().token == "TOKEN-1");
  CHECK(cache.requests() == 2);
  CHECK(logs.text().find("error event=wechat_token_failed appid=wxtoken0001 endpoint=stable_token "
                         "kept_valid_token=true detail=\"access token: errcode -1: system "
                         "error\"") != std::string::npos);
  // No new attempt for 5 seconds; then one.
  CHECK(cache.get().token == "TOKEN-1");
  CHECK(cache.requests() == 2);
  clock.advance(5);
  mock.set_token_error(nullptr);
  CHECK(cache.get().token == "TOKEN-2");
  CHECK(cache.requests() == 3);
}

TEST_CASE("notify: wechat token: waiters share a failed refresh, then fail fast for a moment") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.set_token_delay(milliseconds(100));
  mock.set_token_error({{"errcode", 40125}, {"errmsg", "invalid appsecret"}});
  core::SimulatedClock clock(kNow, 0);
  AccessTokenCache cache(token_options(mock), clock);
  std::vector<TokenResult> results(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] { results[t] = cache.get(); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& r : results) {
    CHECK_FALSE(r.ok());
    CHECK(r.failure.kind == Outcome::Kind::kRetryable);
    CHECK(r.failure.detail == "access token: errcode 40125: invalid appsecret");
  }
  CHECK(cache.requests() == 1);
  CHECK(cache.get().failure.detail == "access token: errcode 40125: invalid appsecret");
  CHECK(cache.requests() == 1);
  clock.advance(5);
  mock.set_token_error(nullptr);
  CHECK(cache.get().token == "TOKEN-1");
  CHECK(cache.requests() == 2);
}

TEST_CASE("notify: wechat token: quota errors of the token API carry their hints") {
  test::LogCapture logs;
  test::WechatMock mock;
  core::SimulatedClock clock(kNow, 0);
  mock.set_token_error({{"errcode", 45009}, {"errmsg", "reach max api daily quota limit"}});
  AccessTokenCache cache(token_options(mock), clock);
  auto r = cache.get();
  CHECK(r.failure.detail == "access token: errcode 45009: reach max api daily quota limit");
  CHECK(r.failure.retry_after_seconds == 3600);
  clock.advance(5);
  mock.set_token_error({{"access_token", ""}, {"expires_in", 7200}});
  r = cache.get();
  CHECK(r.failure.detail ==
        "access token: the answer lacks a non-empty access_token and a positive expires_in");
  clock.advance(5);
  mock.set_token_error("not json");
  CHECK(cache.get().failure.detail == R"(access token: not a JSON object: "not json")");
}

TEST_CASE("notify: wechat token: a rejected token is forced out only when WeChat hands it back") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.set_tokens({"T1", "T1", "T2"});
  core::SimulatedClock clock(kNow, 0);
  AccessTokenCache cache(token_options(mock), clock);
  CHECK(cache.get().token == "T1");
  cache.invalidate("T1");
  CHECK(cache.get().token == "T2");
  auto requests = mock.token_requests();
  REQUIRE(requests.size() == 3);
  CHECK_FALSE(forced(requests[0]));
  CHECK_FALSE(forced(requests[1]));  // normal mode first: it handed back T1…
  CHECK(forced(requests[2]));        // … so the refresh was forced
  CHECK(logs.text().find("forced=true") != std::string::npos);

  // Invalidating a token that is no longer cached changes nothing.
  cache.invalidate("T1");
  CHECK(cache.get().token == "T2");
  CHECK(cache.requests() == 3);

  // Within 30 s of the last forced refresh WeChat would ignore another: normal mode only.
  clock.advance(10);
  cache.invalidate("T2");
  CHECK(cache.get().token == "T2");
  CHECK(cache.requests() == 4);
  CHECK_FALSE(forced(mock.token_requests()[3]));
  clock.advance(30);
  cache.invalidate("T2");
  CHECK(cache.get().token == "T2");  // the mock keeps handing out T2
  requests = mock.token_requests();
  REQUIRE(requests.size() == 6);
  CHECK_FALSE(forced(requests[4]));
  CHECK(forced(requests[5]));
}

TEST_CASE("notify: wechat token: the token endpoint never forces, a gateway hands out tokens") {
  test::LogCapture logs;
  test::WechatMock mock;
  mock.set_tokens({"T1"});
  core::SimulatedClock clock(kNow, 0);
  AccessTokenCache by_get(token_options(mock, TokenEndpoint::kToken), clock);
  CHECK(by_get.get().token == "T1");
  by_get.invalidate("T1");
  CHECK(by_get.get().token == "T1");
  CHECK(by_get.requests() == 2);

  auto gateway_options = token_options(mock, TokenEndpoint::kGateway);
  gateway_options.secret.clear();
  gateway_options.access_token_url = *parse_http_url(mock.url("/gateway/token?shop=7"));
  AccessTokenCache gateway(gateway_options, clock);
  CHECK(gateway.get().token == "T1");
  const auto requests = mock.token_requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[2].path == "/gateway/token");
  CHECK(requests[2].query_shop == "7");
  CHECK(requests[2].param("secret").empty());
}

TEST_CASE("notify: wechat token: one cache per base_url and appid, shared by channels") {
  test::LogCapture logs;
  test::WechatMock mock;
  ChannelRegistry registry;
  register_builtin_channels(registry);
  const auto channels =
      registry.build({test::spec("a", template_yaml(mock)), test::spec("b", template_yaml(mock)),
                      test::spec("c", template_yaml(mock, "wxother"))},
                     {});
  CHECK(channels.at("a")->send(message(1)).kind == Outcome::Kind::kDelivered);
  CHECK(channels.at("b")->send(message(2)).kind == Outcome::Kind::kDelivered);
  CHECK(mock.token_requests().size() == 1);
  CHECK(channels.at("c")->send(message(3)).kind == Outcome::Kind::kDelivered);
  CHECK(mock.token_requests().size() == 2);

  core::SimulatedClock clock(kNow, 0);
  core::SimulatedClock other_clock(kNow, 0);
  const auto options = token_options(mock);
  const auto first = shared_access_token_cache(options, clock);
  CHECK(shared_access_token_cache(options, clock) == first);
  auto changed = options;
  changed.secret = "a-new-secret";
  const auto renewed = shared_access_token_cache(changed, clock);
  CHECK(renewed != first);
  CHECK(shared_access_token_cache(changed, clock) == renewed);
  CHECK(shared_access_token_cache(changed, other_clock) != renewed);
}

}  // namespace replenish::notify
