// Black-box tests of the running daemon's operations: SIGHUP reload (good and bad config),
// SIGTERM draining, tokens and scopes, erasing a user, replenishctl against the daemon, and an
// online backup taken while orders keep arriving.
#include <doctest/doctest.h>
#include <httplib.h>

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/time.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

constexpr const char* kAdmin = "ops-admin-token-0123456789";
constexpr const char* kReader = "ops-read-token-0123456789";
constexpr const char* kShop = "ops-shop-token-0123456789";
constexpr std::int64_t kDay = 86400;
const core::EpochSeconds kDay0 = *core::parse_timestamp("2024-03-01T00:00:00+08:00");

/// A webhook receiver on an ephemeral port; each request may be held `delay_ms`.
class Receiver {
 public:
  explicit Receiver(int delay_ms = 0) : delay_ms_(delay_ms) {
    server_.set_tcp_nodelay(true);
    server_.Post(R"(/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
      started_.fetch_add(1);
      if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      {
        std::lock_guard lock(mu_);
        got_.push_back({req.matches[1], req.get_header_value("Idempotency-Key")});
      }
      res.set_content(R"({"ok":true})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    testing::eventually([this] { return server_.is_running(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int started() const { return started_.load(); }
  /// (path, idempotency key) of every finished request.
  std::vector<std::pair<std::string, std::string>> got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  int delay_ms_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> started_{0};
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> got_;
};

struct Options {
  std::string listen = "127.0.0.1:0";
  int batch = 100;
  int concurrency = 4;
  bool formula = false;  ///< a second category with its own channel
  std::string extra;     ///< appended YAML
};

std::string config_yaml(const std::string& db, int hook_port, const Options& o = {}) {
  std::string yaml = fmt::format(R"(
server:
  listen: "{}"
  tokens:
    - {{name: operator, token: "{}", scopes: [admin]}}
    - {{name: viewer, token: "{}", scopes: [read]}}
    - {{name: shop, token: "{}", scopes: [ingest]}}
store: {{path: "{}"}}
clock: {{mode: simulated, start: "2024-03-22T08:00:00+08:00", speed: 0}}
merchant: {{name: 邻家小铺, timezone: Asia/Shanghai}}
dispatch: {{tick_ms: 50, batch: {}, concurrency: {}}}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{{category: [母婴], include: 纸尿裤}}]
    default_cycle_days: 12
    lead_days: 2
)",
                                 o.listen, kAdmin, kReader, kShop, db, o.batch, o.concurrency);
  if (o.formula) {
    yaml += R"(  - slug: formula
    name: 奶粉
    match: [{category: [母婴], include: 奶粉}]
    default_cycle_days: 12
    lead_days: 2
    channels: [formula_hook]
)";
  }
  yaml += fmt::format(R"(channels:
  hook:
    type: webhook
    url: "http://127.0.0.1:{0}/hook"
    secret: "integration-secret-0123456789"
    timeout_ms: 5000
)",
                      hook_port);
  if (o.formula) {
    yaml += fmt::format(R"(  formula_hook:
    type: webhook
    url: "http://127.0.0.1:{0}/formula"
    secret: "integration-secret-0123456789"
    timeout_ms: 5000
)",
                        hook_port);
  }
  yaml += "default_channels: [hook]\n" + o.extra;
  return yaml;
}

json order(const std::string& id, const std::string& user, std::int64_t day,
           const std::string& product = "帮宝适纸尿裤 L码") {
  return {{"order_id", id},     {"line", 1},
          {"user_id", user},    {"sku", "SKU-" + product.substr(0, 3)},
          {"category", "母婴"}, {"subcategory", product},
          {"quantity", 1},      {"ordered_at", core::format_utc(kDay0 + day * kDay + 12 * 3600)}};
}

class Api {
 public:
  Api(int port, const std::string& token) : client_("127.0.0.1", port) {
    client_.set_tcp_nodelay(true);
    if (!token.empty()) client_.set_bearer_token_auth(token);
  }
  httplib::Result raw_get(const std::string& path) { return client_.Get(path); }
  json post(const std::string& path, const json& body, int expect = 200) {
    auto res = client_.Post(path, body.dump(), "application/json");
    REQUIRE(res);
    CHECK_MESSAGE(res->status == expect, res->body);
    return json::parse(res->body);
  }
  json put(const std::string& path, const json& body) {
    auto res = client_.Put(path, body.dump(), "application/json");
    REQUIRE(res);
    CHECK_MESSAGE(res->status == 200, res->body);
    return json::parse(res->body);
  }
  json get(const std::string& path) {
    auto res = client_.Get(path);
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 200, res->body);
    return json::parse(res->body);
  }
  /// Moves the simulated clock to local `hour` of `day`.
  void advance_to(std::int64_t day, int hour) {
    const auto t = *core::parse_timestamp(get("/v1/status")["now"].get<std::string>());
    const auto target = kDay0 + day * kDay + hour * 3600;
    REQUIRE(target >= t);
    post("/v1/admin/clock", {{"advance_seconds", target - t}});
  }

 private:
  httplib::Client client_;
};

struct Daemon {
  testing::TempDir& dir;
  std::unique_ptr<testing::Process> process;
  int port = 0;
  Daemon(testing::TempDir& d, const std::string& config) : dir(d) {
    std::filesystem::remove(dir.file("port"));
    process = std::make_unique<testing::Process>(
        REPLENISHD_PATH,
        std::vector<std::string>{"--config", config, "--port-file", dir.file("port")},
        dir.file("daemon.log"));
    port = testing::wait_for_port(dir.file("port"), std::chrono::seconds(20));
    REQUIRE_MESSAGE(port > 0, process->output());
  }
  std::string log() const { return process->output(); }
};

std::int64_t count(store::Connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  return st.step() ? st.int64(0) : -1;
}

testing::RunResult ctl(testing::TempDir& dir, const std::vector<std::string>& args) {
  return testing::run(REPLENISHCTL_PATH, args, dir.path().string());
}

}  // namespace

TEST_CASE("integration: SIGHUP swaps in a good config and keeps the old one on a bad config") {
  testing::TempDir dir;
  Receiver receiver;
  const auto db = dir.file("r.db");
  const auto cfg = dir.write("replenishd.yaml", config_yaml(db, receiver.port()));
  Daemon d(dir, cfg);
  Api api(d.port, kAdmin);

  // Formula is no periodic category yet: nothing is planned.
  auto r = api.post("/v1/orders", json::array({order("f1", "u1", 0, "飞鹤奶粉 3段"),
                                               order("f2", "u1", 10, "飞鹤奶粉 3段")}));
  CHECK(r["stored"] == 2);
  CHECK(r["planned"] == 0);

  // A good config: a new category with a new channel.
  Options with_formula;
  with_formula.formula = true;
  dir.write("replenishd.yaml", config_yaml(db, receiver.port(), with_formula));
  d.process->signal(SIGHUP);
  REQUIRE_MESSAGE(testing::eventually(
                      [&] { return d.log().find("event=config_reloaded") != std::string::npos; }),
                  d.log());
  r = api.post("/v1/orders", json::array({order("g1", "u2", 0, "飞鹤奶粉 3段"),
                                          order("g2", "u2", 10, "飞鹤奶粉 3段"),
                                          order("g3", "u2", 20, "飞鹤奶粉 3段")}));
  CHECK(r["planned"] == 1);
  // Its reminder (need day 30, two days' lead: day 28, 10:00) goes out through the new channel.
  api.advance_to(28, 11);
  REQUIRE_MESSAGE(testing::eventually([&] { return !receiver.got().empty(); }), d.log());
  CHECK(receiver.got()[0].first == "formula");

  // A bad config: an unknown key and a bad value. The old config stays; the reason is logged.
  const std::string bad =
      config_yaml(db, receiver.port(), with_formula) + "dispatch_typo: {tick_ms: 50}\n";
  dir.write("replenishd.yaml", bad);
  d.process->signal(SIGHUP);
  REQUIRE_MESSAGE(testing::eventually([&] {
                    return d.log().find("event=config_reload_failed") != std::string::npos;
                  }),
                  d.log());
  CHECK(d.log().find("dispatch_typo") != std::string::npos);
  CHECK(d.log().find("kept=old") != std::string::npos);
  // Still serving, with the formula category of the last good config.
  CHECK(api.get("/v1/status")["version"].is_string());
  r = api.post("/v1/orders", json::array({order("h1", "u3", 25, "飞鹤奶粉 3段"),
                                          order("h2", "u3", 27, "飞鹤奶粉 3段")}));
  CHECK(r["planned"] == 1);

  d.process->signal(SIGTERM);
  CHECK(d.process->wait() == 0);
}

TEST_CASE("integration: SIGTERM lets in-flight sends finish and claims nothing more") {
  testing::TempDir dir;
  Receiver slow(1500);
  const auto db = dir.file("r.db");
  Options o;
  o.batch = 2;
  o.concurrency = 2;
  const auto cfg = dir.write("replenishd.yaml", config_yaml(db, slow.port(), o));
  Daemon d(dir, cfg);
  Api api(d.port, kAdmin);
  json batch = json::array();
  for (int u = 0; u < 6; ++u) {
    batch.push_back(order(fmt::format("a{}", u), fmt::format("u{}", u), 0));
    batch.push_back(order(fmt::format("b{}", u), fmt::format("u{}", u), 10));
    batch.push_back(order(fmt::format("c{}", u), fmt::format("u{}", u), 20));
  }
  CHECK(api.post("/v1/orders", batch)["planned"] == 6);
  api.advance_to(28, 11);  // all six are due
  REQUIRE_MESSAGE(testing::eventually([&] { return slow.started() >= 1; }), d.log());
  d.process->signal(SIGTERM);
  CHECK(d.process->wait(std::chrono::seconds(30)) == 0);
  const std::string log = d.log();
  CHECK(log.find("event=shutdown signal=SIGTERM") != std::string::npos);

  // The first batch (two, in flight at the signal) finished and was recorded; the other four
  // were never claimed.
  CHECK(slow.got().size() == 2);
  store::Connection c(db, false, false);
  CHECK(count(c, "SELECT COUNT(*) FROM reminders WHERE state = 'sent'") == 2);
  CHECK(count(c, "SELECT COUNT(*) FROM reminders WHERE state = 'sending'") == 0);
  CHECK(count(c, "SELECT COUNT(*) FROM reminders WHERE state = 'planned' AND attempts = 0") == 4);
  CHECK(count(c, "SELECT COUNT(*) FROM attempts") == 2);
}

TEST_CASE("integration: no token 401, wrong scope 403, right scope 200, as problem+json") {
  testing::TempDir dir;
  const auto cfg = dir.write("replenishd.yaml", config_yaml(dir.file("r.db"), 9));
  Daemon d(dir, cfg);
  struct Case {
    std::string token;
    std::string method;
    std::string path;
    int status;
  };
  const std::vector<Case> cases{
      {"", "GET", "/v1/status", 401},
      {"", "GET", "/metrics", 401},
      {"not-a-token-at-all-000", "GET", "/v1/status", 401},
      {kShop, "GET", "/v1/status", 403},
      {kShop, "GET", "/metrics", 403},
      {kReader, "POST", "/v1/orders", 403},
      {kReader, "DELETE", "/v1/users/u1", 403},
      {kShop, "POST", "/v1/reminders/1/resend", 403},
      {kReader, "GET", "/v1/status", 200},
      {kReader, "GET", "/metrics", 200},
      {kReader, "GET", "/v1/reminders", 200},
      {kShop, "POST", "/v1/orders", 200},
      {kAdmin, "DELETE", "/v1/users/u1", 200},
  };
  for (const auto& c : cases) {
    CAPTURE(c.token);
    CAPTURE(c.method);
    CAPTURE(c.path);
    httplib::Client client("127.0.0.1", d.port);
    httplib::Headers h;
    if (!c.token.empty()) h.emplace("Authorization", "Bearer " + c.token);
    auto res = c.method == "GET"    ? client.Get(c.path, h)
               : c.method == "POST" ? client.Post(c.path, h, "[]", "application/json")
                                    : client.Delete(c.path, h);
    REQUIRE(res);
    CHECK(res->status == c.status);
    if (c.status >= 400) {
      CHECK(res->get_header_value("Content-Type") == "application/problem+json");
      const auto body = json::parse(res->body);
      CHECK(body["status"] == c.status);
      CHECK(body["title"] == (c.status == 401 ? "Unauthorized" : "Forbidden"));
    }
    if (c.path == "/metrics" && c.status == 200) {
      CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
      CHECK(res->body.find("replenish_build_info{version=\"") != std::string::npos);
    }
  }
  // The token never appears in the log.
  d.process->signal(SIGTERM);
  CHECK(d.process->wait() == 0);
  for (const char* t : {kAdmin, kReader, kShop, "not-a-token-at-all-000"}) {
    CHECK(d.log().find(t) == std::string::npos);
  }
}

TEST_CASE("integration: erasing a user removes their rows, keeps others', logs only a hash") {
  testing::TempDir dir;
  Receiver receiver;
  const auto db = dir.file("r.db");
  const auto cfg = dir.write("replenishd.yaml", config_yaml(db, receiver.port()));
  Daemon d(dir, cfg);
  Api api(d.port, kAdmin);
  api.post("/v1/orders",
           json::array({order("a1", "alice", 0), order("a2", "alice", 10), order("a3", "alice", 20),
                        order("b1", "bob", 0), order("b2", "bob", 10), order("b3", "bob", 20)}));
  for (const std::string u : {"alice", "bob"}) {
    api.put("/v1/users/" + u, {{"openid", "oOPENID-" + u}, {"tz", "Asia/Shanghai"}});
    api.post("/v1/users/" + u + "/consents", {{"template_id", "T1"}, {"count", 2}});
  }
  api.advance_to(28, 11);  // both reminders go out: attempts rows exist
  REQUIRE(testing::eventually([&] { return receiver.got().size() == 2; }));
  REQUIRE(testing::eventually([&] { return api.get("/v1/reminders?state=sent")["count"] == 2; }));

  const std::string url = fmt::format("http://127.0.0.1:{}", d.port);
  auto run = ctl(dir, {"--url", url, "--token", kAdmin, "users", "erase", "alice"});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--yes") != std::string::npos);
  run = ctl(dir, {"--url", url, "--token", kAdmin, "users", "erase", "alice", "--yes"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("user erased (sha256:") != std::string::npos);

  store::Connection c(db, false, false);
  for (const std::string table : {"orders", "pairs", "reminders", "users", "consents"}) {
    CAPTURE(table);
    CHECK(count(c, "SELECT COUNT(*) FROM " + table + " WHERE user_id = 'alice'") == 0);
    CHECK(count(c, "SELECT COUNT(*) FROM " + table + " WHERE user_id = 'bob'") > 0);
  }
  CHECK(count(c,
              "SELECT COUNT(*) FROM attempts a JOIN reminders r ON r.id = a.reminder_id "
              "WHERE r.user_id = 'bob'") == 1);
  CHECK(count(c, "SELECT COUNT(*) FROM attempts") == 1);
  CHECK(count(c,
              "SELECT COUNT(*) FROM audit WHERE action = 'user_erased' AND actor = "
              "'operator' AND subject LIKE 'sha256:%'") == 1);
  CHECK(count(c,
              "SELECT COUNT(*) FROM audit WHERE subject LIKE '%alice%' OR detail LIKE "
              "'%alice%'") == 0);
  // GET of the erased user: nothing known.
  CHECK(api.raw_get("/v1/users/alice")->status == 404);

  const std::string log = d.log();
  const auto at = log.find("event=user_erased");
  REQUIRE(at != std::string::npos);
  const std::string line = log.substr(at, log.find('\n', at) - at);
  CHECK(line.find("user_hash=sha256:") != std::string::npos);
  CHECK(line.find("alice") == std::string::npos);
  // No openid in clear anywhere in the log.
  CHECK(log.find("oOPENID-") == std::string::npos);
  d.process->signal(SIGTERM);
  CHECK(d.process->wait() == 0);
}

TEST_CASE("integration: replenishctl finds the daemon through the config, exit 3 when it is down") {
  testing::TempDir dir;
  Receiver receiver;
  const auto db = dir.file("r.db");
  const auto cfg = dir.write("replenishd.yaml", config_yaml(db, receiver.port()));
  Daemon d(dir, cfg);
  Api api(d.port, kAdmin);
  api.post("/v1/orders",
           json::array({order("a1", "u1", 0), order("a2", "u1", 10), order("a3", "u1", 20),
                        order("b1", "u2", 0), order("b2", "u2", 10), order("b3", "u2", 20)}));
  // The operator's config names the port the daemon got; the token is the config's admin one.
  Options o;
  o.listen = fmt::format("127.0.0.1:{}", d.port);
  const auto ctl_cfg = dir.write("ctl.yaml", config_yaml(db, receiver.port(), o));

  auto run = ctl(dir, {"--config", ctl_cfg, "status"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("schema version") != std::string::npos);
  CHECK(run.out.find("planned 2") != std::string::npos);

  run = ctl(dir, {"--config", ctl_cfg, "reminders", "list", "--json", "--user", "u1"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  const auto list = json::parse(run.out);
  REQUIRE(list["count"] == 1);
  const auto id = list["reminders"][0]["id"].get<std::int64_t>();
  const std::string key = list["reminders"][0]["key"];
  CHECK(list["reminders"][0]["due_at"] == "2024-03-29T02:00:00Z");

  run = ctl(dir, {"--config", ctl_cfg, "reminders", "snooze", std::to_string(id), "--for", "9d"});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  // Snoozed from now (2024-03-22 08:00 +08:00) by nine days.
  CHECK(api.get("/v1/reminders/" + std::to_string(id))["due_at"] == "2024-03-31T00:00:00Z");
  run = ctl(dir, {"--config", ctl_cfg, "reminders", "snooze", std::to_string(id), "--for", "soon"});
  CHECK(run.exit_code == 2);

  // Delivered after its snoozed time (08:00 local, in quiet hours: at 10:00, when the send
  // window opens; u2's went out on day 28), then resent: the gateway sees a new idempotency key.
  api.advance_to(30, 11);
  REQUIRE_MESSAGE(testing::eventually([&] { return receiver.got().size() >= 2; }), d.log());
  REQUIRE(testing::eventually(
      [&] { return api.get("/v1/reminders/" + std::to_string(id))["state"] == "sent"; }));
  run = ctl(dir, {"--config", ctl_cfg, "reminders", "resend", std::to_string(id)});
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("a new one") != std::string::npos);
  REQUIRE_MESSAGE(testing::eventually([&] { return receiver.got().size() >= 3; }), d.log());
  int with_key = 0, with_new_key = 0;
  for (const auto& [path, k] : receiver.got()) {
    with_key += k == key ? 1 : 0;
    with_new_key += k == key + ".r1" ? 1 : 0;
  }
  CHECK(with_key == 1);
  CHECK(with_new_key == 1);

  // An unknown reminder: exit 1 with the daemon's reason.
  run = ctl(dir, {"--config", ctl_cfg, "reminders", "cancel", "999999"});
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("404") != std::string::npos);

  d.process->signal(SIGTERM);
  CHECK(d.process->wait() == 0);
  run = ctl(dir, {"--config", ctl_cfg, "status"});
  CHECK(run.exit_code == 3);
  CHECK(run.err.find("cannot reach the daemon") != std::string::npos);
}

TEST_CASE("integration: a backup taken while orders arrive is one consistent point in time") {
  testing::TempDir dir;
  const auto db = dir.file("r.db");
  const auto cfg = dir.write("replenishd.yaml", config_yaml(db, 9));
  Daemon d(dir, cfg);
  Api api(d.port, kAdmin);
  // Orders o000001, o000002, … one per request, in order, for 40 users.
  std::atomic<int> posted{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 1; !stop.load() && i < 100000; ++i) {
      const auto o = order(fmt::format("o{:06d}", i), fmt::format("u{}", i % 40), i % 30);
      httplib::Client c("127.0.0.1", d.port);
      c.set_bearer_token_auth(kShop);
      auto res = c.Post("/v1/orders", o.dump(), "application/json");
      if (!res || res->status != 200) break;
      posted.store(i);
    }
  });
  REQUIRE(testing::eventually([&] { return posted.load() >= 300; }, std::chrono::seconds(60)));
  const int before = posted.load();
  // Small steps with pauses: the copy takes a while, and writes go on meanwhile.
  auto run = ctl(
      dir, {"--db", db, "backup", dir.file("copy.db"), "--step-pages", "2", "--pause-ms", "10"});
  const int after = posted.load();
  stop = true;
  writer.join();
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("quick_check ok") != std::string::npos);
  CHECK(run.err.empty());  // no progress output when stderr is not a terminal
  CHECK_MESSAGE(after > before, "no write happened during the backup");

  store::Connection copy(dir.file("copy.db"), false, false);
  auto ic = copy.prepare("PRAGMA integrity_check");
  REQUIRE(ic.step());
  CHECK(ic.text(0) == "ok");
  const auto n = count(copy, "SELECT COUNT(*) FROM orders");
  CHECK(n >= before);
  CHECK(n <= after + 1);
  // A point in time: exactly the first n orders, each with its user's model state.
  {
    auto st = copy.prepare("SELECT MAX(order_id) FROM orders");
    REQUIRE(st.step());
    CHECK(st.text(0) == fmt::format("o{:06d}", n));
  }
  CHECK(count(copy, "SELECT COUNT(*) FROM (SELECT DISTINCT user_id, periodic FROM orders)") ==
        count(copy, "SELECT COUNT(*) FROM pairs"));
  CHECK(count(copy, "SELECT SUM(purchases) FROM pairs") > 0);
  CHECK(count(copy,
              "SELECT COUNT(*) FROM reminders r WHERE NOT EXISTS (SELECT 1 FROM orders o "
              "WHERE o.user_id = r.user_id)") == 0);

  // The copy restores: a store opens it at the current schema, and the daemon serves it.
  {
    store::SqliteStore restored(dir.file("copy.db"));
    CHECK(restored.order_count() == n);
  }
  d.process->signal(SIGTERM);
  CHECK(d.process->wait() == 0);
  testing::TempDir dir2;
  std::filesystem::copy_file(dir.file("copy.db"), dir2.file("restored.db"));
  const auto cfg2 = dir2.write("replenishd.yaml", config_yaml(dir2.file("restored.db"), 9));
  Daemon d2(dir2, cfg2);
  CHECK(Api(d2.port, kAdmin).get("/v1/status")["orders"] == n);
  d2.process->signal(SIGTERM);
  CHECK(d2.process->wait() == 0);
}

TEST_CASE("integration: the daemon applies retention on its timer and counts it in /metrics") {
  testing::TempDir dir;
  const auto db = dir.file("r.db");
  Options o;
  o.extra = "retention: {orders_days: 5, keep_lines_per_pair: 2, interval_seconds: 1}\n";
  const auto cfg = dir.write("replenishd.yaml", config_yaml(db, 9, o));
  Daemon d(dir, cfg);
  Api api(d.port, kAdmin);
  // Days 0, 10 and 20 of March; "now" is March 22: the first two are older than five days,
  // and the pair keeps its newest two lines, so one line goes.
  api.post("/v1/orders",
           json::array({order("a1", "u1", 0), order("a2", "u1", 10), order("a3", "u1", 20)}));
  REQUIRE_MESSAGE(testing::eventually([&] {
                    return d.log().find(
                               "event=retention_applied attempts_deleted=0 "
                               "orders_deleted=1") != std::string::npos;
                  }),
                  d.log());
  CHECK(api.get("/v1/status")["orders"] == 2);
  httplib::Client c("127.0.0.1", d.port);
  c.set_bearer_token_auth(kReader);
  auto res = c.Get("/metrics");
  REQUIRE(res);
  CHECK(res->body.find("replenish_retention_deleted_total{table=\"orders\"} 1\n") !=
        std::string::npos);
  CHECK(res->body.find("replenish_order_lines_total{result=\"stored\"} 3\n") != std::string::npos);
  CHECK(res->body.find("replenish_orders_stored 2\n") != std::string::npos);
  CHECK(res->body.find("replenish_reminders{state=\"planned\"} 1\n") != std::string::npos);
  d.process->signal(SIGTERM);
  CHECK(d.process->wait() == 0);
}
