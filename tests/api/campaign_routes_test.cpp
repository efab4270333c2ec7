// POST /v1/users/{id}/opt-out and GET /v1/stats, in process on an ephemeral port.
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
#include "support/api_fixture.hpp"
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
  - slug: detergent
    name: 洗衣液
    match: [{category: [洗衣]}]
channels:
  log: {type: log}
  hook: {type: log}
)";

struct Fixture : testing::ApiFixture {
  Fixture() : ApiFixture(kConfig, "2024-02-02T08:00:00+08:00") {}
  core::OrderLine line(const std::string& id, const std::string& user, const std::string& category,
                       const std::string& sub) {
    core::OrderLine l;
    l.order_id = id;
    l.line = 1;
    l.user_id = user;
    l.sku = "S";
    l.category = category;
    l.subcategory = sub;
    l.quantity = 1;
    l.ordered_at = *core::parse_timestamp("2024-02-01T10:00:00+08:00");
    return l;
  }
};

}  // namespace

TEST_CASE("api: opting out of every channel cancels pending reminders, of one records it") {
  Fixture f;
  f.engine.ingest({f.line("o1", "u1", "母婴", "纸尿裤"), f.line("o2", "u1", "洗衣", "洗衣液"),
                   f.line("o3", "u2", "母婴", "纸尿裤")});
  REQUIRE(f.store.pair_reminders("u1", "diapers").size() == 1);
  auto shop = f.client("shop-token-0123456789");

  auto res = shop.Post("/v1/users/u2/opt-out", R"({"channel": "hook"})", "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto body = json::parse(res->body);
  CHECK(body["channel"] == "hook");
  CHECK(body["cancelled"] == 0);
  CHECK(f.store.channel_opted_out("u2", "hook"));
  CHECK_FALSE(f.store.channel_opted_out("u2", "log"));
  CHECK(f.store.pair_reminders("u2", "diapers")[0].state == core::ReminderState::kPlanned);

  res = shop.Post("/v1/users/u1/opt-out", "", "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  body = json::parse(res->body);
  CHECK(body["channel"].is_null());
  CHECK(body["cancelled"] == 2);
  CHECK(f.store.user("u1")->opted_out);
  CHECK(f.store.pair_reminders("u1", "diapers")[0].state == core::ReminderState::kCancelled);
  CHECK(f.store.pair_reminders("u1", "detergent")[0].state == core::ReminderState::kCancelled);
  // Nothing new is planned for the user.
  auto again = f.line("o4", "u1", "母婴", "纸尿裤");
  again.ordered_at += 86400;
  f.clock.advance(86400);
  CHECK(f.engine.ingest({again}).planned == 0);

  res = shop.Post("/v1/users/u1/opt-out", R"({"channel": "sms"})", "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["detail"] == "channel: no channel named 'sms'");
  res = shop.Post("/v1/users/u1/opt-out", R"({"reason": "x"})", "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  // The read scope cannot opt users out.
  res = f.client("read-token-0123456789").Post("/v1/users/u1/opt-out", "", "application/json");
  REQUIRE(res);
  CHECK(res->status == 403);
}

TEST_CASE("api: stats answer per breakdown and refuse a bad bound") {
  Fixture f;
  f.engine.ingest({f.line("o1", "u1", "母婴", "纸尿裤"), f.line("o3", "u2", "母婴", "纸尿裤")});
  auto viewer = f.client("read-token-0123456789");
  auto res = viewer.Get("/v1/stats?since=2024-02-01&until=2024-03-01");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto body = json::parse(res->body);
  CHECK(body["since"] == "2024-01-31T16:00:00Z");
  CHECK(body["until"] == "2024-02-29T16:00:00Z");
  CHECK(body["total"]["planned"] == 2);
  CHECK(body["total"]["pending"] == 2);
  CHECK(body["total"]["sent"] == 0);
  CHECK(body["total"]["uplift"].is_null());
  CHECK(body["by_campaign"][0]["key"] == "restock");
  CHECK(body["by_segment"][0]["key"] == "new");
  res = viewer.Get("/v1/stats?since=2024-02-01&until=2024-02-02");
  REQUIRE(res);
  CHECK(json::parse(res->body)["total"]["planned"] == 0);  // due on 29 February
  res = viewer.Get("/v1/stats?since=yesterday");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["detail"].get<std::string>().find("since: 'yesterday'") == 0);
  res = f.client("shop-token-0123456789").Get("/v1/stats");
  REQUIRE(res);
  CHECK(res->status == 403);
}
