// In-process tests of the dispatcher's routes: a reminder's attempts, the dead-letter list and
// its retry/drop actions, and channel tests through the live channels.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "api/server.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/support.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

constexpr const char* kSecret = "route-test-secret-0123456789";
constexpr const char* kAdmin = "admin-token-0123456789";
constexpr const char* kReader = "read-token-0123456789";

struct Fixture {
  notify::test::Inbox inbox;
  notify::test::HttpMock receiver{[this](httplib::Server& s) {
    s.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      inbox.add(req);
      res.set_content(R"({"id": "gw-7"})", "application/json");
    });
  }};
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg;
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{*core::parse_timestamp("2024-03-04T10:00:00+08:00"), 0};
  std::unique_ptr<plan::Engine> engine;
  notify::ChannelRegistry registry;
  std::unique_ptr<dispatch::Dispatcher> dispatcher;
  std::unique_ptr<api::Server> server;
  std::thread thread;
  int port = 0;

  Fixture() {
    cfg = std::make_shared<const config::Config>(
        config::parse_config(fmt::format(R"(
server:
  tokens:
    - {{name: viewer, token: "{}", scopes: [read]}}
    - {{name: operator, token: "{}", scopes: [admin]}}
merchant: {{name: 邻家小铺, timezone: Asia/Shanghai}}
dispatch: {{max_attempts: 1}}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{{category: [母婴]}}]
channels:
  hook: {{type: webhook, url: "{}", secret: "{}"}}
)",
                                         kReader, kAdmin, receiver.url("/hook"), kSecret),
                             "test"));
    engine = std::make_unique<plan::Engine>(cfg, store, clock);
    notify::register_builtin_channels(registry);
    dispatcher =
        std::make_unique<dispatch::Dispatcher>(store, clock, dispatch::make_runtime(cfg, registry));
    api::Services s;
    s.engine = engine.get();
    s.store = &store;
    s.clock = &clock;
    s.dispatcher = dispatcher.get();
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
    c.set_bearer_token_auth(token);
    return c;
  }
  std::int64_t reminder(const std::string& key, const std::string& user = "u1") {
    core::Reminder r;
    r.key = key;
    r.user_id = user;
    r.category = "diapers";
    r.due_at = r.next_attempt_at = clock.now();
    notify::TemplateVars vars;
    vars.shop_name = "邻家小铺";
    vars.category = "diapers";
    vars.category_name = "纸尿裤";
    vars.last_purchase_date = "2月20日";
    vars.predicted_date = "3月6日";
    vars.kind = "replenish";
    r.payload = json{{"vars", vars.to_json()}}.dump();
    return store.insert_reminder(r);
  }
  /// Claims `id` and records a dead outcome for it.
  void kill(std::int64_t id) {
    REQUIRE(!store.claim_due(clock.now(), 100, 60).empty());
    store::AttemptRecord a;
    a.reminder_id = id;
    a.at = clock.now();
    a.channel = "hook";
    a.outcome = "permanent";
    a.detail = "HTTP 410: gone";
    a.ms = 12;
    a.new_state = core::ReminderState::kDead;
    store.finish_attempt(a);
  }
};

json body_of(const httplib::Result& res) {
  REQUIRE(res);
  return json::parse(res->body);
}

void check_problem(const httplib::Result& res, int status, const std::string& detail_part) {
  REQUIRE(res);
  CHECK(res->status == status);
  CHECK(res->get_header_value("Content-Type") == "application/problem+json");
  const auto body = json::parse(res->body);
  CHECK_MESSAGE(body["detail"].get<std::string>().find(detail_part) != std::string::npos,
                body.dump());
}

}  // namespace

TEST_CASE("api: a reminder lists every attempt with channel, outcome, provider id and time") {
  Fixture f;
  const auto id = f.reminder("k1");
  CHECK(f.dispatcher->tick().sent == 1);
  const auto j = body_of(f.client(kReader).Get(fmt::format("/v1/reminders/{}", id)));
  CHECK(j["state"] == "sent");
  CHECK(j["payload"]["vars"]["category_name"] == "纸尿裤");
  REQUIRE(j["attempt_log"].size() == 1);
  const auto& a = j["attempt_log"][0];
  CHECK(a["channel"] == "hook");
  CHECK(a["outcome"] == "delivered");
  CHECK(a["provider_id"] == "gw-7");
  CHECK(a["detail"] == "HTTP 200");
  CHECK(a["at"] == "2024-03-04T02:00:00Z");
  CHECK(a["at_local"] == "2024-03-04 10:00");
  CHECK(a["ms"].get<std::int64_t>() >= 0);
  // A reminder not tried yet has an empty list.
  const auto other = f.reminder("k2");
  CHECK(body_of(f.client(kReader).Get(fmt::format("/v1/reminders/{}", other)))["attempt_log"] ==
        json::array());
}

TEST_CASE("api: dead letters are listed, retried (same key, attempts kept) and dropped") {
  Fixture f;
  const auto a = f.reminder("ka", "u1");
  f.kill(a);
  f.clock.advance(60);
  const auto b = f.reminder("kb", "u2");
  f.kill(b);
  const auto planned = f.reminder("kc", "u3");

  auto list = body_of(f.client(kReader).Get("/v1/dlq"));
  REQUIRE(list["count"] == 2);
  CHECK(list["reminders"][0]["id"] == b);  // most recently dead first
  CHECK(list["reminders"][1]["id"] == a);
  CHECK(list["reminders"][1]["last_error"] == "HTTP 410: gone");
  CHECK(list["reminders"][1]["attempts"] == 1);
  CHECK(list["reminders"][1]["dead_at"] == "2024-03-04T02:00:00Z");
  CHECK(body_of(f.client(kReader).Get("/v1/dlq?limit=1"))["count"] == 1);
  check_problem(f.client(kReader).Get("/v1/dlq?limit=0"), 400, "limit");

  // Retry: admin only; back to planned, due now, same key, attempts kept.
  check_problem(f.client(kReader).Post(fmt::format("/v1/dlq/{}/retry", a), "", "application/json"),
                403, "lacks the 'admin' scope");
  f.clock.advance(3600);
  auto res = f.client(kAdmin).Post(fmt::format("/v1/dlq/{}/retry", a), "", "application/json");
  const auto retried = body_of(res);
  CHECK(res->status == 200);
  CHECK(retried["state"] == "planned");
  CHECK(retried["key"] == "ka");
  auto r = f.store.reminder(a);
  CHECK(r->state == core::ReminderState::kPlanned);
  CHECK(r->attempts == 1);
  CHECK(r->next_attempt_at == f.clock.now());
  CHECK(r->key == "ka");
  check_problem(f.client(kAdmin).Post(fmt::format("/v1/dlq/{}/retry", a), "", "application/json"),
                409, "is planned, only dead reminders can be retried");
  check_problem(f.client(kAdmin).Post("/v1/dlq/99999/retry", "", "application/json"), 404,
                "no reminder 99999");
  // It goes out on the next tick with its own key.
  CHECK(f.dispatcher->tick().sent == 2);  // ka and kc
  CHECK(f.store.reminder(a)->state == core::ReminderState::kSent);
  bool saw_ka = false;
  for (const auto& m : f.inbox.items()) saw_ka = saw_ka || m.header("Idempotency-Key") == "ka";
  CHECK(saw_ka);

  // Drop: with a reason, only dead ones.
  check_problem(
      f.client(kAdmin).Post(fmt::format("/v1/dlq/{}/drop", planned), "", "application/json"), 409,
      "is sent, only dead reminders can be dropped");
  check_problem(f.client(kAdmin).Post(fmt::format("/v1/dlq/{}/drop", b), "[1]", "application/json"),
                400, "JSON object");
  res =
      f.client(kAdmin).Post(fmt::format("/v1/dlq/{}/drop", b),
                            json{{"reason", "number no longer in use"}}.dump(), "application/json");
  CHECK(body_of(res)["state"] == "cancelled");
  r = f.store.reminder(b);
  CHECK(r->state == core::ReminderState::kCancelled);
  CHECK(r->last_error == "dropped by admin: number no longer in use");
  CHECK(body_of(f.client(kReader).Get("/v1/dlq"))["count"] == 0);
}

TEST_CASE("api: a channel test sends one rendered message through the live channel") {
  Fixture f;
  f.store.upsert_user(store::UserRecord{"u9", "oid-secret-u9", "", false}, 1);
  auto res = f.client(kAdmin).Post("/v1/admin/channels/hook/test", json{{"user_id", "u9"}}.dump(),
                                   "application/json");
  const auto j = body_of(res);
  CHECK(res->status == 200);
  CHECK(j["channel"] == "hook");
  CHECK(j["type"] == "webhook");
  CHECK(j["outcome"] == "delivered");
  CHECK(j["provider_id"] == "gw-7");
  CHECK(j["detail"] == "HTTP 200");
  CHECK(j["message"]["user_id"] == "u9");
  CHECK(j["message"]["category"] == "diapers");  // no reminder: the first category, sample text
  CHECK(j["message"]["kind"] == "test");
  CHECK(j["message"]["has_openid"] == true);
  CHECK(j["message"]["text"].get<std::string>().find("纸尿裤") != std::string::npos);
  CHECK(res->body.find(kSecret) == std::string::npos);
  CHECK(res->body.find("oid-secret-u9") == std::string::npos);

  const auto got = f.inbox.items();
  REQUIRE(got.size() == 1);
  CHECK(got[0].header("Idempotency-Key") == j["message"]["key"]);
  CHECK(got[0].header("Idempotency-Key").rfind("test-hook-", 0) == 0);
  const auto sent = json::parse(got[0].body);
  CHECK(sent["kind"] == "test");
  CHECK(sent["user_id"] == "u9");
  CHECK(sent["openid"] == "oid-secret-u9");  // the gateway needs it; the operator does not
  store::ReminderFilter any;
  any.due_to = 10;
  CHECK(f.store.list_reminders(any).empty());

  // With a reminder, its own variables.
  f.reminder("k-u9", "u9");
  const auto again = body_of(f.client(kAdmin).Post(
      "/v1/admin/channels/hook/test", json{{"user_id", "u9"}}.dump(), "application/json"));
  CHECK(again["message"]["text"].get<std::string>().find("3月6日") != std::string::npos);

  check_problem(f.client(kAdmin).Post("/v1/admin/channels/nope/test",
                                      json{{"user_id", "u9"}}.dump(), "application/json"),
                404, "no channel named 'nope'");
  check_problem(f.client(kAdmin).Post("/v1/admin/channels/hook/test", "{}", "application/json"),
                400, "user_id");
  check_problem(f.client(kAdmin).Post("/v1/admin/channels/hook/test",
                                      json{{"user_id", "u9"}, {"category", "beer"}}.dump(),
                                      "application/json"),
                400, "unknown category 'beer'");
  check_problem(f.client(kReader).Post("/v1/admin/channels/hook/test",
                                       json{{"user_id", "u9"}}.dump(), "application/json"),
                403, "admin");
}
