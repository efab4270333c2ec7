// Redemptions: a coupon_code on an ingested order line, and POST /v1/events/coupon.
#include <doctest/doctest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "api/server.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

const char* kConfig = R"(
server:
  tokens:
    - {name: shop, token: "shop-token-0123456789", scopes: [ingest]}
    - {name: viewer, token: "read-token-0123456789", scopes: [read]}
merchant: {timezone: Asia/Shanghai}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
channels:
  log: {type: log}
)";

const core::EpochSeconds kIssued = *core::parse_timestamp("2024-03-01T10:00:00+08:00");
const core::EpochSeconds kExpires = *core::parse_timestamp("2024-03-08T00:00:00+08:00");

store::CouponRecord coupon_of(const std::string& code, const std::string& user,
                              std::int64_t reminder) {
  store::CouponRecord c;
  c.code = code;
  c.rule = "small";
  c.user_id = user;
  c.category = "diapers";
  c.reminder_id = reminder;
  c.source = "local";
  c.value_text = "满50减5元";
  c.issued_at = kIssued;
  c.expires_at = kExpires;
  return c;
}

core::OrderLine line(const std::string& order, const std::string& user, core::EpochSeconds at,
                     const std::string& coupon_code) {
  core::OrderLine l;
  l.order_id = order;
  l.line = 1;
  l.user_id = user;
  l.sku = "S1";
  l.category = "母婴";
  l.subcategory = "纸尿裤";
  l.quantity = 1;
  l.ordered_at = at;
  l.coupon_code = coupon_code;
  return l;
}

struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg =
      std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{*core::parse_timestamp("2024-03-04T12:00:00+08:00"), 0};
  plan::Engine engine{cfg, store, clock};

  Fixture() {
    for (const auto& [code, user, reminder] :
         {std::tuple{"RP-AAAA-BBBB", "u1", 1}, std::tuple{"RP-CCCC-DDDD", "u2", 2},
          std::tuple{"RP-EEEE-FFFF", "u3", 3}}) {
      REQUIRE(store.issue_coupon(coupon_of(code, user, reminder), store::CouponLimits{}).decision ==
              store::CouponDecision::kIssued);
    }
  }
};

}  // namespace

TEST_CASE("coupon redemption: an ingested order line's coupon_code marks the coupon redeemed") {
  Fixture f;
  const auto at = *core::parse_timestamp("2024-03-03T18:30:00+08:00");
  const auto s = f.engine.ingest({line("o-1", "u1", at, "rp-aaaa-bbbb"),
                                  line("o-2", "u2", at, "SHOP-ELSEWHERE"),
                                  line("o-3", "u3", kExpires + 60, "RP-EEEE-FFFF")});
  CHECK(s.stored == 3);
  CHECK(s.coupons_redeemed == 1);
  const auto c = f.store.coupon("RP-AAAA-BBBB");
  REQUIRE(c);
  CHECK(c->redeemed_at == at);
  CHECK(c->redeemed_order == "o-1");
  CHECK_FALSE(f.store.coupon("RP-CCCC-DDDD")->redeemed_at);
  CHECK_FALSE(f.store.coupon("RP-EEEE-FFFF")->redeemed_at);  // ordered after it expired

  // The same line again is a duplicate; a conflicting version (another coupon) is not stored
  // and redeems nothing.
  auto conflicting = line("o-1", "u1", at, "RP-CCCC-DDDD");
  conflicting.quantity = 3;
  const auto again = f.engine.ingest({line("o-1", "u1", at, "rp-aaaa-bbbb"), conflicting});
  CHECK(again.duplicates == 1);
  CHECK(again.conflicts == 1);
  CHECK(again.coupons_redeemed == 0);
  CHECK(f.store.coupon("RP-AAAA-BBBB")->redeemed_order == "o-1");
  CHECK_FALSE(f.store.coupon("RP-CCCC-DDDD")->redeemed_at);
}

namespace {

struct ApiFixture : Fixture {
  std::unique_ptr<api::Server> server;
  std::thread thread;
  int port = 0;

  ApiFixture() {
    api::Services s;
    s.engine = &engine;
    s.store = &store;
    s.clock = &clock;
    server = std::make_unique<api::Server>(s, cfg);
    port = server->bind("127.0.0.1", 0);
    thread = std::thread([this] { server->serve(); });
    testing::eventually([this] { return server->running(); });
    server->set_ready(true);
  }
  ~ApiFixture() {
    server->stop();
    thread.join();
  }
  httplib::Result post(const json& body, const std::string& token = "shop-token-0123456789") {
    httplib::Client c("127.0.0.1", port);
    c.set_tcp_nodelay(true);
    c.set_bearer_token_auth(token);
    return c.Post("/v1/events/coupon", body.dump(), "application/json");
  }
};

}  // namespace

TEST_CASE("coupon redemption: POST /v1/events/coupon answers 200, 404, 409 and 400") {
  ApiFixture f;
  auto ok = f.post({{"code", "rp-aaaa-bbbb"},
                    {"order_id", "o-77"},
                    {"redeemed_at", "2024-03-02T09:15:00+08:00"}});
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto body = json::parse(ok->body);
  CHECK(body["status"] == "redeemed");
  CHECK(body["coupon"]["code"] == "RP-AAAA-BBBB");
  CHECK(body["coupon"]["redeemed_order"] == "o-77");
  CHECK(body["coupon"]["redeemed_at"] == "2024-03-02T01:15:00Z");
  CHECK(body["coupon"]["expires_at"] == "2024-03-07T16:00:00Z");
  CHECK(f.store.coupon("RP-AAAA-BBBB")->redeemed_at ==
        *core::parse_timestamp("2024-03-02T09:15:00+08:00"));

  auto twice = f.post({{"code", "RP-AAAA-BBBB"}, {"order_id", "o-78"}});
  REQUIRE(twice);
  CHECK(twice->status == 409);
  CHECK(twice->get_header_value("Content-Type") == "application/problem+json");
  body = json::parse(twice->body);
  CHECK(body["reason"] == "already_redeemed");
  CHECK(body["coupon"]["redeemed_order"] == "o-77");

  auto unknown = f.post({{"code", "RP-ZZZZ-ZZZZ"}, {"order_id", "o-79"}});
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->get_header_value("Content-Type") == "application/problem+json");

  auto expired =
      f.post({{"code", "RP-CCCC-DDDD"}, {"order_id", "o-80"}, {"redeemed_at", kExpires}});
  REQUIRE(expired);
  CHECK(expired->status == 409);
  CHECK(json::parse(expired->body)["reason"] == "expired");
  CHECK_FALSE(f.store.coupon("RP-CCCC-DDDD")->redeemed_at);

  // Without redeemed_at the daemon's clock is the time.
  auto now = f.post({{"code", "RP-CCCC-DDDD"}, {"order_id", "o-81"}});
  REQUIRE(now);
  CHECK(now->status == 200);
  CHECK(f.store.coupon("RP-CCCC-DDDD")->redeemed_at == f.clock.now());

  for (const auto& bad :
       {json{{"order_id", "o"}}, json{{"code", "RP-EEEE-FFFF"}},
        json{{"code", 5}, {"order_id", "o"}},
        json{{"code", "RP-EEEE-FFFF"}, {"order_id", "o"}, {"redeemed_at", "soon"}},
        json{{"code", "RP-EEEE-FFFF"}, {"order_id", "o"}, {"extra", 1}}, json::array()}) {
    auto r = f.post(bad);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  CHECK_FALSE(f.store.coupon("RP-EEEE-FFFF")->redeemed_at);

  auto forbidden = f.post({{"code", "RP-EEEE-FFFF"}, {"order_id", "o"}}, "read-token-0123456789");
  REQUIRE(forbidden);
  CHECK(forbidden->status == 403);
}
