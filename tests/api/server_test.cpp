// In-process tests of the HTTP API on an ephemeral port.
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
  max_body_bytes: 4096
  tokens:
    - {name: shop, token: "shop-token-0123456789", scopes: [ingest]}
    - {name: viewer, token: "read-token-0123456789", scopes: [read]}
    - {name: operator, token: "admin-token-0123456789", scopes: [admin]}
merchant: {timezone: Asia/Shanghai}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
channels:
  log: {type: log}
)";

struct Fixture {
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg =
      std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
  store::SqliteStore store{dir.file("r.db")};
  std::unique_ptr<core::Clock> clock_owner;
  core::Clock& clock;
  plan::Engine engine{cfg, store, clock};
  std::unique_ptr<api::Server> server;
  std::thread thread;
  int port = 0;

  // Simulated time: the day after the orders below; or the real clock.
  explicit Fixture(bool real_clock = false)
      : clock_owner(real_clock ? std::unique_ptr<core::Clock>(new core::SystemClock)
                               : std::unique_ptr<core::Clock>(new core::SimulatedClock(
                                     *core::parse_timestamp("2024-02-02T08:00:00+08:00"), 0))),
        clock(*clock_owner) {
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
  ~Fixture() {
    server->stop();
    thread.join();
  }
  httplib::Client client(const std::string& token) const {
    httplib::Client c("127.0.0.1", port);
    c.set_tcp_nodelay(true);
    if (!token.empty()) c.set_bearer_token_auth(token);
    return c;
  }
};

json order(const std::string& id, const std::string& quantity = "1") {
  return json::parse(R"({"order_id": ")" + id + R"(", "line": 1, "user_id": "u1", "sku": "S",
    "category": "母婴", "subcategory": "纸尿裤", "quantity": )" +
                     quantity + R"(, "ordered_at": "2024-02-01T10:00:00+08:00"})");
}

void check_problem(const httplib::Result& res, int status, const std::string& detail_part) {
  REQUIRE(res);
  CHECK(res->status == status);
  CHECK(res->get_header_value("Content-Type") == "application/problem+json");
  const auto body = json::parse(res->body);
  CHECK(body["status"] == status);
  CHECK(body["title"].is_string());
  CHECK_MESSAGE(body.value("detail", "").find(detail_part) != std::string::npos, res->body);
}

}  // namespace

TEST_CASE("api: orders are stored, bad rows reported by index, unknown fields named") {
  Fixture f;
  auto c = f.client("shop-token-0123456789");
  auto batch = json::array({order("o1"), order("o2", "-1"), order("o3")});
  batch[2]["gift_wrap"] = true;
  auto res = c.Post("/v1/orders", batch.dump(), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  const auto body = json::parse(res->body);
  CHECK(body["received"] == 3);
  CHECK(body["stored"] == 2);
  CHECK(body["rejected"] == 1);
  CHECK(body["planned"] == 1);
  CHECK(body["ignored_fields"] == json::array({"gift_wrap"}));
  REQUIRE(body["errors"].size() == 1);
  CHECK(body["errors"][0]["index"] == 1);
  CHECK(body["errors"][0]["reason"] == "orders[1].quantity: must be a positive number, got -1");
  CHECK(f.store.order_count() == 2);
}

TEST_CASE("api: malformed, invalid and oversized bodies are problems") {
  Fixture f;
  auto c = f.client("shop-token-0123456789");
  check_problem(c.Post("/v1/orders", "{\"order_id\": ", "application/json"), 400, "line 1");
  check_problem(c.Post("/v1/orders", json::array({order("o1", "0")}).dump(), "application/json"),
                422, "no order line in the request is valid");
  check_problem(c.Post("/v1/orders", std::string(5000, ' '), "application/json"), 413,
                "max_body_bytes");
  check_problem(c.Get("/v1/nothing-here"), 404, "no route for GET /v1/nothing-here");
  CHECK(f.store.order_count() == 0);
}

TEST_CASE("api: tokens and scopes") {
  Fixture f;
  check_problem(f.client("").Get("/v1/schedule"), 401, "Bearer");
  check_problem(f.client("not-a-known-token-0000").Get("/v1/schedule"), 401, "unknown token");
  check_problem(f.client("shop-token-0123456789").Get("/v1/schedule"), 403,
                "token 'shop' lacks the 'read' scope");
  check_problem(f.client("read-token-0123456789").Post("/v1/orders", "[]", "application/json"), 403,
                "lacks the 'ingest' scope");
  auto res = f.client("read-token-0123456789").Get("/v1/schedule");
  REQUIRE(res);
  CHECK(res->status == 200);
  res = f.client("admin-token-0123456789").Post("/v1/orders", "[]", "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  res = f.client("").Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("api: schedule, user, reminder and cancel") {
  Fixture f;
  auto shop = f.client("shop-token-0123456789");
  REQUIRE(shop.Post("/v1/orders", json::array({order("o1")}).dump(), "application/json"));
  auto admin = f.client("admin-token-0123456789");
  auto res = admin.Get("/v1/schedule?state=planned&category=diapers&limit=10");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto schedule = json::parse(res->body);
  REQUIRE(schedule["count"] == 1);
  const int id = schedule["reminders"][0]["id"];
  check_problem(admin.Get("/v1/schedule?state=bogus"), 400, "unknown state 'bogus'");
  check_problem(admin.Get("/v1/schedule?limit=0"), 400, "limit must be a number from 1 to 10000");

  res = admin.Get("/v1/users/u1");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto user = json::parse(res->body);
  CHECK(user["categories"][0]["name"] == "纸尿裤");
  CHECK(user["categories"][0]["reminders"][0]["id"] == id);
  check_problem(admin.Get("/v1/users/nobody"), 404, "no orders stored for user 'nobody'");

  check_problem(
      f.client("read-token-0123456789")
          .Post("/v1/reminders/" + std::to_string(id) + "/cancel", "", "application/json"),
      403, "admin");
  res = admin.Post("/v1/reminders/" + std::to_string(id) + "/cancel", "", "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  check_problem(
      admin.Post("/v1/reminders/" + std::to_string(id) + "/cancel", "", "application/json"), 409,
      "is cancelled");
  res = admin.Get("/v1/reminders/" + std::to_string(id));
  REQUIRE(res);
  CHECK(json::parse(res->body)["state"] == "cancelled");
  check_problem(admin.Get("/v1/reminders/99999"), 404, "no reminder 99999");
}

TEST_CASE("api: priors are refreshed on demand by an admin") {
  Fixture f;
  check_problem(
      f.client("read-token-0123456789").Post("/v1/admin/priors/refresh", "", "application/json"),
      403, "admin");
  auto res =
      f.client("admin-token-0123456789").Post("/v1/admin/priors/refresh", "", "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto body = json::parse(res->body);
  REQUIRE(body["categories"].size() == 1);
  CHECK(body["categories"][0]["category"] == "diapers");
  CHECK(body["categories"][0]["learned"] == false);  // nobody has bought yet
  CHECK(body["categories"][0]["cycle_days"].get<double>() == doctest::Approx(30.0));
}

TEST_CASE("api: only a simulated clock can be moved") {
  {
    Fixture f;
    auto admin = f.client("admin-token-0123456789");
    auto res = admin.Post("/v1/admin/clock", R"({"advance_seconds": 86400})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(json::parse(res->body)["now"] == "2024-02-03T00:00:00Z");
    check_problem(admin.Post("/v1/admin/clock", R"({"advance_seconds": -5})", "application/json"),
                  400, "non-negative integer");
  }
  Fixture real(true);
  check_problem(real.client("admin-token-0123456789")
                    .Post("/v1/admin/clock", R"({"advance_seconds": 60})", "application/json"),
                409, "simulated");
}

TEST_CASE("api: users, consents and WeChat delivery receipts") {
  Fixture f;
  auto shop = f.client("shop-token-0123456789");
  auto res = shop.Put("/v1/users/u1", R"({"openid": "oABC123", "tz": "Asia/Shanghai"})",
                      "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(f.store.user("u1")->openid == "oABC123");
  check_problem(shop.Put("/v1/users/u1", R"({"tz": "Mars/Base"})", "application/json"), 400,
                "unknown time zone");
  check_problem(shop.Put("/v1/users/u1", R"({"nickname": "x"})", "application/json"), 400,
                "unknown field 'nickname'");

  res = shop.Post("/v1/users/u1/consents", R"({"template_id": "TPL1", "count": 2})",
                  "application/json");
  REQUIRE(res);
  CHECK(json::parse(res->body)["credits"] == 2);
  CHECK(f.store.consume_consent("u1", "TPL1", 0));
  CHECK(f.store.consent_credits("u1", "TPL1") == 1);
  check_problem(shop.Post("/v1/users/u1/consents", R"({"count": 2})", "application/json"), 400,
                "template_id");

  // A reminder sent over wechat_template with msgid 200163836; the user then blocks us.
  core::Reminder r;
  r.key = "k1";
  r.user_id = "u1";
  r.category = "diapers";
  r.due_at = r.next_attempt_at = 100;
  const auto id = f.store.insert_reminder(r);
  REQUIRE(f.store.claim_due(100, 1, 60).size() == 1);
  store::AttemptRecord a;
  a.reminder_id = id;
  a.at = 101;
  a.channel = "wx";
  a.outcome = "delivered";
  a.provider_id = "200163836";
  a.new_state = core::ReminderState::kSent;
  f.store.finish_attempt(a);
  res = shop.Post(
      "/v1/events/wechat",
      R"({"Event": "TEMPLATESENDJOBFINISH", "MsgID": 200163836, "Status": "failed:user block"})",
      "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto body = json::parse(res->body);
  CHECK(body["reminder_id"] == id);
  CHECK(body["channel_opted_out"] == true);
  CHECK(f.store.reminder(id)->receipt == "failed:user block");
  CHECK(f.store.channel_opted_out("u1", "wx"));
  CHECK_FALSE(f.store.channel_opted_out("u1", "log"));
  check_problem(
      shop.Post("/v1/events/wechat", R"({"MsgID": 1, "Status": "success"})", "application/json"),
      404, "no reminder was sent with msgid 1");
  check_problem(shop.Post("/v1/events/wechat", R"({"Status": "success"})", "application/json"), 400,
                "MsgID");
}
