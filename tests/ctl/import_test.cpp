// Black-box tests of `replenishctl import`, on made-up files and on the real completejourney
// sample (skipped when ../shared/data is absent).
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

const std::string kDemoConfig = std::string(REPLENISH_SOURCE_DIR) + "/config/demo.yaml";

}  // namespace

TEST_CASE("ctl: import keeps valid rows around bad ones and reports each with its line") {
  testing::TempDir dir;
  const auto csv =
      dir.write("orders.csv",
                "order_id,line,user_id,sku,category,subcategory,quantity,ordered_at,"
                "channel\n"
                "o1,1,u1,S1,母婴,帮宝适纸尿裤 L码,1,2024-02-01T10:00:00+08:00,app\n"
                "o2,1,u1,S1,母婴,\"帮宝适纸尿裤, L码\",-2,2024-02-11T10:00:00+08:00,app\n"
                "o3,1,u1,S1,母婴,帮宝适纸尿裤 L码,1,2024-02-11T10:00:00,app\n"
                "o4,1,u1,S1,母婴,帮宝适纸尿裤 L码,1,2024-02-21T10:00:00+08:00,app\n"
                "o5,1,u2,S9,零食,乐事薯片,2,2024-02-21T10:00:00+08:00,app\n");
  const auto db = dir.file("r.db");
  auto r = testing::run(REPLENISHCTL_PATH, {"--config", kDemoConfig, "--db", db, "import", csv},
                        dir.path().string());
  CHECK(r.exit_code == 0);
  CHECK(r.err.find(csv + ":3: quantity: must be a positive number, got '-2'") != std::string::npos);
  CHECK(r.err.find(csv + ":4: ordered_at: missing UTC offset (add Z or ±HH:MM), got "
                         "'2024-02-11T10:00:00'") != std::string::npos);
  CHECK(r.err.find("ignored unknown column(s): channel") != std::string::npos);
  CHECK(r.out.find("5 rows: 3 stored, 0 duplicate, 0 conflicting, 2 rejected (2 in periodic "
                   "categories)") != std::string::npos);
  CHECK(r.out.find("updated 1 (user, category) pair(s): 1 reminder(s) planned") !=
        std::string::npos);

  // Again, as JSON: everything is a duplicate now, and --strict turns rejections into exit 1.
  r = testing::run(REPLENISHCTL_PATH,
                   {"--config", kDemoConfig, "--db", db, "--json", "import", "--strict", csv},
                   dir.path().string());
  CHECK(r.exit_code == 1);
  const auto j = json::parse(r.out);
  CHECK(j["files"][0]["duplicates"] == 3);
  CHECK(j["files"][0]["stored"] == 0);
  CHECK(j["files"][0]["errors"].size() == 2);
  CHECK(j["files"][0]["errors"][0] ==
        json{{"line", 3}, {"reason", "quantity: must be a positive number, got '-2'"}});
  CHECK(j["planned"] == 0);
}

TEST_CASE("ctl: import of a missing file fails with exit 1 and says why") {
  testing::TempDir dir;
  auto r = testing::run(
      REPLENISHCTL_PATH,
      {"--config", kDemoConfig, "--db", dir.file("r.db"), "import", dir.file("nope.csv")},
      dir.path().string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot open '" + dir.file("nope.csv") + "'") != std::string::npos);
  r = testing::run(REPLENISHCTL_PATH, {"import"}, dir.path().string());
  CHECK(r.exit_code == 2);
}

TEST_CASE("ctl: import of the real completejourney sample stores every valid line") {
  const std::filesystem::path sample =
      std::filesystem::path(REPLENISH_SHARED_DATA_DIR) / "completejourney" / "sample.csv";
  if (!std::filesystem::exists(sample)) {
    MESSAGE("skipped: " << sample.string() << " is absent (the shared data is not checked out)");
    return;
  }
  testing::TempDir dir;
  const auto db = dir.file("r.db");
  const auto cfg = std::string(REPLENISH_SOURCE_DIR) + "/config/examples/completejourney.yaml";
  const auto r = testing::run(REPLENISHCTL_PATH,
                              {"--config", cfg, "--db", db, "--json", "import", sample.string()},
                              dir.path().string());
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = json::parse(r.out);
  const auto& f = j["files"][0];
  // 2,204 lines: 12 rejected (the ingest tests list them: zero quantities and unknown
  // products with an empty category), 2,192 stored.
  CHECK(f["rows"] == 2204);
  CHECK(f["stored"] == 2192);
  CHECK(f["rejected"] == 12);
  CHECK(f["errors"].size() == 12);
  for (const auto& e : f["errors"]) {
    const auto reason = e["reason"].get<std::string>();
    const bool known = reason.rfind("quantity: must be a positive number", 0) == 0 ||
                       reason == "category: is required";
    CHECK_MESSAGE(known, reason);
  }
  CHECK(f["periodic"].get<int>() > 0);
  store::SqliteStore store(db);
  CHECK(store.order_count() == 2192);
}
