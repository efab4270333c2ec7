// Black-box tests of `replenishctl reminder show`, `dlq list|retry|drop` and `channel test`:
// offline on a database, and through a running daemon with --url.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "notify/support.hpp"
#include "notify/templates.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

const std::string kDemoConfig = std::string(REPLENISH_SOURCE_DIR) + "/config/demo.yaml";
constexpr const char* kToken = "ctl-dispatch-token-0123456789";
constexpr const char* kSecret = "ctl-dispatch-secret-0123456789";

/// A dead reminder in the database at `db`: one permanent attempt on channel "hook".
std::int64_t dead_reminder(const std::string& db, const std::string& key) {
  store::SqliteStore store(db);
  core::Reminder r;
  r.key = key;
  r.user_id = "u-" + key;
  r.category = "diapers";
  r.due_at = r.next_attempt_at = 1700000000;
  notify::TemplateVars vars;
  vars.shop_name = "邻家小铺";
  vars.category = "diapers";
  vars.category_name = "纸尿裤";
  vars.kind = "replenish";
  r.payload = json{{"vars", vars.to_json()}}.dump();
  const auto id = store.insert_reminder(r);
  REQUIRE(store.claim_due(1700000000, 1, 60).size() == 1);
  store::AttemptRecord a;
  a.reminder_id = id;
  a.at = 1700000005;
  a.channel = "hook";
  a.outcome = "permanent";
  a.detail = "HTTP 410: gone";
  a.ms = 37;
  a.new_state = core::ReminderState::kDead;
  store.finish_attempt(a);
  return id;
}

testing::RunResult ctl(const testing::TempDir& dir, std::vector<std::string> args) {
  return testing::run(REPLENISHCTL_PATH, args, dir.path().string());
}

}  // namespace

TEST_CASE("ctl: reminder show and dlq list|retry|drop work offline on the database") {
  testing::TempDir dir;
  const auto db = dir.file("r.db");
  const auto id = dead_reminder(db, "k1");
  const std::string sid = std::to_string(id);
  const std::vector<std::string> base{"--config", kDemoConfig, "--db", db};
  auto with = [&](std::vector<std::string> more) {
    auto all = base;
    all.insert(all.end(), more.begin(), more.end());
    return all;
  };

  auto r = ctl(dir, with({"reminder", "show", sid}));
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("state dead  attempts 1") != std::string::npos);
  CHECK(r.out.find("2023-11-15 06:13") != std::string::npos);  // the attempt, Asia/Shanghai
  CHECK(r.out.find("hook") != std::string::npos);
  CHECK(r.out.find("permanent") != std::string::npos);
  CHECK(r.out.find("HTTP 410: gone") != std::string::npos);
  r = ctl(dir, with({"--json", "reminder", "show", sid}));
  CHECK(r.exit_code == 0);
  auto j = json::parse(r.out);
  REQUIRE(j["attempt_log"].size() == 1);
  CHECK(j["attempt_log"][0]["ms"] == 37);
  CHECK(j["attempt_log"][0]["outcome"] == "permanent");
  r = ctl(dir, with({"reminder", "show", "999"}));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no reminder 999") != std::string::npos);

  r = ctl(dir, with({"dlq", "list"}));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("HTTP 410: gone") != std::string::npos);
  CHECK(r.out.find("1 dead letter(s)") != std::string::npos);
  r = ctl(dir, with({"--json", "dlq", "list"}));
  CHECK(json::parse(r.out)["reminders"][0]["id"] == id);

  r = ctl(dir, with({"dlq", "retry", sid}));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("planned again") != std::string::npos);
  {
    store::SqliteStore store(db);
    const auto back = store.reminder(id);
    CHECK(back->state == core::ReminderState::kPlanned);
    CHECK(back->attempts == 1);
    CHECK(back->key == "k1");
  }
  r = ctl(dir, with({"dlq", "retry", sid}));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("only dead reminders can be retried") != std::string::npos);

  const auto other = dead_reminder(db, "k2");
  r = ctl(dir, with({"--json", "dlq", "drop", std::to_string(other), "--reason", "moved away"}));
  CHECK(r.exit_code == 0);
  CHECK(json::parse(r.out)["state"] == "cancelled");
  store::SqliteStore store(db);
  CHECK(store.reminder(other)->state == core::ReminderState::kCancelled);
  CHECK(store.reminder(other)->last_error == "dropped by admin: moved away");
}

TEST_CASE("ctl: each dispatcher subcommand explains itself with an example, usage errors exit 2") {
  testing::TempDir dir;
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"reminder", "show", "--help"},
                                                               {"dlq", "list", "--help"},
                                                               {"dlq", "retry", "--help"},
                                                               {"dlq", "drop", "--help"},
                                                               {"channel", "test", "--help"}}) {
    const auto r = ctl(dir, cmd);
    CHECK_MESSAGE(r.exit_code == 0, cmd[0] << " " << cmd[1]);
    CHECK_MESSAGE(r.out.find("Example: replenishctl") != std::string::npos, r.out);
  }
  CHECK(ctl(dir, {"dlq", "retry"}).exit_code == 2);             // no id
  CHECK(ctl(dir, {"channel", "test", "hook"}).exit_code == 2);  // no --user
  CHECK(ctl(dir, {"dlq", "frobnicate"}).exit_code == 2);
  const auto port = notify::test::closed_port();
  const auto r = ctl(dir, {"--url", fmt::format("http://127.0.0.1:{}", port), "dlq", "list"});
  CHECK(r.exit_code == 3);
}

TEST_CASE("ctl: channel test offline sends through the configured channel") {
  testing::TempDir dir;
  const auto r = ctl(dir, {"--config", kDemoConfig, "--db", dir.file("r.db"), "channel", "test",
                           "log", "--user", "u001"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("channel log (log): delivered") != std::string::npos);
  CHECK(r.out.find("sent to user u001 (no openid)") != std::string::npos);
  const auto bad = ctl(dir, {"--config", kDemoConfig, "--db", dir.file("r.db"), "channel", "test",
                             "nope", "--user", "u001"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("no channel named 'nope'") != std::string::npos);
}

TEST_CASE("ctl: channel test and dlq retry go through the daemon with --url") {
  testing::TempDir dir;
  notify::test::Inbox inbox;
  std::atomic<int> status{200};
  notify::test::HttpMock receiver([&](httplib::Server& s) {
    s.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
      inbox.add(req);
      res.status = status;
      res.set_content(status == 200 ? R"({"id": "gw-1"})" : R"({"error": "quota"})",
                      "application/json");
    });
  });
  const auto db = dir.file("r.db");
  const auto id = dead_reminder(db, "k-dead");
  const auto cfg =
      dir.write("replenishd.yaml", fmt::format(R"(
server:
  listen: "127.0.0.1:0"
  tokens: [{{name: t, token: "{}", scopes: [admin]}}]
store: {{path: "{}"}}
logging: {{level: warn}}
dispatch: {{tick_ms: 50}}
# Any time of day: the retried send must not wait for the send window.
plan: {{send_window: {{start: "00:00", end: "00:00"}}, quiet_hours: {{start: "00:00", end: "00:00"}}}}
categories:
  - slug: diapers
    match: [{{category: [母婴]}}]
channels:
  hook: {{type: webhook, url: "{}", secret: "{}"}}
)",
                                               kToken, db, receiver.url("/hook"), kSecret));
  testing::Process daemon(REPLENISHD_PATH, {"--config", cfg, "--port-file", dir.file("port")},
                          dir.file("d.log"));
  const int port = testing::wait_for_port(dir.file("port"), std::chrono::seconds(20));
  REQUIRE_MESSAGE(port > 0, daemon.output());
  const std::vector<std::string> remote{"--url", fmt::format("http://127.0.0.1:{}", port),
                                        "--token", kToken};
  auto with = [&](std::vector<std::string> more) {
    auto all = remote;
    all.insert(all.end(), more.begin(), more.end());
    return all;
  };

  auto r = ctl(dir, with({"channel", "test", "hook", "--user", "u7"}));
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("channel hook (webhook): delivered, provider id gw-1") != std::string::npos);
  CHECK(r.out.find("gateway: HTTP 200") != std::string::npos);
  CHECK(r.out.find(kSecret) == std::string::npos);
  CHECK(r.out.find(kToken) == std::string::npos);
  REQUIRE(inbox.items().size() == 1);
  CHECK(json::parse(inbox.items()[0].body)["kind"] == "test");
  CHECK(inbox.items()[0].header("X-Replenish-Signature").rfind("sha256=", 0) == 0);

  status = 503;  // the gateway's answer is printed and the exit code says it was not delivered
  r = ctl(dir, with({"--json", "channel", "test", "hook", "--user", "u7"}));
  CHECK(r.exit_code == 1);
  const auto j = json::parse(r.out);
  CHECK(j["outcome"] == "retryable");
  CHECK(j["detail"].get<std::string>().find("HTTP 503") != std::string::npos);
  status = 200;

  r = ctl(dir, with({"dlq", "retry", std::to_string(id)}));
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(testing::eventually([&] {
    for (const auto& m : inbox.items()) {
      if (m.header("Idempotency-Key") == "k-dead") return true;
    }
    return false;
  }));
  CHECK(testing::eventually([&] {
    const auto shown = ctl(dir, with({"--json", "reminder", "show", std::to_string(id)}));
    return shown.exit_code == 0 && json::parse(shown.out)["state"] == "sent";
  }));
  r = ctl(dir, with({"--json", "reminder", "show", std::to_string(id)}));
  const auto shown = json::parse(r.out);
  REQUIRE(shown["attempt_log"].size() == 2);  // the permanent one, then the retry
  CHECK(shown["attempt_log"][1]["outcome"] == "delivered");
  CHECK(shown["attempt_log"][1]["provider_id"] == "gw-1");
  CHECK(shown["attempt_log"][1]["detail"] == "HTTP 200");
  r = ctl(dir, with({"dlq", "drop", std::to_string(id)}));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("409") != std::string::npos);

  daemon.signal(SIGTERM);
  CHECK(daemon.wait() == 0);
}
