#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "notify/channels/webhook.hpp"
#include "support.hpp"

namespace replenish::notify {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr const char* kSecret = "s3cr3t-0123456789abcdef";
constexpr core::EpochSeconds kNow = 1700000000;  // 2023-11-14T22:13:20Z

Message sample_message() {
  Message m;
  m.reminder_id = 42;
  m.key = "rem-42-a1";
  m.user_id = "u1001";
  m.openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
  m.category = "detergent";
  m.kind = "replenish";
  m.due_at = 1700092800;  // 2023-11-16T00:00:00Z
  m.text = "本店提醒您：洗衣液快用完啦～";
  m.vars = {{"shop_name", "本店"}, {"category_name", "洗衣液"}};
  return m;
}

std::string webhook_yaml(const std::string& url, const std::string& extra = "") {
  return "type: webhook\nurl: " + url + "\nsecret: " + kSecret + "\n" + extra;
}

/// Independent HMAC-SHA256 (OpenSSL one-shot) for checking the channel's signature.
std::string expected_signature(const std::string& timestamp, const std::string& body) {
  const std::string data = timestamp + "." + body;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(std::string(kSecret).size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return "sha256=" + hex;
}

/// A mock that records every request and answers by path: /ok → 200 {"id":"msg-9"},
/// /status/NNN → NNN (429 with Retry-After: 120), /slow → waits 700 ms first (cut short when
/// the gateway is destroyed, so that stopping the server does not wait for it).
class Gateway {
 public:
  Gateway()
      : mock_([this](httplib::Server& s) {
          s.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.set_content(R"({"id":"msg-9","status":"queued"})", "application/json");
          });
          s.Post("/empty", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.status = 204;
          });
          s.Post(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.status = std::stoi(req.matches[1]);
            if (res.status == 429) res.set_header("Retry-After", "120");
            if (res.status == 503) res.set_header("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT");
            res.set_content("bad user\nid \"u1001\"", "text/plain");
          });
          s.Post("/slow", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            std::unique_lock<std::mutex> lock(mutex_);
            closing_.wait_for(lock, milliseconds(700), [this] { return closed_; });
            res.set_content("{}", "application/json");
          });
        }) {}

  ~Gateway() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    closing_.notify_all();
  }
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  std::string url(const std::string& path) const { return mock_.url(path); }
  std::vector<test::Received> received() const { return inbox_.items(); }

 private:
  std::mutex mutex_;
  std::condition_variable closing_;
  bool closed_ = false;  // guarded by mutex_
  test::Inbox inbox_;
  test::HttpMock mock_;
};

Outcome send_to(const std::string& url, const std::string& extra = "") {
  core::SimulatedClock clock(kNow, 0);
  ChannelContext context{&clock, "."};
  return test::build_one("shop", webhook_yaml(url, extra), context)->send(sample_message());
}

}  // namespace

TEST_CASE("notify: webhook posts the signed JSON body with every header") {
  test::LogCapture logs;  // keeps the send log out of the test output
  Gateway gateway;
  core::SimulatedClock clock(kNow, 0);
  const auto channel = test::build_one(
      "shop", webhook_yaml(gateway.url("/ok?shop=7"), "headers:\n  X-Shop: \"42\"\n"),
      ChannelContext{&clock, "."});
  const auto outcome = channel->send(sample_message());
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK(outcome.provider_id == "msg-9");

  const auto received = gateway.received();
  REQUIRE(received.size() == 1);
  const auto& r = received.front();
  CHECK(r.method == "POST");
  CHECK(r.path == "/ok");
  CHECK(r.query_shop == "7");
  CHECK(
      r.body ==
      R"({"id":"rem-42-a1","reminder_id":42,"user_id":"u1001","category":"detergent",)"
      R"("kind":"replenish","due_at":"2023-11-16T00:00:00Z","text":"本店提醒您：洗衣液快用完啦～",)"
      R"("vars":{"category_name":"洗衣液","shop_name":"本店"},)"
      R"("openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})");
  const auto json = nlohmann::json::parse(r.body);
  CHECK(json["id"] == "rem-42-a1");
  CHECK(json["reminder_id"] == 42);
  CHECK(json["due_at"] == "2023-11-16T00:00:00Z");
  CHECK(json["vars"]["category_name"] == "洗衣液");

  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.header("Idempotency-Key") == "rem-42-a1");
  CHECK(r.header("X-Replenish-Timestamp") == "1700000000");
  CHECK(r.header("X-Replenish-Signature") == expected_signature("1700000000", r.body));
  CHECK(r.header("User-Agent") == std::string("replenish/") + REPLENISH_VERSION);
  CHECK(r.header("X-Shop") == "42");
  CHECK(r.header("Host") == "127.0.0.1:" + gateway.url("").substr(17));

  const std::string log = logs.text();
  CHECK(log.find("info event=message_sent channel=shop reminder=rem-42-a1 status=200 ms=") == 0);
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == std::string::npos);
}

TEST_CASE("notify: webhook leaves out an unknown openid and falls back to the key as id") {
  test::LogCapture logs;  // keeps the send log out of the test output
  Gateway gateway;
  const auto channel = test::build_one("shop", webhook_yaml(gateway.url("/empty")));
  auto m = sample_message();
  m.openid.clear();
  m.vars = nullptr;
  const auto outcome = channel->send(m);
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK(outcome.provider_id == "rem-42-a1");
  const auto received = gateway.received();
  REQUIRE(received.size() == 1);
  const auto json = nlohmann::json::parse(received[0].body);
  CHECK_FALSE(json.contains("openid"));
  CHECK(json["vars"] == nlohmann::json::object());
  // Without a clock in the context the signature uses the system clock.
  const auto t = std::stoll(received[0].header("X-Replenish-Timestamp"));
  CHECK(std::llabs(t - core::SystemClock().now()) <= 5);
  CHECK(received[0].header("X-Replenish-Signature") ==
        expected_signature(received[0].header("X-Replenish-Timestamp"), received[0].body));
}

TEST_CASE("notify: webhook maps HTTP statuses onto outcomes") {
  test::LogCapture logs;  // keeps the send log out of the test output
  Gateway gateway;
  SUBCASE("429 is retryable with the Retry-After hint") {
    const auto o = send_to(gateway.url("/status/429"));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == 120);
    CHECK(o.detail == "HTTP 429: bad user id \"u1001\"");
  }
  SUBCASE("500 is retryable without a hint") {
    const auto o = send_to(gateway.url("/status/500"));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == std::nullopt);
  }
  SUBCASE("503 with an HTTP-date Retry-After is retryable without a hint") {
    const auto o = send_to(gateway.url("/status/503"));
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.retry_after_seconds == std::nullopt);
  }
  SUBCASE("408 is retryable") {
    CHECK(send_to(gateway.url("/status/408")).kind == Outcome::Kind::kRetryable);
  }
  SUBCASE("400 is permanent with the status and a body excerpt") {
    const auto o = send_to(gateway.url("/status/400"));
    CHECK(o.kind == Outcome::Kind::kPermanent);
    CHECK(o.detail == "HTTP 400: bad user id \"u1001\"");
    CHECK(logs.text().find("warning event=message_failed channel=shop reminder=rem-42-a1 "
                           "outcome=permanent status=400 ms=") == 0);
  }
  SUBCASE("404 and a redirect are permanent") {
    CHECK(send_to(gateway.url("/status/404")).kind == Outcome::Kind::kPermanent);
    CHECK(send_to(gateway.url("/status/302")).kind == Outcome::Kind::kPermanent);
  }
}

TEST_CASE("notify: webhook times out a slow receiver as retryable") {
  test::LogCapture logs;  // keeps the send log out of the test output
  Gateway gateway;
  const auto started = std::chrono::steady_clock::now();
  const auto o = send_to(gateway.url("/slow"), "timeout_ms: 150\n");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(o.kind == Outcome::Kind::kRetryable);
  CHECK(o.detail == "no response (timed out or connection closed)");
  CHECK(elapsed < milliseconds(600));
}

TEST_CASE("notify: webhook to a closed port is retryable") {
  test::LogCapture logs;  // keeps the send log out of the test output
  const auto o = send_to("http://127.0.0.1:" + std::to_string(test::closed_port()) + "/hook");
  CHECK(o.kind == Outcome::Kind::kRetryable);
  CHECK(o.detail == "cannot connect");
}

TEST_CASE("notify: webhook reuses keep-alive connections across concurrent senders") {
  test::LogCapture logs;  // keeps the send log out of the test output
  Gateway gateway;
  const auto channel = test::build_one("shop", webhook_yaml(gateway.url("/ok")));
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Stagger the first connects: the mock listens with cpp-httplib's backlog of 5, and a
      // burst of new connections overflows it (the kernel then retries the SYN after 1 s).
      std::this_thread::sleep_for(milliseconds(3 * t));
      for (int i = 0; i < kEach; ++i) {
        auto m = sample_message();
        m.key = "rem-" + std::to_string(t) + "-" + std::to_string(i);
        if (channel->send(m).kind == Outcome::Kind::kDelivered) ++delivered;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(delivered == kThreads * kEach);
  const auto received = gateway.received();
  CHECK(received.size() == kThreads * kEach);
  std::set<int> connections;
  std::set<std::string> keys;
  for (const auto& r : received) {
    connections.insert(r.remote_port);
    keys.insert(r.header("Idempotency-Key"));
  }
  CHECK(keys.size() == kThreads * kEach);
  CHECK(connections.size() <= kThreads);
}

TEST_CASE("notify: webhook over https verifies the certificate unless told not to") {
  test::LogCapture logs;
  test::SelfSigned cert;
  test::Inbox inbox;
  test::HttpMock mock(
      [&](httplib::Server& s) {
        s.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
          inbox.add(req);
          res.set_content(R"({"id":"tls-1"})", "application/json");
        });
      },
      cert.server());
  REQUIRE(mock.running());
  const std::string url = mock.url("/hook", "https");
  const fs::path ca =
      fs::temp_directory_path() / ("replenish-notify-ca-" + std::to_string(::getpid()) + ".pem");
  cert.write_pem(ca.string());

  SUBCASE("an unknown issuer fails verification, retryable") {
    const auto o = send_to(url);
    CHECK(o.kind == Outcome::Kind::kRetryable);
    CHECK(o.detail == "TLS certificate verification failed");
    CHECK(inbox.items().empty());
  }
  SUBCASE("ca_file trusts it") {
    const auto o = send_to(url, "ca_file: " + ca.string() + "\n");
    CHECK(o.kind == Outcome::Kind::kDelivered);
    CHECK(o.provider_id == "tls-1");
    CHECK(inbox.items().size() == 1);
  }
  SUBCASE("verify_tls: false accepts it and warns at start-up") {
    const auto o = send_to(url, "verify_tls: false\n");
    CHECK(o.kind == Outcome::Kind::kDelivered);
    CHECK(logs.text().find("warning event=tls_verification_disabled channel=shop url=https://") ==
          0);
  }
  fs::remove(ca);
}

TEST_CASE("notify: HMAC-SHA256 matches RFC 4231 and the signature covers timestamp and body") {
  // RFC 4231, test case 2.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(webhook_signature("Jefe", 1700000000, "{}") ==
        "sha256=" + hmac_sha256_hex("Jefe", "1700000000.{}"));
  CHECK(webhook_signature("Jefe", 1700000001, "{}") != webhook_signature("Jefe", 1700000000, "{}"));
}

TEST_CASE("notify: webhook options are validated with key paths") {
  const fs::path dir =
      fs::temp_directory_path() / ("replenish-notify-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "good.secret") << "0123456789abcdef-from-file\n";
  std::ofstream(dir / "short.secret") << "short\n";
  const ChannelContext context{nullptr, dir.string()};
  const auto issues = [&](const std::string& yaml) {
    return test::build_issues("hook", yaml, context);
  };

  CHECK(issues("type: webhook\nsecret_file: good.secret\nurl: https://shop.example/h\n").empty());
  CHECK(test::has_issue(issues("type: webhook\nsecret: 0123456789abcdef\n"), "channels.hook.url",
                        "is required"));
  CHECK(test::has_issue(issues(webhook_yaml("ftp://shop.example/h")), "channels.hook.url",
                        "unsupported scheme 'ftp'"));
  CHECK(test::has_issue(issues(webhook_yaml("http://shop.example:99999/h")), "channels.hook.url",
                        "port must be a number from 1 to 65535"));
  CHECK(test::has_issue(issues("type: webhook\nurl: http://a.example/\n"), "channels.hook.secret",
                        "is required"));
  CHECK(test::has_issue(issues("type: webhook\nurl: http://a.example/\nsecret: short\n"),
                        "channels.hook.secret", "at least 16 bytes"));
  CHECK(
      test::has_issue(issues("type: webhook\nurl: http://a.example/\nsecret_file: short.secret\n"),
                      "channels.hook.secret_file", "at least 16 bytes"));
  CHECK(test::has_issue(issues("type: webhook\nurl: http://a.example/\nsecret_file: none.secret\n"),
                        "channels.hook.secret_file",
                        "cannot read '" + (dir / "none.secret").string()));
  CHECK(test::has_issue(issues(webhook_yaml("http://a.example/", "secret_file: good.secret\n")),
                        "channels.hook.secret", "not both"));
  CHECK(test::has_issue(issues(webhook_yaml("http://a.example/", "timeout_ms: 0\n")),
                        "channels.hook.timeout_ms", "must be between 1 and 300000"));
  CHECK(test::has_issue(issues(webhook_yaml("http://a.example/", "verify_tls: maybe\n")),
                        "channels.hook.verify_tls", "expected true or false"));
  CHECK(test::has_issue(issues(webhook_yaml("http://a.example/", "ca_file: good.secret\n")),
                        "channels.hook.ca_file", "only applies to https"));
  CHECK(test::has_issue(issues(webhook_yaml("https://a.example/", "ca_file: none.pem\n")),
                        "channels.hook.ca_file", "cannot read"));
  CHECK(test::has_issue(
      issues(webhook_yaml("http://a.example/", "headers:\n  X-Replenish-Signature: x\n")),
      "channels.hook.headers.X-Replenish-Signature", "set by the channel"));
  CHECK(
      test::has_issue(issues(webhook_yaml("http://a.example/", "headers:\n  Idempotency-Key: x\n")),
                      "channels.hook.headers.Idempotency-Key", "set by the channel"));
  CHECK(test::has_issue(issues(webhook_yaml("http://a.example/", "headers:\n  \"Bad Name\": x\n")),
                        "channels.hook.headers.Bad Name", "not a valid header name"));
  CHECK(test::has_issue(issues(webhook_yaml("http://a.example/", "retries: 3\n")),
                        "channels.hook.retries", "unknown key"));
  // Every problem at once.
  CHECK(issues("type: webhook\nurl: gopher://x\nsecret: x\ntimeout_ms: -1\n").size() == 3);
  fs::remove_all(dir);
}

TEST_CASE("notify: http URLs are parsed into scheme, host, port and target") {
  std::string why;
  auto u = parse_http_url("https://Shop.example/hooks/r?token=abc", &why);
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "Shop.example");
  CHECK(u->port == 443);
  CHECK(u->target == "/hooks/r?token=abc");
  CHECK(u->host_header() == "Shop.example");
  CHECK(u->redacted() == "https://Shop.example/hooks/r?…");

  u = parse_http_url("HTTP://127.0.0.1:8080");
  REQUIRE(u);
  CHECK(u->scheme == "http");
  CHECK(u->port == 8080);
  CHECK(u->target == "/");
  CHECK(u->host_header() == "127.0.0.1:8080");

  u = parse_http_url("http://[::1]:9000?x=1");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->target == "/?x=1");
  CHECK(u->host_header() == "[::1]:9000");

  const auto rejects = [&](const std::string& text, const std::string& reason) {
    why.clear();
    return !parse_http_url(text, &why) && why.find(reason) != std::string::npos;
  };
  CHECK(rejects("shop.example/hook", "expected an absolute URL"));
  CHECK(rejects("ftp://shop.example/", "unsupported scheme 'ftp'"));
  CHECK(rejects("https://user:pw@shop.example/", "user:password@"));
  CHECK(rejects("https://shop.example/a#frag", "fragment"));
  CHECK(rejects("https://shop.example:0/", "port must be"));
  CHECK(rejects("https://shop.example:80a/", "port must be"));
  CHECK(rejects("https://shop.example:/", "empty port"));
  CHECK(rejects("https:///path", "has no host"));
  CHECK(rejects("https://sh%op/", "invalid host"));
  CHECK(rejects("https://shop.example/a b", "spaces"));
  CHECK(rejects("http://::1:80/", "needs brackets"));
  CHECK(rejects("http://[::1/", "missing ']'"));
}

TEST_CASE("notify: Retry-After seconds and body excerpts") {
  CHECK(parse_retry_after("120") == 120);
  CHECK(parse_retry_after(" 0 ") == 0);
  CHECK(parse_retry_after("") == std::nullopt);
  CHECK(parse_retry_after("-5") == std::nullopt);
  CHECK(parse_retry_after("1.5") == std::nullopt);
  CHECK(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT") == std::nullopt);
  CHECK(body_excerpt("line one\r\nline two") == "line one line two");
  CHECK(body_excerpt(std::string(200, 'x')) == std::string(119, 'x') + "…");
  CHECK(body_excerpt("\xFF\xFE\x00", 10) == "(2 bytes, not UTF-8)");
}

TEST_CASE("notify: url_encode keeps only unreserved characters") {
  CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(url_encode("a b&c=d/e?f#g") == "a%20b%26c%3Dd%2Fe%3Ff%23g");
  CHECK(url_encode("券") == "%E5%88%B8");
  CHECK(url_encode("") == "");
}

TEST_CASE("notify: webhook survives the receiver closing an idle keep-alive connection") {
  test::LogCapture logs;
  Gateway gateway;  // the mock closes idle connections after 1 s
  const auto channel = test::build_one("shop", webhook_yaml(gateway.url("/ok")));
  CHECK(channel->send(sample_message()).kind == Outcome::Kind::kDelivered);
  std::this_thread::sleep_for(milliseconds(1300));
  CHECK(channel->send(sample_message()).kind == Outcome::Kind::kDelivered);
  const auto received = gateway.received();
  REQUIRE(received.size() == 2);
  CHECK(received[0].remote_port != received[1].remote_port);
}

}  // namespace replenish::notify
