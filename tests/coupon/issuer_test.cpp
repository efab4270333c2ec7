// coupon::Issuer with local codes and with a mock of the merchant's coupon service.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/time.hpp"
#include "coupon/codes.hpp"
#include "coupon/issuer.hpp"
#include "coupon/logging.hpp"
#include "notify/support.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using Status = coupon::IssueResult::Status;

namespace {

constexpr const char* kLocalSecret = "kitchen-shop-coupon-key-2024";
constexpr const char* kServiceSecret = "coupon-service-secret-0123456789";
const core::EpochSeconds kNow = *core::parse_timestamp("2024-03-01T10:00:00+08:00");
const core::EpochSeconds kDayStart = *core::parse_timestamp("2024-03-01T00:00:00+08:00");
constexpr core::EpochSeconds kDay = 86400;
constexpr core::EpochSeconds kWallClock = 1700000000;

std::string config_yaml(const std::string& service_url, int timeout_ms = 3000) {
  std::string y = R"(
merchant: {timezone: Asia/Shanghai}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
channels:
  log: {type: log}
coupons:
  secret_file: coupon.key
  code_prefix: RP
)";
  if (!service_url.empty()) {
    y += "  service:\n    url: " + service_url +
         "\n    secret_file: service.key\n    allow_http: true\n    timeout_ms: " +
         std::to_string(timeout_ms) + "\n";
  }
  y += R"(  rules:
    small: {kind: amount_off, value: 5, threshold: 50, validity_days: 7, budget_per_day: 2}
    plain: {kind: amount_off, value: 5}
    tenth: {kind: percent_off, value: 10, validity_days: 3}
)";
  if (!service_url.empty()) {
    y += "    remote: {kind: amount_off, value: 8, threshold: 99, validity_days: 5, "
         "source: service, budget_total: 2}\n"
         "    remote_sku: {kind: percent_off, value: 15, scope: sku, skus: [S1], "
         "source: service}\n";
  }
  return y;
}

/// Keeps the coupon log out of the test output while alive.
struct QuietLog {
  spdlog::level::level_enum before = coupon::logger()->level();
  QuietLog() { coupon::logger()->set_level(spdlog::level::off); }
  ~QuietLog() { coupon::logger()->set_level(before); }
};

struct Fixture {
  QuietLog quiet;
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg;
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock wall{kWallClock, 0};
  std::unique_ptr<coupon::Issuer> issuer;

  explicit Fixture(const std::string& service_url = "", int timeout_ms = 3000) {
    dir.write("coupon.key", std::string(kLocalSecret) + "\n");
    dir.write("service.key", kServiceSecret);
    cfg = std::make_shared<const config::Config>(config::parse_config(
        config_yaml(service_url, timeout_ms), "test.yaml", dir.path().string()));
    issuer = std::make_unique<coupon::Issuer>(cfg, store, wall);
  }

  coupon::IssueResult issue(const std::string& rule, std::int64_t reminder, const std::string& user,
                            core::EpochSeconds now = kNow) {
    const core::EpochSeconds day = kDayStart + (now - kDayStart) / kDay * kDay;
    return issuer->issue(rule, {reminder, "rmd_" + std::to_string(reminder), user, "diapers"}, now,
                         day, day + kDay);
  }
};

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

/// The merchant's coupon service: /ok answers a code per Idempotency-Key, /iso with an ISO-8601
/// expiry, /status/NNN answers NNN, /garbage a 200 without a code, /slow waits 700 ms.
class CouponService {
 public:
  CouponService()
      : mock_([this](httplib::Server& s) {
          s.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            const std::string key = req.get_header_value("Idempotency-Key");
            res.set_content(nlohmann::json{{"code", "SHOP-" + key.substr(4, key.size() - 4 - 7)},
                                           {"expires_at", 1709740800}}
                                .dump(),
                            "application/json");
          });
          s.Post("/iso", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.set_content(R"({"code":"SHOP-ISO","expires_at":"2024-03-05T00:00:00+08:00"})",
                            "application/json");
          });
          s.Post("/noexpiry", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.set_content(R"({"code":"SHOP-NOEXP"})", "application/json");
          });
          s.Post(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.status = std::stoi(req.matches[1]);
            if (res.status == 429) res.set_header("Retry-After", "30");
            res.set_content("no coupon for you", "text/plain");
          });
          s.Post("/garbage", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            res.set_content(R"({"coupon":"x"})", "application/json");
          });
          s.Post("/slow", [this](const httplib::Request& req, httplib::Response& res) {
            inbox_.add(req);
            std::unique_lock<std::mutex> lock(mutex_);
            closing_.wait_for(lock, std::chrono::milliseconds(700), [this] { return closed_; });
            res.set_content(R"({"code":"LATE"})", "application/json");
          });
        }) {}
  ~CouponService() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    closing_.notify_all();
  }

  std::string url(const std::string& path) const { return mock_.url(path); }
  std::vector<notify::test::Received> received() const { return inbox_.items(); }

 private:
  std::mutex mutex_;
  std::condition_variable closing_;
  bool closed_ = false;
  notify::test::Inbox inbox_;
  notify::test::HttpMock mock_;
};

}  // namespace

TEST_CASE("coupon: value_text in Chinese") {
  config::CouponRule r;
  r.kind = config::CouponRule::Kind::kAmountOff;
  r.value = 5;
  r.threshold = 50;
  CHECK(coupon::value_text(r) == "满50减5元");
  r.threshold = 0;
  CHECK(coupon::value_text(r) == "5元");
  r.value = 12.5;
  r.threshold = 99.9;
  CHECK(coupon::value_text(r) == "满99.9减12.5元");
  r.kind = config::CouponRule::Kind::kPercentOff;
  r.threshold = 0;
  r.value = 10;
  CHECK(coupon::value_text(r) == "9折");
  r.value = 15;
  CHECK(coupon::value_text(r) == "8.5折");
  r.value = 12;
  CHECK(coupon::value_text(r) == "8.8折");
  r.value = 50;
  r.threshold = 100;
  CHECK(coupon::value_text(r) == "满100享5折");
}

TEST_CASE("coupon issuer: a local code that verifies, its expiry and template variables") {
  Fixture f;
  const auto r = f.issue("small", 1, "u1");
  REQUIRE(r.status == Status::kIssued);
  CHECK(coupon::verify_code(kLocalSecret, "RP", r.coupon.code));
  CHECK(r.coupon.rule == "small");
  CHECK(r.coupon.value_text == "满50减5元");
  // Valid through the 7th local day (2024-03-01 .. 2024-03-07).
  CHECK(r.coupon.expires_at == *core::parse_timestamp("2024-03-08T00:00:00+08:00"));
  CHECK(r.coupon.expiry_date == "2024-03-07");
  const auto vars = r.coupon.template_vars();
  CHECK(vars["coupon_code"] == r.coupon.code);
  CHECK(vars["coupon_value"] == "满50减5元");
  CHECK(vars["coupon_expiry"] == "2024-03-07");
  const auto stored = f.store.coupon(r.coupon.code);
  REQUIRE(stored);
  CHECK(stored->source == "local");
  CHECK(stored->reminder_id == 1);
  CHECK(stored->issued_at == kNow);

  const auto pct = f.issue("tenth", 2, "u2");
  REQUIRE(pct.status == Status::kIssued);
  CHECK(pct.coupon.value_text == "9折");
  CHECK(pct.coupon.expiry_date == "2024-03-03");
}

TEST_CASE("coupon issuer: reuse on retry, one live coupon, daily budget, unknown rule") {
  Fixture f;
  const auto first = f.issue("small", 1, "u1");
  REQUIRE(first.status == Status::kIssued);
  const auto retry = f.issue("small", 1, "u1", kNow + 300);
  CHECK(retry.status == Status::kReused);
  CHECK(retry.coupon.code == first.coupon.code);
  CHECK(retry.coupon.expiry_date == "2024-03-07");
  CHECK(retry.has_coupon());

  const auto live = f.issue("plain", 2, "u1", kNow + 3600);
  CHECK(live.status == Status::kLiveCouponExists);
  CHECK_FALSE(live.has_coupon());
  CHECK(live.coupon.code == first.coupon.code);

  CHECK(f.issue("small", 3, "u3").status == Status::kIssued);
  const auto spent = f.issue("small", 4, "u4");
  CHECK(spent.status == Status::kBudgetExhausted);
  CHECK(spent.detail == "rule small has no budget left (per day 2, total 0)");
  CHECK(f.issue("small", 4, "u4", kNow + kDay).status == Status::kIssued);  // next day

  const auto unknown = f.issue("huge", 5, "u5");
  CHECK(unknown.status == Status::kPermanentError);
  CHECK(unknown.detail == "unknown coupon rule 'huge'");
}

TEST_CASE("coupon service: a signed request, the answer's code and expiry go into the ledger") {
  CouponService service;
  Fixture f(service.url("/ok"));
  const auto r = f.issue("remote", 42, "u1");
  REQUIRE(r.status == Status::kIssued);
  CHECK(r.coupon.code == "SHOP-42");
  CHECK(r.coupon.value_text == "满99减8元");
  CHECK(r.coupon.expires_at == 1709740800);  // 2024-03-07T00:00:00+08:00
  CHECK(r.coupon.expiry_date == "2024-03-06");
  const auto stored = f.store.coupon("SHOP-42");
  REQUIRE(stored);
  CHECK(stored->source == "service");
  CHECK(stored->reminder_id == 42);

  const auto received = service.received();
  REQUIRE(received.size() == 1);
  const auto& q = received.front();
  CHECK(q.path == "/ok");
  CHECK(q.header("Content-Type") == "application/json");
  CHECK(q.header("Idempotency-Key") == "rmd_42-coupon");
  CHECK(q.header("X-Replenish-Timestamp") == std::to_string(kWallClock));
  CHECK(q.header("X-Replenish-Signature") ==
        "sha256=" + hmac_hex(kServiceSecret, std::to_string(kWallClock) + "." + q.body));
  CHECK(q.header("User-Agent") == std::string("replenish/") + REPLENISH_VERSION);
  CHECK(q.body == R"({"user_id":"u1","category":"diapers","rule":"remote","kind":"amount_off",)"
                  R"("value":8,"threshold":99,"validity_days":5,"scope":"category",)"
                  R"("reminder_key":"rmd_42"})");

  // A retried send reuses the code without asking the service again.
  const auto retry = f.issue("remote", 42, "u1", kNow + 60);
  CHECK(retry.status == Status::kReused);
  CHECK(retry.coupon.code == "SHOP-42");
  CHECK(service.received().size() == 1);
}

TEST_CASE("coupon service: sku rules send their SKUs, ISO-8601 or missing expiry") {
  CouponService service;
  {
    Fixture f(service.url("/iso"));
    const auto r = f.issue("remote_sku", 7, "u1");
    REQUIRE(r.status == Status::kIssued);
    CHECK(r.coupon.code == "SHOP-ISO");
    CHECK(r.coupon.value_text == "8.5折");
    CHECK(r.coupon.expiry_date == "2024-03-04");
    const auto body = nlohmann::json::parse(service.received().back().body);
    CHECK(body["skus"] == nlohmann::json::array({"S1"}));
    CHECK(body["scope"] == "sku");
    CHECK(body["value"] == 15);
  }
  {
    Fixture f(service.url("/noexpiry"));
    const auto r = f.issue("remote", 8, "u1");
    REQUIRE(r.status == Status::kIssued);
    CHECK(r.coupon.expiry_date == "2024-03-05");  // validity_days 5 from 2024-03-01
  }
}

TEST_CASE("coupon service: 429 and 5xx are retryable, other 4xx and bad answers permanent") {
  CouponService service;
  {
    Fixture f(service.url("/status/429"));
    const auto r = f.issue("remote", 1, "u1");
    CHECK(r.status == Status::kRetryableError);
    CHECK(r.retry_after_seconds == 30);
    CHECK(r.detail == "coupon service: HTTP 429: no coupon for you");
  }
  {
    Fixture f(service.url("/status/503"));
    CHECK(f.issue("remote", 1, "u1").status == Status::kRetryableError);
  }
  {
    Fixture f(service.url("/status/400"));
    const auto r = f.issue("remote", 1, "u1");
    CHECK(r.status == Status::kPermanentError);
    CHECK(r.detail == "coupon service: HTTP 400: no coupon for you");
    CHECK(f.issue("remote", 1, "u1").status == Status::kPermanentError);
  }
  {
    Fixture f(service.url("/garbage"));
    const auto r = f.issue("remote", 1, "u1");
    CHECK(r.status == Status::kPermanentError);
    CHECK(r.detail.find("without a usable code") != std::string::npos);
  }
  CHECK(service.received().size() == 5);
}

TEST_CASE("coupon service: a timeout is retryable and records nothing") {
  CouponService service;
  Fixture f(service.url("/slow"), 200);
  const auto started = std::chrono::steady_clock::now();
  const auto r = f.issue("remote", 1, "u1");
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(r.status == Status::kRetryableError);
  CHECK(waited < std::chrono::milliseconds(650));
  CHECK_FALSE(f.store.coupon("LATE"));
  CHECK(service.received().size() == 1);
}

TEST_CASE("coupon service: budget and live-coupon checks happen before calling the service") {
  CouponService service;
  Fixture f(service.url("/ok"));
  REQUIRE(f.issue("remote", 101, "u1").status == Status::kIssued);
  REQUIRE(f.issue("remote", 102, "u2").status == Status::kIssued);
  CHECK(service.received().size() == 2);
  CHECK(f.issue("remote", 103, "u3").status == Status::kBudgetExhausted);  // budget_total 2
  CHECK(f.issue("remote", 104, "u1").status == Status::kLiveCouponExists);
  CHECK(service.received().size() == 2);
}
