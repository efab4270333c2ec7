// The store's operations: snooze, resend (idempotency keys), erase, retention, online backup.
#include <doctest/doctest.h>

#include "store/backup.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using namespace replenish::store;

namespace {

constexpr core::EpochSeconds kDay = 86400;
constexpr core::EpochSeconds kT0 = 1'700'000'000;

LineRecord periodic(const std::string& order, const std::string& user, core::EpochSeconds at,
                    const std::string& slug = "diapers") {
  LineRecord r;
  r.line.order_id = order;
  r.line.line = 1;
  r.line.user_id = user;
  r.line.sku = "S";
  r.line.category = "母婴";
  r.line.quantity = 1;
  r.line.ordered_at = at;
  r.periodic = slug;
  return r;
}

core::Reminder reminder(const std::string& key, const std::string& user, core::EpochSeconds due) {
  core::Reminder r;
  r.key = key;
  r.user_id = user;
  r.category = "diapers";
  r.due_at = due;
  r.next_attempt_at = due;
  r.created_at = kT0;
  return r;
}

/// Claims reminder `id` (due by `now`) and finishes the attempt with `state`.
void attempt(SqliteStore& s, std::int64_t id, core::EpochSeconds now, core::ReminderState state,
             const std::string& outcome) {
  const auto claimed = s.claim_due(now, 100, 60);
  bool found = false;
  for (const auto& r : claimed) found = found || r.id == id;
  REQUIRE(found);
  AttemptRecord a;
  a.reminder_id = id;
  a.at = now;
  a.channel = "hook";
  a.outcome = outcome;
  a.new_state = state;
  a.next_attempt_at = now + 60;
  s.finish_attempt(a);
}

std::int64_t count(Connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  return st.step() ? st.int64(0) : -1;
}

}  // namespace

TEST_CASE("store ops: snooze moves only planned reminders") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  const auto id = s.insert_reminder(reminder("k1", "u1", kT0));
  CHECK(s.snooze_reminder(id, kT0 + 2 * kDay, kT0));
  auto r = s.reminder(id);
  CHECK(r->due_at == kT0 + 2 * kDay);
  CHECK(r->next_attempt_at == kT0 + 2 * kDay);
  // Not claimable before the new time.
  CHECK(s.claim_due(kT0 + kDay, 10, 60).empty());
  attempt(s, id, kT0 + 2 * kDay, core::ReminderState::kSent, "delivered");
  CHECK_FALSE(s.snooze_reminder(id, kT0 + 5 * kDay, kT0 + 2 * kDay));
}

TEST_CASE("store ops: resend keeps a dead reminder's key and gives a sent one a new key") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  const auto dead = s.insert_reminder(reminder("rmd_dead", "u1", kT0));
  const auto sent = s.insert_reminder(reminder("rmd_sent", "u2", kT0 + 10));
  const auto planned = s.insert_reminder(reminder("rmd_planned", "u3", kT0 + 9 * kDay));
  attempt(s, dead, kT0, core::ReminderState::kDead, "permanent");
  attempt(s, sent, kT0 + 10, core::ReminderState::kSent, "delivered");

  auto r = s.resend_reminder(dead, kT0 + 100, kT0 + 100);
  REQUIRE(r);
  CHECK(r->key == "rmd_dead");
  CHECK(r->state == core::ReminderState::kPlanned);
  CHECK(r->attempts == 0);
  CHECK(r->next_attempt_at == kT0 + 100);

  r = s.resend_reminder(sent, kT0 + 100, kT0 + 100);
  REQUIRE(r);
  CHECK(r->key == "rmd_sent.r1");
  // Sent again, then resent again: the second resend's key.
  attempt(s, sent, kT0 + 200, core::ReminderState::kSent, "delivered");
  r = s.resend_reminder(sent, kT0 + 300, kT0 + 300);
  REQUIRE(r);
  CHECK(r->key == "rmd_sent.r2");

  CHECK_FALSE(s.resend_reminder(planned, kT0, kT0));
  CHECK_FALSE(s.resend_reminder(999, kT0, kT0));
  // Both are claimable again, now.
  CHECK(s.claim_due(kT0 + 300, 10, 60).size() == 2);
}

TEST_CASE("store ops: erase removes every row of one user and nothing of another") {
  testing::TempDir dir;
  const auto path = dir.file("r.db");
  SqliteStore s(path);
  s.add_orders({periodic("a1", "alice", kT0), periodic("a2", "alice", kT0 + 10 * kDay),
                periodic("b1", "bob", kT0), periodic("b2", "bob", kT0 + 10 * kDay)},
               kT0);
  for (const std::string u : {"alice", "bob"}) {
    PairState p;
    p.user_id = u;
    p.category = "diapers";
    p.purchases = 2;
    s.save_pair(p);
    s.upsert_user(UserRecord{u, "openid-" + u, "Asia/Shanghai", false}, kT0);
    s.add_consents(u, "tmpl", 3, kT0);
    s.set_channel_optout(u, "wx", "blocked", kT0);
  }
  const auto ra = s.insert_reminder(reminder("ka", "alice", kT0));
  const auto rb = s.insert_reminder(reminder("kb", "bob", kT0 + 10));
  attempt(s, ra, kT0, core::ReminderState::kSent, "delivered");
  attempt(s, rb, kT0 + 10, core::ReminderState::kSent, "delivered");

  {
    Connection raw(path, false, false);
    for (const std::string u : {"alice", "bob"}) {
      raw.exec(
          "INSERT INTO coupons (code, rule, user_id, category, source, issued_at, "
          "expires_at) VALUES ('C-" +
          u + "', 'r', '" + u + "', 'diapers', 'local', 1, 2)");
    }
  }
  AuditRecord audit{kT0, "user_erased", "sha256:0123456789abcdef", "operator", "{}"};
  const auto counts = s.erase_user("alice", audit);
  CHECK(counts.at("orders") == 2);
  CHECK(counts.at("pairs") == 1);
  CHECK(counts.at("reminders") == 1);
  CHECK(counts.at("attempts") == 1);
  CHECK(counts.at("consents") == 1);
  CHECK(counts.at("channel_optouts") == 1);
  CHECK(counts.at("users") == 1);
  CHECK(counts.at("coupons") == 1);

  Connection c(path, false, false);
  for (const std::string table :
       {"orders", "pairs", "reminders", "consents", "channel_optouts", "users", "coupons"}) {
    CAPTURE(table);
    CHECK(count(c, "SELECT COUNT(*) FROM " + table + " WHERE user_id = 'alice'") == 0);
    CHECK(count(c, "SELECT COUNT(*) FROM " + table + " WHERE user_id = 'bob'") >= 1);
  }
  CHECK(count(c, "SELECT COUNT(*) FROM attempts") == 1);
  CHECK(count(c, "SELECT COUNT(*) FROM orders WHERE user_id = 'bob'") == 2);
  CHECK(s.consent_credits("bob", "tmpl") == 3);
  // The audit row names nobody.
  const auto log = s.audit_log(10);
  REQUIRE(log.size() == 1);
  CHECK(log[0].subject == "sha256:0123456789abcdef");
  CHECK(count(c,
              "SELECT COUNT(*) FROM audit WHERE subject LIKE '%alice%' OR detail LIKE "
              "'%alice%'") == 0);
}

TEST_CASE("store ops: retention keeps each pair's newest lines and in-flight attempts") {
  testing::TempDir dir;
  const auto path = dir.file("r.db");
  SqliteStore s(path);
  // alice: 30 periodic lines, one every 10 days, from day 0; one non-periodic line on day 0.
  std::vector<LineRecord> lines;
  for (int i = 0; i < 30; ++i) {
    lines.push_back(periodic("a" + std::to_string(i), "alice", kT0 + i * 10 * kDay));
  }
  auto other = periodic("x1", "alice", kT0);
  other.periodic.clear();
  lines.push_back(other);
  // bob: 3 old lines only (all older than the cut-off, fewer than the lines a pair keeps).
  for (int i = 0; i < 3; ++i) lines.push_back(periodic("b" + std::to_string(i), "bob", kT0 + i));
  s.add_orders(lines, kT0);

  const auto done = s.insert_reminder(reminder("k1", "alice", kT0));
  const auto retrying = s.insert_reminder(reminder("k2", "bob", kT0 + 10));
  attempt(s, done, kT0, core::ReminderState::kSent, "delivered");
  attempt(s, retrying, kT0 + 10, core::ReminderState::kPlanned, "retryable");

  // Cut-off at day 250: alice's lines on days 0..240 (25) are old; she keeps her newest 20
  // (days 100..290), so 10 periodic lines (days 0..90) and the non-periodic one go.
  RetentionPolicy p;
  p.orders_before = kT0 + 250 * kDay;
  p.attempts_before = kT0 + kDay;
  p.keep_lines_per_pair = 20;
  const auto dry = s.apply_retention(p, true);
  CHECK(dry.orders == 11);
  CHECK(dry.attempts == 1);  // the sent reminder's; the retrying one is still planned
  Connection c(path, false, false);
  CHECK(count(c, "SELECT COUNT(*) FROM orders") == 34);  // a dry run deletes nothing

  const auto applied = s.apply_retention(p, false);
  CHECK(applied.orders == 11);
  CHECK(applied.attempts == 1);
  CHECK(count(c, "SELECT COUNT(*) FROM orders WHERE user_id = 'alice'") == 20);
  CHECK(count(c, "SELECT MIN(ordered_at) FROM orders WHERE user_id = 'alice'") == kT0 + 100 * kDay);
  CHECK(count(c, "SELECT COUNT(*) FROM orders WHERE user_id = 'bob'") == 3);
  CHECK(count(c, "SELECT COUNT(*) FROM attempts WHERE reminder_id = " + std::to_string(retrying)) ==
        1);
  // Nothing is left to delete.
  CHECK(s.apply_retention(p, false).orders == 0);
}

TEST_CASE("store ops: queue stats count due planned reminders and the oldest") {
  testing::TempDir dir;
  SqliteStore s(dir.file("r.db"));
  s.insert_reminder(reminder("k1", "u1", kT0 - 300));
  s.insert_reminder(reminder("k2", "u2", kT0 - 60));
  s.insert_reminder(reminder("k3", "u3", kT0 + 60));
  const auto q = s.queue_stats(kT0);
  CHECK(q.due == 2);
  CHECK(q.oldest_due_at == kT0 - 300);
  CHECK(s.queue_stats(kT0 - 1000).due == 0);
}

TEST_CASE("store ops: backup copies a consistent database and refuses to overwrite") {
  testing::TempDir dir;
  const auto path = dir.file("r.db");
  {
    SqliteStore s(path);
    std::vector<LineRecord> lines;
    for (int i = 0; i < 5000; ++i) {
      lines.push_back(periodic("o" + std::to_string(i), "u" + std::to_string(i % 50), kT0 + i));
    }
    s.add_orders(lines, kT0);
    int steps = 0, last_done = 0, total = 0;
    const auto r = backup_database(
        path, dir.file("copy.db"),
        [&](int d, int t) {
          ++steps;
          last_done = d;
          total = t;
        },
        8);
    CHECK(r.pages > 16);
    CHECK(steps > 1);
    CHECK(last_done == total);
    CHECK(r.schema_version == latest_schema_version());
    CHECK_THROWS_WITH_AS(backup_database(path, dir.file("copy.db")),
                         doctest::Contains("exists already"), std::runtime_error);
  }
  Connection copy(dir.file("copy.db"), false, false);
  CHECK(count(copy, "SELECT COUNT(*) FROM orders") == 5000);
  auto ic = copy.prepare("PRAGMA integrity_check");
  REQUIRE(ic.step());
  CHECK(ic.text(0) == "ok");
  CHECK_FALSE(std::filesystem::exists(dir.file("copy.db.tmp")));
}
