// SqliteStore: what operations need — snooze, resend, erase, audit, retention, queue metrics.
#include <fmt/format.h>

#include "store/sqlite_store.hpp"

namespace replenish::store {
namespace {

constexpr const char* kColumns =
    "id, key, user_id, category, kind, due_at, state, channel, payload, attempts, "
    "next_attempt_at, lease_until, created_at, updated_at, last_error, provider_id, based_on, "
    "receipt";

/// The key of the n-th resend: the original key (before any ".r<k>") with ".r<n>".
std::string resend_key(const std::string& key, std::int64_t n) {
  const auto dot = key.find(".r");
  return fmt::format("{}.r{}", key.substr(0, dot), n);
}

}  // namespace

bool SqliteStore::snooze_reminder(std::int64_t id, core::EpochSeconds at, core::EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "UPDATE reminders SET due_at = ?1, next_attempt_at = ?1, updated_at = ?2 "
      "WHERE id = ?3 AND state = 'planned'");
  st.bind(1, at).bind(2, now).bind(3, id);
  st.run();
  return db_->changes() == 1;
}

std::optional<core::Reminder> SqliteStore::resend_reminder(std::int64_t id, core::EpochSeconds at,
                                                           core::EpochSeconds now) {
  std::lock_guard lock(mu_);
  std::optional<core::Reminder> out;
  with_transaction([&] {
    auto sel = stmt("SELECT state, key, resends FROM reminders WHERE id = ?1");
    sel.bind(1, id);
    if (!sel.step()) return;
    const std::string state = sel.text(0);
    std::string key = sel.text(1);
    std::int64_t resends = sel.int64(2);
    sel.reset();
    if (state == "sent") {
      ++resends;
      key = resend_key(key, resends);
    } else if (state != "dead") {
      return;
    }
    auto upd = stmt(
        "UPDATE reminders SET state = 'planned', key = ?1, resends = ?2, attempts = 0, "
        "next_attempt_at = ?3, lease_until = 0, last_error = '', provider_id = '', "
        "updated_at = ?4 WHERE id = ?5");
    upd.bind(1, key).bind(2, resends).bind(3, at).bind(4, now).bind(5, id);
    upd.run();
    auto again = stmt(fmt::format("SELECT {} FROM reminders WHERE id = ?1", kColumns));
    again.bind(1, id);
    if (again.step()) {
      core::Reminder r;
      r.id = again.int64(0);
      r.key = again.text(1);
      r.user_id = again.text(2);
      r.category = again.text(3);
      r.kind = again.text(4);
      r.due_at = again.int64(5);
      r.state = core::ReminderState::kPlanned;
      r.channel = again.text(7);
      r.payload = again.text(8);
      r.attempts = static_cast<int>(again.int64(9));
      r.next_attempt_at = again.int64(10);
      r.created_at = again.int64(12);
      r.updated_at = again.int64(13);
      r.based_on = again.int64(16);
      out = r;
    }
  });
  return out;
}

std::map<std::string, std::int64_t> SqliteStore::erase_user(const std::string& user_id,
                                                            const AuditRecord& audit) {
  std::lock_guard lock(mu_);
  std::map<std::string, std::int64_t> counts;
  // Deleted pages are overwritten with zeros, so the data does not linger in the file.
  db_->exec("PRAGMA secure_delete = ON");
  try {
    with_transaction([&] {
      const std::pair<const char*, const char*> kTables[] = {
          {"attempts",
           "DELETE FROM attempts WHERE reminder_id IN (SELECT id FROM reminders WHERE user_id = "
           "?1)"},
          {"reminders", "DELETE FROM reminders WHERE user_id = ?1"},
          {"coupons", "DELETE FROM coupons WHERE user_id = ?1"},
          {"pairs", "DELETE FROM pairs WHERE user_id = ?1"},
          {"orders", "DELETE FROM orders WHERE user_id = ?1"},
          {"consents", "DELETE FROM consents WHERE user_id = ?1"},
          {"channel_optouts", "DELETE FROM channel_optouts WHERE user_id = ?1"},
          {"users", "DELETE FROM users WHERE user_id = ?1"},
      };
      for (const auto& [table, sql] : kTables) {
        auto st = stmt(sql);
        st.bind(1, user_id);
        st.run();
        counts[table] = db_->changes();
      }
      auto ins = stmt(
          "INSERT INTO audit (at, action, subject, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
      ins.bind(1, audit.at).bind(2, audit.action).bind(3, audit.subject).bind(4, audit.actor);
      ins.bind(5, audit.detail);
      ins.run();
    });
  } catch (...) {
    db_->exec("PRAGMA secure_delete = OFF");
    throw;
  }
  db_->exec("PRAGMA secure_delete = OFF");
  // Old page images in the write-ahead log go too.
  db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return counts;
}

std::vector<AuditRecord> SqliteStore::audit_log(int limit) {
  std::lock_guard lock(mu_);
  auto st = stmt("SELECT at, action, subject, actor, detail FROM audit ORDER BY id DESC LIMIT ?1");
  st.bind(1, limit);
  std::vector<AuditRecord> out;
  while (st.step()) {
    out.push_back(AuditRecord{st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4)});
  }
  return out;
}

RetentionCounts SqliteStore::apply_retention(const RetentionPolicy& p, bool dry_run) {
  std::lock_guard lock(mu_);
  RetentionCounts out;
  // Attempts of reminders still in flight are kept whatever their age.
  const std::string attempts_where =
      "FROM attempts WHERE at < ?1 AND reminder_id NOT IN "
      "(SELECT id FROM reminders WHERE state IN ('planned', 'sending'))";
  // Each pair's newest lines stay: the model computes the next prediction from them.
  const std::string orders_where =
      "FROM orders WHERE rowid IN (SELECT rowid FROM (SELECT rowid, ordered_at, periodic, "
      "ROW_NUMBER() OVER (PARTITION BY user_id, periodic ORDER BY ordered_at DESC, order_id "
      "DESC, line DESC) AS rn FROM orders) WHERE ordered_at < ?1 AND (periodic IS NULL OR rn > "
      "?2))";
  with_transaction([&] {
    if (p.attempts_before > 0) {
      auto st = stmt((dry_run ? "SELECT COUNT(*) " : "DELETE ") + attempts_where);
      st.bind(1, p.attempts_before);
      if (dry_run) {
        out.attempts = st.step() ? st.int64(0) : 0;
      } else {
        st.run();
        out.attempts = db_->changes();
      }
    }
    if (p.orders_before > 0) {
      auto st = stmt((dry_run ? "SELECT COUNT(*) " : "DELETE ") + orders_where);
      st.bind(1, p.orders_before).bind(2, p.keep_lines_per_pair);
      if (dry_run) {
        out.orders = st.step() ? st.int64(0) : 0;
      } else {
        st.run();
        out.orders = db_->changes();
      }
    }
  });
  return out;
}

QueueStats SqliteStore::queue_stats(core::EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT COUNT(*), COALESCE(MIN(next_attempt_at), 0) FROM reminders "
      "WHERE state = 'planned' AND next_attempt_at <= ?1");
  st.bind(1, now);
  QueueStats q;
  if (st.step()) {
    q.due = st.int64(0);
    q.oldest_due_at = st.int64(1);
  }
  return q;
}

}  // namespace replenish::store
