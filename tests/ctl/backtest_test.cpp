// Black-box tests of `replenishctl backtest`.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "plan/model_view.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

TEST_CASE("ctl: backtest prints the agreed JSON shape") {
  testing::TempDir dir;
  // Two users who buy diapers every 10 and every 14 days, five times each.
  std::string csv = "order_id,line,user_id,sku,category,subcategory,quantity,ordered_at\n";
  for (int k = 0; k < 5; ++k) {
    csv += fmt::format("a{0},1,u1,S,母婴,纸尿裤,1,{1}\n", k, 1709280000 + k * 10 * 86400);
    csv += fmt::format("b{0},1,u2,S,母婴,纸尿裤,1,{1}\n", k, 1709280000 + k * 14 * 86400);
  }
  const auto file = dir.write("orders.csv", csv);
  const auto r =
      testing::run(REPLENISHCTL_PATH,
                   {"backtest", "--config", std::string(REPLENISH_SOURCE_DIR) + "/config/demo.yaml",
                    "--json", file},
                   dir.path().string());
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = json::parse(r.out);
  // k = 2..4 for each user: 3 predictions each.
  CHECK(j["overall"]["n"] == 6);
  for (const char* key :
       {"mae", "median_ae", "within_3d", "within_7d", "coverage", "hit", "too_late", "too_early"}) {
    CHECK_MESSAGE(j["overall"]["model"].contains(key), key);
  }
  for (const char* b : {"fixed_cycle", "last_interval", "user_mean", "user_median"}) {
    CHECK_MESSAGE(j["overall"]["baselines"].contains(b), b);
  }
  // Perfectly regular users: the last interval is always right.
  CHECK(j["overall"]["baselines"]["last_interval"]["mae"] == 0.0);
  CHECK(j["categories"].contains("diapers"));
}

TEST_CASE("ctl: backtest --save stores the report the model view shows, and only then") {
  testing::TempDir dir;
  std::string csv = "order_id,line,user_id,sku,category,subcategory,quantity,ordered_at\n";
  for (int k = 0; k < 5; ++k) {
    csv += fmt::format("a{0},1,u1,S,母婴,纸尿裤,1,{1}\n", k, 1709280000 + k * 10 * 86400);
  }
  const auto file = dir.write("orders.csv", csv);
  const auto config = dir.write("r.yaml", R"(
store: {path: r.db}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
channels:
  log: {type: log}
)");
  auto r = testing::run(REPLENISHCTL_PATH, {"--config", config, "backtest", "--json", file},
                        dir.path().string());
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  {
    store::SqliteStore store(dir.file("r.db"));
    CHECK_FALSE(store.latest_backtest());
  }
  r = testing::run(REPLENISHCTL_PATH, {"--config", config, "backtest", "--save", file},
                   dir.path().string());
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.err.find("saved as backtest 1 in") != std::string::npos);
  store::SqliteStore store(dir.file("r.db"));
  const auto saved = store.latest_backtest();
  REQUIRE(saved);
  CHECK(saved->source == file);
  const auto report = json::parse(saved->report);
  CHECK(report["overall"]["n"] == 3);
  CHECK(report["categories"]["diapers"]["baselines"]["last_interval"]["mae"] == 0.0);
  const auto view = plan::model_view(store, config::load_config(config));
  CHECK(view["backtest"]["source"] == file);
  CHECK(view["categories"][0]["backtest"] == report["categories"]["diapers"]);
  // A report of one category would hide the others': --save takes the whole history.
  r = testing::run(REPLENISHCTL_PATH,
                   {"--config", config, "backtest", "--save", "--category", "diapers", file},
                   dir.path().string());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--category excludes --save") != std::string::npos);
}

TEST_CASE("ctl: backtest on the real Instacart data beats every baseline") {
  const std::filesystem::path orders =
      std::filesystem::path(REPLENISH_SHARED_DATA_DIR) / "instacart" / "orders.csv.gz";
  if (!std::filesystem::exists(orders)) {
    MESSAGE("skipped: " << orders.string() << " is absent (the shared data is not checked out)");
    return;
  }
  testing::TempDir dir;
  const auto r = testing::run(
      REPLENISHCTL_PATH,
      {"--config", std::string(REPLENISH_SOURCE_DIR) + "/config/examples/instacart.yaml", "--json",
       "backtest", orders.string()},
      dir.path().string());
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = json::parse(r.out)["overall"];
  CHECK(j["n"] == 1854);
  double best_mae = 1e9;
  for (const auto& [name, b] : j["baselines"].items()) {
    best_mae = std::min(best_mae, b["mae"].get<double>());
    CHECK_MESSAGE(j["model"]["hit"].get<double>() > b["hit"].get<double>(), name);
  }
  const double mae = j["model"]["mae"].get<double>();
  MESSAGE("model MAE " << mae << " vs best baseline " << best_mae << ", coverage "
                       << j["model"]["coverage"].get<double>());
  CHECK(mae <= 0.88 * best_mae);
  CHECK(j["model"]["coverage"].get<double>() >= 0.75);
  CHECK(j["model"]["coverage"].get<double>() <= 0.85);
}
