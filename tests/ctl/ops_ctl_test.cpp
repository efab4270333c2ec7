// replenishctl's operations commands that work offline (migrate, backup, retention), and the
// help of every operations subcommand (an example each; 80 columns).
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

const std::string kDemoConfig = std::string(REPLENISH_SOURCE_DIR) + "/config/demo.yaml";

testing::RunResult ctl(const testing::TempDir& dir, const std::vector<std::string>& args) {
  return testing::run(REPLENISHCTL_PATH, args, dir.path().string());
}

}  // namespace

TEST_CASE("ctl: every operations subcommand has help with an example, within 80 columns") {
  testing::TempDir dir;
  const std::vector<std::vector<std::string>> commands{{"status"},
                                                       {"reminders"},
                                                       {"reminders", "list"},
                                                       {"reminders", "cancel"},
                                                       {"reminders", "snooze"},
                                                       {"reminders", "resend"},
                                                       {"users"},
                                                       {"users", "erase"},
                                                       {"migrate"},
                                                       {"backup"},
                                                       {"retention"}};
  for (auto args : commands) {
    CAPTURE(args.back());
    args.push_back("--help");
    const auto r = ctl(dir, args);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Example: replenishctl ") != std::string::npos);
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      // Columns, not bytes: count UTF-8 lead bytes.
      std::size_t cols = 0;
      for (const unsigned char c : line) cols += (c & 0xC0) != 0x80 ? 1 : 0;
      CHECK_MESSAGE(cols <= 80, line);
    }
  }
}

TEST_CASE("ctl: migrate prints the versions, backup copies, retention counts and deletes") {
  testing::TempDir dir;
  const auto db = dir.file("r.db");
  // An old database: only the first migration.
  {
    store::Connection c(db, false, true);
    store::migrate(c, {store::embedded_migrations().front()});
    CHECK(c.user_version() == 1);
  }
  auto r = ctl(dir, {"--db", db, "migrate"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find(fmt::format("schema version {} (was 1)", store::latest_schema_version())) !=
        std::string::npos);
  CHECK(r.out.find("applied 0002_channels.sql") != std::string::npos);
  r = ctl(dir, {"--db", db, "--json", "migrate"});
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out)["applied"].empty());

  // Demo orders, then a backup of them.
  r = ctl(dir, {"--config", kDemoConfig, "--db", db, "import",
                std::string(REPLENISH_SOURCE_DIR) + "/config/demo/orders.csv"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto orders = store::SqliteStore(db).order_count();
  REQUIRE(orders > 100);
  r = ctl(dir, {"--db", db, "--json", "backup", dir.file("copy.db")});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto summary = json::parse(r.out);
  CHECK(summary["pages"].get<int>() > 10);
  CHECK(summary["schema_version"] == store::latest_schema_version());
  CHECK(store::SqliteStore(dir.file("copy.db")).order_count() == orders);
  r = ctl(dir, {"--db", db, "backup", dir.file("copy.db")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("exists already") != std::string::npos);

  // Retention off in the demo config: says so, deletes nothing.
  r = ctl(dir, {"--config", kDemoConfig, "--db", db, "retention"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("retention is off") != std::string::npos);
  // On, with a short horizon: a dry run counts, the real run deletes the same number.
  std::string yaml;
  {
    std::ifstream in(kDemoConfig);
    std::stringstream ss;
    ss << in.rdbuf();
    yaml = ss.str();
  }
  // The copy lives elsewhere: its relative console folder is this checkout's.
  const std::string relative = "root: ../console";
  REQUIRE(yaml.find(relative) != std::string::npos);
  yaml.replace(yaml.find(relative), relative.size(),
               "root: " + std::string(REPLENISH_SOURCE_DIR) + "/console");
  yaml += "\nretention: {orders_days: 7, attempts_days: 7, keep_lines_per_pair: 2}\n";
  const auto cfg = dir.write("retention.yaml", yaml);
  r = ctl(dir, {"--config", cfg, "--db", db, "--json", "retention", "--dry-run"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto dry = json::parse(r.out);
  CHECK(dry["dry_run"] == true);
  const auto would = dry["orders"].get<std::int64_t>();
  CHECK(would > 0);
  CHECK(would < orders);
  CHECK(store::SqliteStore(db).order_count() == orders);
  r = ctl(dir, {"--config", cfg, "--db", db, "--json", "retention"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(json::parse(r.out)["orders"] == would);
  CHECK(store::SqliteStore(db).order_count() == orders - would);
}
