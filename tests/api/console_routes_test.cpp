// The console's routes: static files under /console/ (on only when configured, one flat
// folder, strict headers), GET /v1/token, GET /v1/model and the status fields the Overview reads.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "plan/model_view.hpp"
#include "support/api_fixture.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

constexpr const char* kAdmin = "admin-token-0123456789";
constexpr const char* kRead = "read-token-0123456789";

/// A configuration with two tokens and two categories; `console` is its console section.
std::string config_with(const std::string& console) {
  return fmt::format(R"(
server:
  tokens:
    - {{name: operator, token: "{}", scopes: [admin]}}
    - {{name: viewer, token: "{}", scopes: [read]}}
merchant: {{name: 邻家小铺, timezone: Asia/Shanghai}}
{}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{{category: [母婴], include: 纸尿裤}}]
    default_cycle_days: 12
  - slug: detergent
    name: 洗衣液
    match: [{{category: [洗衣]}}]
channels:
  log: {{type: log}}
)",
                     kAdmin, kRead, console);
}

/// A console folder with a page, a script, a hidden file and a subfolder, and a chart script.
struct ConsoleFiles {
  testing::TempDir dir;
  ConsoleFiles() {
    std::filesystem::create_directories(dir.path() / "www" / "sub");
    dir.write("www/index.html", "<!doctype html><title>replenish</title>");
    dir.write("www/app.js", "console.log('app');");
    dir.write("www/notes.txt", "not served");
    dir.write("www/.env", "SECRET=1");
    dir.write("www/sub/x.js", "nested");
    dir.write("chart.min.js", "/* chart */");
  }
  std::string section() const {
    return fmt::format("console: {{enabled: true, root: \"{}\", chartjs: \"{}\"}}", dir.file("www"),
                       dir.file("chart.min.js"));
  }
};

core::Reminder planned(const std::string& key, core::EpochSeconds due) {
  core::Reminder r;
  r.key = key;
  r.user_id = "u-" + key;
  r.category = "diapers";
  r.due_at = due;
  r.next_attempt_at = due;
  r.created_at = due - 86400;
  return r;
}

}  // namespace

TEST_CASE("console: off unless configured, and then every console path is a 404") {
  testing::ApiFixture f(config_with(""), "2024-03-01T08:00:00+08:00");
  auto c = f.client();
  for (const char* path : {"/console/", "/console/app.js", "/console/vendor/chart.min.js"}) {
    CAPTURE(path);
    const auto res = c.Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(json::parse(res->body)["detail"] ==
          "the console is off (console.enabled in the configuration)");
  }
}

TEST_CASE("console: serves its flat folder and Chart.js with strict headers, nothing else") {
  ConsoleFiles files;
  testing::ApiFixture f(config_with(files.section()), "2024-03-01T08:00:00+08:00");
  auto c = f.client();
  auto res = c.Get("/console");
  REQUIRE(res);
  CHECK(res->status == 301);
  CHECK(res->get_header_value("Location") == "/console/");

  res = c.Get("/console/");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "<!doctype html><title>replenish</title>");
  CHECK(res->get_header_value("Content-Type") == "text/html; charset=utf-8");
  const auto csp = res->get_header_value("Content-Security-Policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe") == std::string::npos);
  CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(res->get_header_value("Referrer-Policy") == "no-referrer");

  res = c.Get("/console/app.js");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(res->body == "console.log('app');");

  res = c.Get("/console/vendor/chart.min.js");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "/* chart */");

  // Unknown types, hidden files, subfolders, parent folders and missing files are 404.
  for (const char* path :
       {"/console/notes.txt", "/console/.env", "/console/sub/x.js", "/console/../r.db",
        "/console/%2e%2e/chart.min.js", "/console/missing.js", "/console/vendor/other.js"}) {
    CAPTURE(path);
    res = c.Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(res->body.find("SECRET") == std::string::npos);
  }
}

TEST_CASE("console: the configuration refuses a console folder without index.html") {
  ConsoleFiles files;
  const auto bad_root = fmt::format("console: {{enabled: true, root: \"{}\", chartjs: \"{}\"}}",
                                    files.dir.file("nowhere"), files.dir.file("chart.min.js"));
  CHECK_THROWS_WITH_AS(config::parse_config(config_with(bad_root), "t"),
                       doctest::Contains("console.root"), config::ConfigError);
  const auto bad_chart = fmt::format("console: {{enabled: true, root: \"{}\", chartjs: \"{}\"}}",
                                     files.dir.file("www"), files.dir.file("nochart.js"));
  CHECK_THROWS_WITH_AS(config::parse_config(config_with(bad_chart), "t"),
                       doctest::Contains("libjs-chart.js"), config::ConfigError);
  // Off, the folder is not looked at.
  CHECK_NOTHROW(
      config::parse_config(config_with(R"(console: {enabled: false, root: "/nowhere"})"), "t"));
}

TEST_CASE("api: GET /v1/token names the presented token and its scopes") {
  testing::ApiFixture f(config_with(""), "2024-03-01T08:00:00+08:00");
  auto res = f.client(kAdmin).Get("/v1/token");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(json::parse(res->body) == json{{"name", "operator"}, {"scopes", {"admin"}}});
  res = f.client(kRead).Get("/v1/token");
  REQUIRE(res);
  CHECK(json::parse(res->body) == json{{"name", "viewer"}, {"scopes", {"read"}}});
  res = f.client("wrong-token").Get("/v1/token");
  REQUIRE(res);
  CHECK(res->status == 401);
  res = f.client().Get("/v1/token");
  REQUIRE(res);
  CHECK(res->status == 401);
}

TEST_CASE("api: status tells the merchant's today and the planned reminders due before its end") {
  testing::ApiFixture f(config_with(""), "2024-03-01T23:30:00+08:00");
  const auto at = [](const char* t) { return *core::parse_timestamp(t); };
  f.store.insert_reminder(planned("past", at("2024-02-28T10:00:00+08:00")));
  f.store.insert_reminder(planned("today", at("2024-03-01T23:59:00+08:00")));
  f.store.insert_reminder(planned("tomorrow", at("2024-03-02T00:00:00+08:00")));
  auto cancelled = planned("cancelled", at("2024-03-01T10:00:00+08:00"));
  cancelled.state = core::ReminderState::kCancelled;
  f.store.insert_reminder(cancelled);
  const auto res = f.client(kRead).Get("/v1/status");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto body = json::parse(res->body);
  CHECK(body["now"] == "2024-03-01T15:30:00Z");
  CHECK(body["today"] == "2024-03-01");  // Shanghai, although UTC is still on the 1st too
  CHECK(body["merchant"] == json{{"name", "邻家小铺"}, {"timezone", "Asia/Shanghai"}});
  CHECK(body["due_today"] == 2);
  CHECK(body["reminders"]["planned"] == 3);
}

TEST_CASE("model view: cycle bins widen to stay few, keep gaps, and align to the width") {
  const auto bins = [](std::vector<store::CycleCount> c, int max_bins) {
    return plan::cycle_bins(c, max_bins);
  };
  CHECK(bins({}, 24) == json{{"pairs", 0}, {"bin_days", 1}, {"bins", json::array()}});
  auto j = bins({{"d", 10, 2}, {"d", 12, 3}}, 24);
  CHECK(j["bin_days"] == 1);
  CHECK(j["pairs"] == 5);
  REQUIRE(j["bins"].size() == 3);
  CHECK(j["bins"][0] == json{{"lo", 10}, {"hi", 11}, {"count", 2}});
  CHECK(j["bins"][1]["count"] == 0);
  CHECK(j["bins"][2] == json{{"lo", 12}, {"hi", 13}, {"count", 3}});
  j = bins({{"d", 3, 1}, {"d", 9, 1}, {"d", 40, 4}}, 8);
  CHECK(j["bin_days"] == 7);  // 1, 2, 3, 5 need more than 8 bins; 7 needs 6 (0..41)
  CHECK(j["bins"].front()["lo"] == 0);
  CHECK(j["bins"].back() == json{{"lo", 35}, {"hi", 42}, {"count", 4}});
  CHECK(j["bins"][1] == json{{"lo", 7}, {"hi", 14}, {"count", 1}});
}

TEST_CASE("api: GET /v1/model shows priors, the spread of cycles and the latest saved backtest") {
  testing::ApiFixture f(config_with(""), "2024-03-01T08:00:00+08:00");
  store::PairState p;
  p.category = "diapers";
  p.intervals = 2;
  for (const auto& [user, days] : std::vector<std::pair<std::string, double>>{
           {"u1", 11.2}, {"u2", 11.9}, {"u3", 14.0}, {"u4", 0}}) {
    p.user_id = user;
    p.cycle_days = days;
    p.intervals = days > 0 ? 2 : 0;
    f.store.save_pair(p);
  }
  auto viewer = f.client(kRead);
  auto res = viewer.Get("/v1/model");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto body = json::parse(res->body);
  CHECK(body["backtest"].is_null());
  REQUIRE(body["categories"].size() == 2);
  const auto& diapers = body["categories"][0];
  CHECK(diapers["category"] == "diapers");
  CHECK(diapers["name"] == "纸尿裤");
  CHECK(diapers["default_cycle_days"] == 12);
  CHECK(diapers["prior"].is_null());
  CHECK(diapers["cycles"]["pairs"] == 3);  // u4 has no interval yet
  CHECK(diapers["cycles"]["bins"].front() == json{{"lo", 11}, {"hi", 12}, {"count", 2}});
  CHECK(diapers["backtest"].is_null());
  CHECK(body["categories"][1]["cycles"]["pairs"] == 0);

  // A prior and two saved reports: the later one is shown.
  f.store.save_prior(store::PriorRecord{"diapers", std::log(11.5), 0.2, 0.3, 0.1, 25, 2.44, 0.7,
                                        std::nullopt, "", 1709251200});
  const json section = {{"n", 40},
                        {"model", {{"mae", 2.5}, {"hit", 0.6}}},
                        {"baselines", {{"fixed_cycle", {{"mae", 4.0}, {"hit", 0.4}}}}}};
  f.store.save_backtest({0, 1700000000, "old.csv", json{{"overall", {{"n", 1}}}}.dump()});
  f.store.save_backtest(
      {0, 1709251200, "orders.csv",
       json{{"overall", section}, {"categories", {{"diapers", section}}}}.dump()});
  res = viewer.Get("/v1/model");
  REQUIRE(res);
  body = json::parse(res->body);
  CHECK(body["backtest"]["source"] == "orders.csv");
  CHECK(body["backtest"]["ran_at"] == "2024-03-01T00:00:00Z");
  CHECK(body["backtest"]["overall"] == section);
  CHECK(body["categories"][0]["backtest"] == section);
  CHECK(body["categories"][1]["backtest"].is_null());
  CHECK(body["categories"][0]["prior"]["cycle_days"].get<double>() == doctest::Approx(11.5));
  CHECK(body["categories"][0]["prior"]["n_users"] == 25);
  CHECK(body["categories"][0]["prior"]["learned"] == true);
  // Without a token, nothing.
  res = f.client("").Get("/v1/model");
  REQUIRE(res);
  CHECK(res->status == 401);
}

TEST_CASE("api: reminders filter by segment and channel, and refuse an unknown segment (400)") {
  testing::ApiFixture f(config_with(""), "2024-03-01T08:00:00+08:00");
  auto a = planned("a", 1709280000);
  a.segment = "loyal";
  auto b = planned("b", 1709280000 + 60);
  b.segment = "at_risk";
  b.channel = "log";
  f.store.insert_reminder(a);
  f.store.insert_reminder(b);
  auto viewer = f.client(kRead);
  const auto keys = [&](const std::string& query) {
    const auto res = viewer.Get("/v1/reminders?" + query);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const auto body = json::parse(res->body);
    std::string out;
    for (const auto& r : body["reminders"]) out += r["key"].get<std::string>();
    return out;
  };
  CHECK(keys("state=all") == "ab");
  CHECK(keys("segment=loyal") == "a");
  CHECK(keys("channel=log") == "b");
  CHECK(keys("segment=loyal&channel=log").empty());
  const auto res = viewer.Get("/v1/reminders?segment=vip");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["detail"].get<std::string>().find("unknown segment 'vip'") == 0);
}
