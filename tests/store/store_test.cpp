#include <doctest/doctest.h>

#include <chrono>
#include <future>

#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using namespace replenish::store;

namespace {

core::OrderLine line(const std::string& order, int no, const std::string& user,
                     core::EpochSeconds at, double qty = 1) {
  core::OrderLine l;
  l.order_id = order;
  l.line = no;
  l.user_id = user;
  l.sku = "sku-" + order;
  l.category = "母婴";
  l.subcategory = "纸尿裤";
  l.quantity = qty;
  l.ordered_at = at;
  return l;
}

core::Reminder reminder(const std::string& key, core::EpochSeconds due) {
  core::Reminder r;
  r.key = key;
  r.user_id = "u1";
  r.category = "diapers";
  r.due_at = due;
  r.next_attempt_at = due;
  r.created_at = 1;
  return r;
}

}  // namespace

TEST_CASE("store: migrates an empty database, re-running is a no-op") {
  testing::TempDir dir;
  const auto path = dir.file("r.db");
  {
    SqliteStore s(path);
    CHECK(s.schema_version() == latest_schema_version());
    CHECK(latest_schema_version() >= 1);
  }
  Connection c(path, false);
  CHECK(migrate(c, embedded_migrations()) == 0);
  CHECK(c.user_version() == latest_schema_version());
  auto st = c.prepare("PRAGMA journal_mode");
  REQUIRE(st.step());
  CHECK(st.text(0) == "wal");
}

TEST_CASE("store: migrates from an older version step by step") {
  testing::TempDir dir;
  Connection c(dir.file("r.db"), false);
  const std::vector<Migration> v1{{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  const std::vector<Migration> v2{{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                                  {2, "0002_b.sql", "ALTER TABLE a ADD COLUMN y TEXT;"}};
  CHECK(migrate(c, v1) == 1);
  CHECK(c.user_version() == 1);
  CHECK(migrate(c, v2) == 1);
  CHECK(c.user_version() == 2);
  c.exec("INSERT INTO a (x, y) VALUES (1, 'ok')");
}

TEST_CASE("store: a failing migration leaves the database at its old version") {
  testing::TempDir dir;
  Connection c(dir.file("r.db"), false);
  const std::vector<Migration> bad{{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                                   {2, "0002_b.sql", "CREATE TABLE b (y); SELECT nope FROM a;"}};
  CHECK_THROWS_AS(migrate(c, bad), DbError);
  CHECK(c.user_version() == 1);
  auto st = c.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'");
  REQUIRE(st.step());
  CHECK(st.int64(0) == 0);
}

TEST_CASE("store: a database newer than the binary is refused with a clear message") {
  testing::TempDir dir;
  const auto path = dir.file("r.db");
  {
    Connection c(path, false);
    c.exec("PRAGMA user_version = 999");
  }
  CHECK_THROWS_WITH_AS(SqliteStore{path},
                       doctest::Contains("has schema version 999, newer than this binary knows"),
                       std::runtime_error);
}

TEST_CASE("store: orders are idempotent by (order_id, line), conflicts keep the first") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  std::vector<LineRecord> batch{{line("o1", 1, "u1", 1000), "diapers", 64.0, "pc"},
                                {line("o1", 2, "u1", 1000), "", std::nullopt, ""},
                                {line("o2", 1, "u2", 2000, 2), "diapers", std::nullopt, ""}};
  auto r = s.add_orders(batch, 5000);
  CHECK(r.stored == 3);
  CHECK(r.touched_pairs.size() == 2);
  auto changed = batch;
  changed[2].line.quantity = 7;
  r = s.add_orders(changed, 6000);
  CHECK(r.stored == 0);
  CHECK(r.duplicates == 2);
  CHECK(r.conflicts == 1);
  REQUIRE(r.conflict_rows.size() == 1);
  CHECK(r.conflict_rows[0].first == 2);
  CHECK(r.conflict_rows[0].second ==
        "order o2 line 1 was stored before with other content; the first version is kept");
  CHECK(s.order_count() == 3);
  const auto lines = s.pair_lines("u2", "diapers");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].quantity == 2);
  CHECK_FALSE(lines[0].pack_value);
  const auto u1 = s.pair_lines("u1", "diapers");
  REQUIRE(u1.size() == 1);
  CHECK(u1[0].pack_value == 64.0);
  CHECK(u1[0].pack_unit == "pc");
}

TEST_CASE("store: claims are leases, an expired lease is claimed again") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  const auto a = s.insert_reminder(reminder("k1", 100));
  const auto b = s.insert_reminder(reminder("k2", 200));
  CHECK(s.insert_reminder(reminder("k1", 100)) == 0);  // same key: not twice
  CHECK(s.claim_due(99, 10, 60).empty());
  auto claimed = s.claim_due(150, 10, 60);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == a);
  CHECK(claimed[0].state == core::ReminderState::kSending);
  CHECK(claimed[0].attempts == 1);
  // Still leased at 200: only b is due.
  claimed = s.claim_due(200, 10, 60);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == b);
  // The lease of a ran out at 210 (its daemon died): claimed again, same key.
  claimed = s.claim_due(215, 10, 60);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == a);
  CHECK(claimed[0].key == "k1");
  CHECK(claimed[0].attempts == 2);

  AttemptRecord done;
  done.reminder_id = a;
  done.at = 216;
  done.channel = "log";
  done.outcome = "delivered";
  done.new_state = core::ReminderState::kSent;
  s.finish_attempt(done);
  CHECK(s.reminder(a)->state == core::ReminderState::kSent);
  // Finishing again (a late duplicate) does not move a reminder that is no longer sending.
  done.new_state = core::ReminderState::kDead;
  s.finish_attempt(done);
  CHECK(s.reminder(a)->state == core::ReminderState::kSent);
  CHECK(s.reminder_counts()["sent"] == 1);
  CHECK(s.reminder_counts()["sending"] == 1);
}

TEST_CASE("store: a transaction that throws leaves nothing behind") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  CHECK_THROWS(s.with_transaction([&] {
    s.insert_reminder(reminder("k1", 100));
    throw std::runtime_error("boom");
  }));
  CHECK(s.list_reminders(ReminderFilter{}).empty());
}

TEST_CASE("store: list_reminders applies each filter alone and together, in due order") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  const auto make = [](const std::string& key, const std::string& user, const std::string& cat,
                       core::EpochSeconds due) {
    auto r = reminder(key, due);
    r.user_id = user;
    r.category = cat;
    return r;
  };
  s.insert_reminder(make("a", "u1", "diapers", 300));
  s.insert_reminder(make("b", "u2", "diapers", 100));
  s.insert_reminder(make("c", "u1", "coffee", 200));
  auto d = make("d", "u2", "coffee", 150);
  d.state = core::ReminderState::kCancelled;
  s.insert_reminder(d);
  auto e = make("e", "u3", "coffee", 400);
  e.segment = "loyal";
  e.channel = "webhook";
  s.insert_reminder(e);
  auto g = make("g", "u3", "diapers", 500);
  g.segment = "loyal";
  g.channel = "log";
  s.insert_reminder(g);
  const auto keys = [&](std::optional<core::ReminderState> state, const std::string& user,
                        const std::string& cat, core::EpochSeconds from, core::EpochSeconds to,
                        int limit, const std::string& segment = "",
                        const std::string& channel = "") {
    ReminderFilter f;
    f.state = state;
    f.user_id = user;
    f.category = cat;
    f.due_from = from;
    f.due_to = to;
    f.limit = limit;
    f.segment = segment;
    f.channel = channel;
    std::string out;
    for (const auto& r : s.list_reminders(f)) out += r.key;
    return out;
  };
  const auto all = std::nullopt;
  CHECK(keys(all, "", "", 0, 0, 100) == "bdcaeg");
  CHECK(keys(core::ReminderState::kPlanned, "", "", 0, 0, 100) == "bcaeg");
  CHECK(keys(core::ReminderState::kCancelled, "", "", 0, 0, 100) == "d");
  CHECK(keys(all, "u1", "", 0, 0, 100) == "ca");
  CHECK(keys(all, "", "coffee", 0, 0, 100) == "dce");
  CHECK(keys(all, "u2", "coffee", 0, 0, 100) == "d");
  CHECK(keys(core::ReminderState::kPlanned, "u2", "coffee", 0, 0, 100).empty());
  CHECK(keys(all, "", "", 150, 0, 100) == "dcaeg");
  CHECK(keys(all, "", "", 150, 300, 100) == "dc");
  CHECK(keys(core::ReminderState::kPlanned, "", "", 0, 0, 2) == "bc");
  CHECK(keys(all, "", "", 0, 0, 100, "loyal") == "eg");
  CHECK(keys(all, "", "", 0, 0, 100, "", "log") == "g");
  CHECK(keys(all, "", "coffee", 0, 0, 100, "loyal", "webhook") == "e");
  CHECK(keys(all, "", "", 0, 0, 100, "lapsed").empty());
}

TEST_CASE("store: the long scans read beside concurrent writers and hold none of them up") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  std::vector<LineRecord> batch{{line("o1", 1, "u1", 1000), "diapers", 64.0, "pc"},
                                {line("o2", 1, "u1", 2000), "diapers", 64.0, "pc"},
                                {line("o3", 1, "u2", 1500), "diapers", 32.0, "pc"}};
  batch[2].line.unit_price = 10;
  s.add_orders(batch, 5000);

  // While the scan is in its callback another thread writes: it must not wait for the scan
  // (with the store's one connection it would until the scan ends, and the test would time out).
  std::future<void> write;
  bool ready = false;
  int pairs = 0;
  s.scan_pairs([&](const std::string&, const std::string&, const std::vector<PairLine>&) {
    if (pairs++ > 0) return;
    write = std::async(std::launch::async, [&] {
      s.upsert_user(UserRecord{"u9", "", "", false}, 6000);
      s.add_orders({{line("o4", 1, "u3", 3000), "diapers", std::nullopt, ""}}, 6000);
    });
    ready = write.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  });
  write.get();
  CHECK(ready);
  CHECK(pairs == 2);  // the scan's snapshot: u3's line came after it started

  const auto spend = s.spend_per_user();
  REQUIRE(spend.size() == 1);
  CHECK(spend[0] == doctest::Approx(10.0));
  const auto sizes = s.pack_size_counts();
  REQUIRE(sizes.size() == 2);
  CHECK(sizes[0].lines + sizes[1].lines == 3);

  // On the thread of an open transaction a scan sees that transaction's writes.
  s.with_transaction([&] {
    s.add_orders({{line("o5", 1, "u4", 3000), "diapers", std::nullopt, ""}}, 7000);
    int seen = 0;
    s.scan_pairs(
        [&](const std::string&, const std::string&, const std::vector<PairLine>&) { ++seen; });
    CHECK(seen == 4);
  });
}
