// Black-box test of the real replenishd: orders in over HTTP, the simulated clock moved
// through the admin API, reminders out to a webhook receiver running inside the test.
#include <doctest/doctest.h>
#include <httplib.h>

#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/time.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

constexpr const char* kToken = "integration-token-0123456789";
constexpr std::int64_t kDay = 86400;
// Day 0 = 2024-03-01 (Asia/Shanghai).
const core::EpochSeconds kDay0 = *core::parse_timestamp("2024-03-01T00:00:00+08:00");

struct Received {
  std::string key;
  json body;
};

/// A webhook receiver on an ephemeral port that records what it gets.
class Receiver {
 public:
  Receiver() {
    server_.set_tcp_nodelay(true);
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      got_.push_back(
          {req.get_header_value("Idempotency-Key"), json::parse(req.body, nullptr, false)});
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
  std::vector<Received> got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> got_;
};

std::string config_yaml(const std::string& db, int hook_port) {
  return fmt::format(R"(
server:
  listen: "127.0.0.1:0"
  tokens:
    - {{name: test, token: "{}", scopes: [admin]}}
store: {{path: "{}"}}
clock: {{mode: simulated, start: "2024-03-22T08:00:00+08:00", speed: 0}}
merchant: {{name: 邻家小铺, timezone: Asia/Shanghai}}
dispatch: {{tick_ms: 50, backoff_initial_seconds: 60}}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{{category: [母婴], include: 纸尿裤}}]
    default_cycle_days: 12
    lead_days: 2
channels:
  hook:
    type: webhook
    url: "http://127.0.0.1:{}/hook"
    secret: "integration-secret-0123456789"
    timeout_ms: 2000
default_channels: [hook]
)",
                     kToken, db, hook_port);
}

json order(const std::string& id, const std::string& user, std::int64_t day) {
  return {{"order_id", id},
          {"line", 1},
          {"user_id", user},
          {"sku", "DP-L64"},
          {"category", "母婴"},
          {"subcategory", "帮宝适纸尿裤 L码"},
          {"quantity", 1},
          {"ordered_at", core::format_utc(kDay0 + day * kDay + 12 * 3600)}};  // 12:00 local
}

class Api {
 public:
  explicit Api(int port) : client_("127.0.0.1", port) {
    client_.set_tcp_nodelay(true);
    client_.set_bearer_token_auth(kToken);
  }
  json post(const std::string& path, const json& body, int expect = 200) {
    auto res = client_.Post(path, body.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == expect);
    return json::parse(res->body);
  }
  json get(const std::string& path) {
    auto res = client_.Get(path);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return json::parse(res->body);
  }
  void advance_to(std::int64_t day, int hour) {
    const json now = get("/v1/status");
    const auto t = *core::parse_timestamp(now["now"].get<std::string>());
    const auto target = kDay0 + day * kDay + hour * 3600;  // local wall time
    REQUIRE(target >= t);
    post("/v1/admin/clock", {{"advance_seconds", target - t}});
  }

 private:
  httplib::Client client_;
};

}  // namespace

TEST_CASE(
    "integration: orders over HTTP become a reminder delivered on its date, and a "
    "repurchase cancels one") {
  testing::TempDir dir;
  Receiver receiver;
  const auto cfg = dir.write("replenishd.yaml", config_yaml(dir.file("r.db"), receiver.port()));
  testing::Process daemon(REPLENISHD_PATH, {"--config", cfg, "--port-file", dir.file("port")},
                          dir.file("daemon.log"));
  const int port = testing::wait_for_port(dir.file("port"), std::chrono::seconds(15));
  REQUIRE_MESSAGE(port > 0, daemon.output());
  Api api(port);

  // u1 buys every 10 days; u2 too, but will buy again early.
  const json batch =
      json::array({order("a1", "u1", 0), order("a2", "u1", 10), order("a3", "u1", 20),
                   order("b1", "u2", 0), order("b2", "u2", 10), order("b3", "u2", 20)});
  auto r = api.post("/v1/orders", batch);
  CHECK(r["stored"] == 6);
  CHECK(r["planned"] == 2);
  CHECK(r["rejected"] == 0);

  auto schedule = api.get("/v1/schedule");
  REQUIRE(schedule["count"] == 2);
  json u1_reminder, u2_reminder;
  for (const auto& rem : schedule["reminders"]) {
    (rem["user_id"] == "u1" ? u1_reminder : u2_reminder) = rem;
  }
  // Need on day 30 (10-day cycle), two days' lead: day 28 10:00 local = 02:00Z.
  CHECK(u1_reminder["due_at"] == "2024-03-29T02:00:00Z");

  // Day 25 (bought at noon, posted at 13:00): u2 buys again before the reminder's date: it is
  // cancelled, a new one planned.
  api.advance_to(25, 13);
  r = api.post("/v1/orders", json::array({order("b4", "u2", 25)}));
  CHECK(r["cancelled"] == 1);
  CHECK(r["planned"] == 1);
  const auto old_u2 = api.get("/v1/reminders/" + std::to_string(u2_reminder["id"].get<int>()));
  CHECK(old_u2["state"] == "cancelled");

  // Day 27 evening: nothing is due yet.
  api.advance_to(27, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(receiver.got().empty());

  // Day 28 11:00: u1's reminder goes out, once, with its idempotency key.
  api.advance_to(28, 11);
  REQUIRE_MESSAGE(testing::eventually([&] { return receiver.got().size() >= 1; }), daemon.output());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto got = receiver.got();
  REQUIRE_MESSAGE(got.size() == 1, daemon.output());
  CHECK(got[0].key == u1_reminder["key"]);
  CHECK(got[0].body["id"] == u1_reminder["key"]);
  CHECK(got[0].body["user_id"] == "u1");
  CHECK(got[0].body["due_at"] == "2024-03-29T02:00:00Z");
  CHECK(got[0].body["text"].get<std::string>().find("纸尿裤") != std::string::npos);
  REQUIRE(testing::eventually([&] {
    return api.get("/v1/reminders/" + std::to_string(u1_reminder["id"].get<int>()))["state"] ==
           "sent";
  }));
  for (const auto& g : receiver.got()) CHECK(g.key != u2_reminder["key"]);

  daemon.signal(SIGTERM);
  CHECK(daemon.wait() == 0);
  CHECK(daemon.output().find("event=stopped") != std::string::npos);
}

TEST_CASE("integration: the API refuses requests without a valid token") {
  testing::TempDir dir;
  const auto cfg = dir.write("replenishd.yaml", config_yaml(dir.file("r.db"), 9));
  testing::Process daemon(REPLENISHD_PATH, {"--config", cfg, "--port-file", dir.file("port")},
                          dir.file("daemon.log"));
  const int port = testing::wait_for_port(dir.file("port"), std::chrono::seconds(15));
  REQUIRE_MESSAGE(port > 0, daemon.output());
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/v1/schedule");
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK(res->get_header_value("Content-Type") == "application/problem+json");
  c.set_bearer_token_auth("wrong-token-0123456789");
  res = c.Get("/v1/schedule");
  REQUIRE(res);
  CHECK(res->status == 401);
  res = c.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait() == 0);
}
