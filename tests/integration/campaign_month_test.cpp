// A simulated month of the real replenishd with a campaign: orders replayed over HTTP as the
// simulated clock moves, messages to a webhook receiver inside the test. Checks the exact texts,
// that coupon codes verify, that nothing goes out in quiet hours (in each user's time zone),
// that the cap holds, and the stats, the control group's included.
#include <doctest/doctest.h>
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <tuple>

#include "core/time.hpp"
#include "coupon/codes.hpp"
#include "plan/segments.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

constexpr const char* kToken = "campaign-month-token-0123";
constexpr const char* kCouponKey = "campaign-month-coupon-key-01";
constexpr const char* kSalt = "month";
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kHour = 3600;
// Day 0 = 2024-03-01 (Asia/Shanghai).
const core::EpochSeconds kDay0 = *core::parse_timestamp("2024-03-01T00:00:00+08:00");

struct Received {
  std::string key;
  json body;
  core::EpochSeconds at = 0;  ///< the simulated time it arrived at
};

class Receiver {
 public:
  Receiver() {
    server_.set_tcp_nodelay(true);
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      got_.push_back(
          {req.get_header_value("Idempotency-Key"), json::parse(req.body, nullptr, false), now_});
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
  /// The simulated time the daemon's clock is about to show (set before each move).
  void set_now(core::EpochSeconds t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }
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
  core::EpochSeconds now_ = 0;
};

std::string config_yaml(const std::string& db, int hook_port) {
  return fmt::format(R"(
server:
  listen: "127.0.0.1:0"
  tokens:
    - {{name: test, token: "{}", scopes: [admin]}}
store: {{path: "{}"}}
clock: {{mode: simulated, start: "2024-03-01T08:00:00+08:00", speed: 0}}
merchant: {{name: 邻家小铺, timezone: Asia/Shanghai}}
logging: {{level: info}}
dispatch: {{tick_ms: 20, concurrency: 1}}
plan:
  send_time: "10:00"
  send_window: {{start: "10:00", end: "20:00"}}
  quiet_hours: {{start: "21:30", end: "08:30"}}
  follow_up_days: 7
  merge_window_hours: 48
  attribution_days: 14
  sweep_seconds: 60
caps: {{max_messages: 2, period_days: 7}}
holdout: {{share: 0.3, salt: "{}"}}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{{category: [母婴], include: 纸尿裤}}]
    default_cycle_days: 12
    lead_days: 2
  - slug: detergent
    name: 洗衣液
    match: [{{category: [洗衣用品]}}]
    default_cycle_days: 20
    lead_days: 2
  - slug: formula
    name: 奶粉
    match: [{{category: [母婴], include: 奶粉}}]
    default_cycle_days: 10
    lead_days: 1
channels:
  hook:
    type: webhook
    url: "http://127.0.0.1:{}/hook"
    secret: "campaign-month-secret-0123"
    timeout_ms: 2000
default_channels: [hook]
campaigns:
  - name: restock
    rules:
      - {{segment: new, template: restock_new, coupon: welcome}}
      - {{segment: default, template: replenish, coupon: small, fallback_template: plain}}
    follow_up: {{template: follow_up}}
    win_back: {{template: win_back}}
coupons:
  secret_file: coupon.key
  code_prefix: RP
  rules:
    welcome: {{kind: amount_off, value: 5, threshold: 50, validity_days: 7}}
    small: {{kind: amount_off, value: 3, validity_days: 7, budget_per_day: 1}}
templates:
  restock_new: "【{{{{shop_name}}}}】您第一次买的{{{{category_name}}}}快用完了吧？{{{{#coupon_code}}}}新客补货券{{{{coupon_value}}}}，券码{{{{coupon_code}}}}，{{{{coupon_expiry}}}}前有效。{{{{/coupon_code}}}}"
  plain: "【{{{{shop_name}}}}】您{{{{last_purchase_date}}}}买的{{{{category_name}}}}预计{{{{predicted_date}}}}用完，记得补货～"
)",
                     kToken, db, kSalt, hook_port);
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
    CHECK_MESSAGE(res->status == expect, res->body);
    return json::parse(res->body);
  }
  json get(const std::string& path) {
    auto res = client_.Get(path);
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 200, res->body);
    return json::parse(res->body);
  }
  core::EpochSeconds now() {
    return *core::parse_timestamp(get("/v1/status")["now"].get<std::string>());
  }
  /// Moves the clock to `t` and waits until the daemon has dispatched what came due.
  void advance_to(core::EpochSeconds t) {
    const auto n = now();
    REQUIRE(t >= n);
    if (t > n) post("/v1/admin/clock", {{"advance_seconds", t - n}});
    settle();
  }
  /// Waits until nothing is being sent and the counts stay the same for a few ticks.
  void settle() {
    json last;
    int same = 0;
    for (int i = 0; i < 500 && same < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      const json counts = get("/v1/status")["reminders"];
      same = counts == last && !counts.contains("sending") ? same + 1 : 0;
      last = counts;
    }
  }

 private:
  httplib::Client client_;
};

json order(const std::string& id, const std::string& user, core::EpochSeconds at,
           const std::string& category, const std::string& product,
           const std::string& coupon = "") {
  json o = {{"order_id", id},
            {"line", 1},
            {"user_id", user},
            {"sku", "SKU-" + product},
            {"category", category},
            {"subcategory", product},
            {"quantity", 1},
            {"unit_price", 99},
            {"ordered_at", core::format_utc(at)}};
  if (!coupon.empty()) o["coupon_code"] = coupon;
  return o;
}

json diapers(const std::string& id, const std::string& user, core::EpochSeconds at,
             const std::string& coupon = "") {
  return order(id, user, at, "母婴", "帮宝适纸尿裤 L码", coupon);
}
json detergent(const std::string& id, const std::string& user, core::EpochSeconds at) {
  return order(id, user, at, "洗衣用品", "蓝月亮洗衣液 3kg");
}
json formula(const std::string& id, const std::string& user, core::EpochSeconds at) {
  return order(id, user, at, "母婴", "飞鹤婴儿奶粉 3段");
}

/// Local time `hour` on day `day` (day 0 = 1 March 2024, Shanghai).
core::EpochSeconds at(std::int64_t day, int hour, int minute = 0) {
  return kDay0 + day * kDay + hour * kHour + minute * 60;
}

/// The first id "<prefix>N" in (or out of) the control group.
std::string user_in(const std::string& prefix, bool held_out) {
  for (int i = 0;; ++i) {
    const auto id = prefix + std::to_string(i);
    if (plan::in_holdout(kSalt, id, 0.3) == held_out) return id;
  }
}

}  // namespace

TEST_CASE("integration: a simulated month of a campaign, message by message, with its stats") {
  testing::TempDir dir;
  Receiver receiver;
  receiver.set_now(at(0, 8));  // the daemon starts at 08:00 on 1 March
  dir.write("coupon.key", kCouponKey);
  const auto cfg = dir.write("replenishd.yaml", config_yaml(dir.file("r.db"), receiver.port()));
  testing::Process daemon(REPLENISHD_PATH, {"--config", cfg, "--port-file", dir.file("port")},
                          dir.file("daemon.log"));
  const int port = testing::wait_for_port(dir.file("port"), std::chrono::seconds(20));
  REQUIRE_MESSAGE(port > 0, daemon.output());
  Api api(port);

  const auto a = user_in("a", false);  // new: one purchase, then silence: follow-up
  const auto b = user_in("b", false);  // regular: converts with the coupon
  const auto c = user_in("c", false);  // three categories in one week: the cap
  const auto d = user_in("d", false);  // two categories a day apart: merged
  const auto l = user_in("l", false);  // lapsed since 2023: win-back
  const auto o = user_in("o", false);  // opts out
  const auto n = user_in("n", false);  // lives in New York
  const auto h1 = user_in("h", true);  // control group, buys
  const auto h2 = user_in("k", true);  // control group, does not
  {  // n lives in New York: set before the orders plan its reminder
    httplib::Client cl("127.0.0.1", port);
    cl.set_bearer_token_auth(kToken);
    auto res = cl.Put("/v1/users/" + n, R"({"tz": "America/New_York"})", "application/json");
    REQUIRE(res);
    REQUIRE(res->status == 200);
  }
  api.post("/v1/orders",
           json::array({diapers("a1", a, at(-1, 14)), diapers("b1", b, at(-11, 14)),
                        diapers("b2", b, at(-1, 14)), diapers("c1", c, at(-10, 14)),
                        detergent("c2", c, at(-17, 14)), formula("c3", c, at(-5, 14)),
                        diapers("d1", d, at(-8, 14)), detergent("d2", d, at(-16, 14)),
                        diapers("l1", l, at(-121, 14)), diapers("l2", l, at(-111, 14)),
                        diapers("l3", l, at(-101, 14)), diapers("o1", o, at(-3, 14)),
                        diapers("n1", n, at(-3, 14)), diapers("h1", h1, at(-5, 14)),
                        diapers("h2", h2, at(-4, 14))}));

  // Thirty-one days, four looks a day: 08:00 (quiet), 10:00, 14:00, 23:00 (quiet in Shanghai).
  for (int day = 0; day < 31; ++day) {
    for (const int hour : {8, 10, 14, 23}) {
      if (day == 0 && hour == 8) continue;
      receiver.set_now(at(day, hour));
      api.advance_to(at(day, hour));
      if (day == 2 && hour == 14) api.post("/v1/users/" + o + "/opt-out", json::object());
      if (day == 9 && hour == 14) {
        // b buys with the coupon of the message of 8 March; h1 buys too.
        std::string code;
        for (const auto& g : receiver.got()) {
          if (g.body["user_id"] == b) code = g.body["vars"]["coupon_code"].get<std::string>();
        }
        CHECK_FALSE(code.empty());
        api.post("/v1/orders",
                 json::array({diapers("b3", b, at(9, 13), code), diapers("h3", h1, at(9, 13))}));
      }
    }
  }

  const auto got = receiver.got();
  std::string all;
  for (const auto& g : got) {
    all += fmt::format("{} {} {} {} {}\n", core::format_utc(g.at),
                       g.body["user_id"].get<std::string>(), g.body["category"].get<std::string>(),
                       g.body["kind"].get<std::string>(), g.body["text"].get<std::string>());
  }
  INFO(all);

  // Every coupon code verifies offline and appears in the text in place of "{code}".
  struct Message {
    core::EpochSeconds at;
    std::string user, category, kind, text;
    bool operator<(const Message& o) const {
      return std::tie(at, user, category, kind) < std::tie(o.at, o.user, o.category, o.kind);
    }
    bool operator==(const Message& o) const {
      return std::tie(at, user, category, kind, text) ==
             std::tie(o.at, o.user, o.category, o.kind, o.text);
    }
  };
  std::vector<Message> actual;
  std::set<std::string> codes;
  for (const auto& g : got) {
    Message m{g.at, g.body["user_id"], g.body["category"], g.body["kind"], g.body["text"]};
    const std::string code = g.body["vars"].value("coupon_code", "");
    if (!code.empty()) {
      CHECK_MESSAGE(coupon::verify_code(kCouponKey, "RP", code), code);
      CHECK(codes.insert(code).second);  // one coupon per message
      const auto pos = m.text.find(code);
      REQUIRE_MESSAGE(pos != std::string::npos, m.text);
      m.text.replace(pos, code.size(), "{code}");
    }
    actual.push_back(m);
  }
  std::sort(actual.begin(), actual.end());

  // The month, message by message (Shanghai wall-clock times; n lives in New York, so its
  // 10:00 is Shanghai's 23:00, and 11:00 after daylight saving time began on 10 March).
  const auto digest_tail = [](const std::string& need, const std::string& until) {
    return fmt::format(
        "都快用完啦，按您的使用习惯，预计{}左右就需要补货，记得一起备上哦～送您一张满50减5元补货券"
        "（券码 {{code}}，{}前有效）。",
        need, until);
  };
  const auto follow_up = [](const std::string& what, int days) {
    return fmt::format(
        "邻家小铺温馨提示：距离您上次购买{}已经{}天了，家里的存货还够用吗？如果快用完了，"
        "现在补货正合适～",
        what, days);
  };
  const auto first_time = [](const std::string& what, const std::string& until) {
    return fmt::format(
        "【邻家小铺】您第一次买的{}快用完了吧？新客补货券满50减5元，券码{{code}}，{}前有效。", what,
        until);
  };
  const auto regular = [](const std::string& last, const std::string& need,
                          const std::string& until) {
    return fmt::format(
        "邻家小铺提醒您：您上次购买的纸尿裤是在{}，按您的使用习惯，预计{}左右就要用完啦，记得及时"
        "补货哦～送您一张3元补货券（券码 {{code}}，{}前有效）。",
        last, need, until);
  };
  std::vector<Message> expected{
      // c: diapers (due 1 March) and detergent (due 2 March) in one message, then formula on
      // 5 March: the cap of 2 in 7 days is full until 8 March 10:00.
      {at(0, 10), c, "diapers", "replenish",
       "邻家小铺提醒您：您常买的纸尿裤、洗衣液" + digest_tail("3月3日", "2024-03-07")},
      {at(4, 10), c, "formula", "replenish", first_time("奶粉", "2024-03-11")},
      // Both follow-ups of the merged message are due 8 March: one follow-up lists both (the
      // days since the more recent purchase). Formula's waits for 5 March's message to leave
      // the window (12 March 10:00).
      {at(7, 10), c, "detergent", "follow_up", follow_up("洗衣液、纸尿裤", 16)},
      {at(11, 10), c, "formula", "follow_up", follow_up("奶粉", 15)},
      // l: lapsed since November: one win-back, then silence.
      {at(0, 10), l, "diapers", "win_back",
       "好久不见！邻家小铺想念您啦～距离您上次购买纸尿裤已经100天了，不知道最近用得怎么样？期待"
       "您再次光临～"},
      // d: detergent due 3 March carries diapers due 4 March.
      {at(2, 10), d, "detergent", "replenish",
       "邻家小铺提醒您：您常买的洗衣液、纸尿裤" + digest_tail("3月5日", "2024-03-09")},
      {at(9, 10), d, "detergent", "follow_up", follow_up("洗衣液、纸尿裤", 16)},
      // b: a regular; buys on 10 March with the coupon, gets the next cycle's reminder.
      {at(7, 10), b, "diapers", "replenish", regular("2月29日", "3月10日", "2024-03-14")},
      {at(17, 10), b, "diapers", "replenish", regular("3月10日", "3月20日", "2024-03-24")},
      {at(24, 10), b, "diapers", "follow_up", follow_up("纸尿裤", 14)},
      // n: New York.
      {at(7, 23), n, "diapers", "replenish", first_time("纸尿裤", "2024-03-14")},
      {at(14, 23), n, "diapers", "follow_up", follow_up("纸尿裤", 17)},
      // a: new, does not buy.
      {at(9, 10), a, "diapers", "replenish", first_time("纸尿裤", "2024-03-16")},
      {at(16, 10), a, "diapers", "follow_up", follow_up("纸尿裤", 16)},
      // o opted out on 3 March, h1 and h2 are the control group: nothing.
  };
  std::sort(expected.begin(), expected.end());
  CHECK(actual.size() == expected.size());
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    CAPTURE(i);
    CHECK(actual[i].user == expected[i].user);
    CHECK(core::format_utc(actual[i].at) == core::format_utc(expected[i].at));
    CHECK(actual[i].category == expected[i].category);
    CHECK(actual[i].kind == expected[i].kind);
    CHECK(actual[i].text == expected[i].text);
  }

  // Rules checked on what arrived, whatever the list above says: inside the send window and
  // outside quiet hours in the user's time zone, at most 2 messages in any 7 days per user.
  std::map<std::string, std::vector<core::EpochSeconds>> by_user;
  for (const auto& m : actual) {
    const auto tz = core::TimeZone::locate(m.user == n ? "America/New_York" : "Asia/Shanghai");
    const int minute = tz.seconds_of_day(m.at) / 60;
    CHECK_MESSAGE(minute >= 10 * 60, m.user << " " << core::format_utc(m.at));
    CHECK_MESSAGE(minute < 20 * 60, m.user << " " << core::format_utc(m.at));
    by_user[m.user].push_back(m.at);
  }
  for (const auto& [user, times] : by_user) {
    for (std::size_t i = 0; i < times.size(); ++i) {
      int in_window = 0;
      for (const auto t : times) in_window += t > times[i] - 7 * kDay && t <= times[i] ? 1 : 0;
      CHECK_MESSAGE(in_window <= 2, user << " at " << core::format_utc(times[i]));
    }
  }
  for (const auto& silent : {o, h1, h2}) CHECK(by_user.count(silent) == 0);

  // The stats agree with the messages: 18 reminders sent in 14 messages, 4 of the reminders
  // listed in another one's message (two digests, two follow-ups of them).
  const json stats = api.get("/v1/stats");
  INFO(stats.dump(2));
  const json& total = stats["total"];
  CHECK(total["sent"] == 18);
  CHECK(total["merged"] == 4);
  CHECK(total["delivered"] == 18);
  CHECK(total["sent"].get<int>() == static_cast<int>(got.size()) + total["merged"].get<int>());
  CHECK(total["coupons"] == static_cast<int>(codes.size()));
  CHECK(total["coupons_redeemed"] == 1);  // b's coupon of 8 March
  CHECK(total["converted"] == 1);
  CHECK(total["cancelled"] == 1);  // o's reminder, at the opt-out
  CHECK(total["failed"] == 0);
  CHECK(total["conversion_rate"].get<double>() == doctest::Approx(1.0 / 18));
  // The control group: h1's and h2's reminders and follow-ups, recorded but never sent; h1
  // bought on 10 March.
  CHECK(total["holdout"]["reminders"] == 5);
  CHECK(total["holdout"]["converted"] == 1);
  CHECK(total["holdout"]["conversion_rate"].get<double>() == doctest::Approx(0.2));
  const double diff = 1.0 / 18 - 0.2;
  CHECK(total["uplift"]["difference"].get<double>() == doctest::Approx(diff));
  CHECK(total["uplift"]["low"].get<double>() < diff);
  CHECK(total["uplift"]["high"].get<double>() > diff);
  CHECK(total["uplift"]["low"].get<double>() >= -1.0);
  CHECK(total["uplift"]["high"].get<double>() <= 1.0);
  for (const auto& g : stats["by_channel"]) {
    if (g["key"] == "hook") CHECK(g["sent"] == 18);
  }
  // replenishctl stats asks the daemon and prints the same figures for people.
  const auto ctl = testing::run(REPLENISHCTL_PATH,
                                {"--url", "http://127.0.0.1:" + std::to_string(port), "--token",
                                 kToken, "stats", "--since", "2024-03-01"},
                                dir.path().string());
  CHECK(ctl.exit_code == 0);
  INFO(ctl.out);
  CHECK(ctl.out.find("all                   19     18      4        18      0         1       0") !=
        std::string::npos);
  CHECK(ctl.out.find("all                 18     1   5.6%  14.3%     5  20.0%  -14.4 [-57.1, "
                     "+11.6]") != std::string::npos);
  int categories_sent = 0;
  for (const auto& g : stats["by_category"]) categories_sent += g["sent"].get<int>();
  CHECK(categories_sent == 18);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait() == 0);
}
