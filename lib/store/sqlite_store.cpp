#include "store/sqlite_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <tuple>

namespace replenish::store {
namespace {

using core::EpochSeconds;
using core::Reminder;
using core::ReminderState;

constexpr const char* kReminderColumns =
    "id, key, user_id, category, kind, due_at, state, channel, payload, attempts, "
    "next_attempt_at, lease_until, created_at, updated_at, last_error, provider_id, based_on, "
    "receipt, campaign, segment, template, coupon_rule, held_out, COALESCE(merged_into, 0), "
    "coupon_code, coupon_note, COALESCE(sent_at, 0), COALESCE(converted_at, 0), coupon_redeemed";

Reminder read_reminder(const Statement& st) {
  Reminder r;
  r.id = st.int64(0);
  r.key = st.text(1);
  r.user_id = st.text(2);
  r.category = st.text(3);
  r.kind = st.text(4);
  r.due_at = st.int64(5);
  r.state = core::reminder_state_from_string(st.text(6)).value_or(ReminderState::kDead);
  r.channel = st.text(7);
  r.payload = st.text(8);
  r.attempts = static_cast<int>(st.int64(9));
  r.next_attempt_at = st.int64(10);
  r.lease_until = st.int64(11);
  r.created_at = st.int64(12);
  r.updated_at = st.int64(13);
  r.last_error = st.text(14);
  r.provider_id = st.text(15);
  r.based_on = st.int64(16);
  r.receipt = st.text(17);
  r.campaign = st.text(18);
  r.segment = st.text(19);
  r.template_name = st.text(20);
  r.coupon_rule = st.text(21);
  r.held_out = st.int64(22) != 0;
  r.merged_into = st.int64(23);
  r.coupon_code = st.text(24);
  r.coupon_note = st.text(25);
  r.sent_at = st.int64(26);
  r.converted_at = st.int64(27);
  r.coupon_redeemed = st.int64(28) != 0;
  return r;
}

PairState read_pair(const Statement& st) {
  PairState p;
  p.user_id = st.text(0);
  p.category = st.text(1);
  p.purchases = static_cast<int>(st.int64(2));
  p.last_at = st.int64(3);
  p.last_amount = st.real(4);
  p.cycle_days = st.real(5);
  p.next_at = st.int64(6);
  p.lo = st.int64(7);
  p.hi = st.int64(8);
  p.intervals = static_cast<int>(st.int64(9));
  p.lapsed = st.int64(10) != 0;
  p.updated_at = st.int64(11);
  return p;
}

constexpr const char* kPairColumns =
    "user_id, category, purchases, last_at, last_amount, cycle_days, next_at, lo, hi, "
    "intervals, lapsed, updated_at";

bool same_content(const core::OrderLine& a, const Statement& st) {
  return a.user_id == st.text(0) && a.sku == st.text(1) && a.category == st.text(2) &&
         a.quantity == st.real(3) && a.ordered_at == st.int64(4);
}

}  // namespace

int latest_schema_version() {
  const auto& m = embedded_migrations();
  return m.empty() ? 0 : m.back().version;
}

int migrate(Connection& db, const std::vector<Migration>& migrations) {
  const int current = db.user_version();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    throw std::runtime_error(
        fmt::format("database '{}' has schema version {}, newer than this binary knows ({}); "
                    "use a newer replenish or restore a backup",
                    db.path(), current, latest));
  }
  int applied = 0;
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    Transaction tx(db);
    db.exec(m.sql);
    db.exec(fmt::format("PRAGMA user_version = {}", m.version));
    tx.commit();
    ++applied;
  }
  return applied;
}

ScopedStatement SqliteStore::stmt(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<Statement>(db_->raw(), sql)).first;
  }
  return ScopedStatement(*it->second);
}

SqliteStore::SqliteStore(const std::string& path)
    : db_(std::make_unique<Connection>(path, false, true)) {
  migrate(*db_, embedded_migrations());
  // SQLite's default 2 MiB page cache re-reads the hot index pages of a large store from the OS
  // on every request; 32 MiB keeps them (it fills only as pages are used).
  set_cache_kib(32 * 1024);
}

int SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  return db_->user_version();
}

void SqliteStore::with_transaction(const std::function<void()>& fn) {
  std::lock_guard lock(mu_);
  if (tx_depth_ > 0) {
    fn();
    return;
  }
  Transaction tx(*db_);
  ++tx_depth_;
  tx_thread_ = std::this_thread::get_id();
  try {
    fn();
  } catch (...) {
    --tx_depth_;
    tx_thread_ = std::thread::id();
    throw;
  }
  --tx_depth_;
  tx_thread_ = std::thread::id();
  tx.commit();
}

AddOrdersResult SqliteStore::add_orders(const std::vector<LineRecord>& lines, EpochSeconds now) {
  std::lock_guard lock(mu_);
  AddOrdersResult result;
  // (user, periodic) of every stored periodic line, pointing into `lines`: sorted and made unique
  // at the end, so that a batch allocates per pair rather than per line.
  std::vector<std::pair<std::string_view, std::string_view>> touched;
  with_transaction([&] {
    auto insert = stmt(
        "INSERT INTO orders (order_id, line, user_id, sku, category, subcategory, pack_size, "
        "quantity, unit_price, ordered_at, coupon_code, periodic, pack_value, pack_unit, "
        "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
        "ON CONFLICT (order_id, line) DO NOTHING");
    auto existing = stmt(
        "SELECT user_id, sku, category, quantity, ordered_at FROM orders "
        "WHERE order_id = ?1 AND line = ?2");
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& rec = lines[i];
      const auto& l = rec.line;
      // The texts outlive the step: bound without a copy.
      insert.bind_static(1, l.order_id).bind(2, l.line).bind_static(3, l.user_id);
      insert.bind_static(4, l.sku).bind_static(5, l.category).bind_static(6, l.subcategory);
      insert.bind_static(7, l.pack_size).bind(8, l.quantity).bind(9, l.unit_price);
      insert.bind(10, l.ordered_at).bind_static(11, l.coupon_code);
      if (rec.periodic.empty()) {
        insert.bind(12, std::nullopt);
      } else {
        insert.bind_static(12, rec.periodic);
      }
      insert.bind(13, rec.pack_value);
      if (rec.pack_unit.empty()) {
        insert.bind(14, std::nullopt);
      } else {
        insert.bind_static(14, rec.pack_unit);
      }
      insert.bind(15, now);
      insert.run();
      if (db_->changes() == 1) {
        ++result.stored;
        if (!rec.periodic.empty()) touched.emplace_back(l.user_id, rec.periodic);
        continue;
      }
      existing.bind(1, l.order_id).bind(2, l.line);
      const bool same = existing.step() && same_content(l, existing);
      existing.reset();
      if (same) {
        ++result.duplicates;
      } else {
        ++result.conflicts;
        result.conflict_rows.emplace_back(
            i, fmt::format("order {} line {} was stored before with other content; the first "
                           "version is kept",
                           l.order_id, l.line));
      }
    }
  });
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  result.touched_pairs.reserve(touched.size());
  for (const auto& [user, category] : touched) {
    result.touched_pairs.emplace_back(std::string(user), std::string(category));
  }
  return result;
}

std::vector<PairLine> SqliteStore::pair_lines(const std::string& user_id,
                                              const std::string& category) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT ordered_at, quantity, pack_value, COALESCE(pack_unit, '') FROM orders "
      "WHERE user_id = ?1 AND periodic = ?2 ORDER BY ordered_at");
  st.bind(1, user_id).bind(2, category);
  std::vector<PairLine> out;
  while (st.step()) out.push_back(PairLine{st.int64(0), st.real(1), st.opt_real(2), st.text(3)});
  return out;
}

namespace {

// Walks the (user_id, periodic, ordered_at) index in order: one pass, one pair in memory.
constexpr const char* kPairLinesSql =
    "SELECT user_id, periodic, ordered_at, quantity, pack_value, COALESCE(pack_unit, '') "
    "FROM orders WHERE periodic IS NOT NULL ORDER BY user_id, periodic, ordered_at";

template <typename St>
void walk_pairs(St& st, const std::function<void(const std::string&, const std::string&,
                                                 const std::vector<PairLine>&)>& fn) {
  std::string user, category;
  std::vector<PairLine> lines;
  while (st.step()) {
    // Compared in place: a new pair allocates, a line of the same pair does not.
    const std::string_view u = st.view(0), c = st.view(1);
    if (u != user || c != category) {
      if (!lines.empty()) fn(user, category, lines);
      lines.clear();
      user.assign(u);
      category.assign(c);
    }
    lines.push_back(PairLine{st.int64(2), st.real(3), st.opt_real(4), st.text(5)});
  }
  if (!lines.empty()) fn(user, category, lines);
}

}  // namespace

void SqliteStore::for_each_pair(const std::function<void(const std::string&, const std::string&,
                                                         const std::vector<PairLine>&)>& fn) {
  std::lock_guard lock(mu_);
  auto st = stmt(kPairLinesSql);
  walk_pairs(st, fn);
}

void SqliteStore::scan_pairs(const std::function<void(const std::string&, const std::string&,
                                                      const std::vector<PairLine>&)>& fn) {
  with_reader([&](Connection& c) {
    Statement st(c.raw(), kPairLinesSql);
    walk_pairs(st, fn);
  });
}

void SqliteStore::with_reader(const std::function<void(Connection&)>& fn) {
  if (tx_thread_.load() == std::this_thread::get_id()) {
    std::lock_guard lock(mu_);
    fn(*db_);
    return;
  }
  std::lock_guard lock(reader_mu_);
  if (!reader_) reader_ = std::make_unique<Connection>(db_->path(), true, false);
  fn(*reader_);
}

std::vector<std::pair<double, std::string>> SqliteStore::pack_sizes(const std::string& category) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT pack_value, pack_unit FROM orders WHERE periodic = ?1 AND pack_value IS NOT NULL");
  st.bind(1, category);
  std::vector<std::pair<double, std::string>> out;
  while (st.step()) out.emplace_back(st.real(0), st.text(1));
  return out;
}

std::vector<PriorRecord> SqliteStore::priors() {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT category, m, s, sigma, beta, n_users, learned_m, learned_weight, ref_value, "
      "COALESCE(ref_unit, ''), updated_at FROM priors ORDER BY category");
  std::vector<PriorRecord> out;
  while (st.step()) {
    out.push_back(PriorRecord{st.text(0), st.real(1), st.real(2), st.real(3), st.real(4),
                              static_cast<int>(st.int64(5)), st.real(6), st.real(7), st.opt_real(8),
                              st.text(9), st.int64(10)});
  }
  return out;
}

void SqliteStore::save_prior(const PriorRecord& p) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "INSERT INTO priors (category, m, s, sigma, beta, n_users, learned_m, learned_weight, "
      "ref_value, ref_unit, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
      "NULLIF(?10, ''), ?11) ON CONFLICT (category) DO UPDATE SET m = excluded.m, "
      "s = excluded.s, sigma = excluded.sigma, beta = excluded.beta, n_users = excluded.n_users, "
      "learned_m = excluded.learned_m, learned_weight = excluded.learned_weight, "
      "ref_value = excluded.ref_value, ref_unit = excluded.ref_unit, "
      "updated_at = excluded.updated_at");
  st.bind(1, p.category).bind(2, p.m).bind(3, p.s).bind(4, p.sigma).bind(5, p.beta);
  st.bind(6, p.n_users).bind(7, p.learned_m).bind(8, p.learned_weight).bind(9, p.ref_value);
  st.bind(10, p.ref_unit).bind(11, p.updated_at);
  st.run();
}

std::vector<LineRecord> SqliteStore::user_orders(const std::string& user_id, int limit) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT order_id, line, user_id, sku, category, subcategory, pack_size, quantity, "
      "unit_price, ordered_at, coupon_code, COALESCE(periodic, ''), pack_value, "
      "COALESCE(pack_unit, '') FROM orders "
      "WHERE user_id = ?1 ORDER BY ordered_at DESC, order_id, line LIMIT ?2");
  st.bind(1, user_id).bind(2, limit);
  std::vector<LineRecord> out;
  while (st.step()) {
    LineRecord r;
    r.line.order_id = st.text(0);
    r.line.line = st.int64(1);
    r.line.user_id = st.text(2);
    r.line.sku = st.text(3);
    r.line.category = st.text(4);
    r.line.subcategory = st.text(5);
    r.line.pack_size = st.text(6);
    r.line.quantity = st.real(7);
    r.line.unit_price = st.opt_real(8);
    r.line.ordered_at = st.int64(9);
    r.line.coupon_code = st.text(10);
    r.periodic = st.text(11);
    r.pack_value = st.opt_real(12);
    r.pack_unit = st.text(13);
    out.push_back(std::move(r));
  }
  return out;
}

std::int64_t SqliteStore::order_count() {
  std::lock_guard lock(mu_);
  auto st = stmt("SELECT COUNT(*) FROM orders");
  return st.step() ? st.int64(0) : 0;
}

std::optional<UserRecord> SqliteStore::user(const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT user_id, COALESCE(openid, ''), COALESCE(tz, ''), opted_out FROM users "
      "WHERE user_id = ?1");
  st.bind(1, user_id);
  if (!st.step()) return std::nullopt;
  return UserRecord{st.text(0), st.text(1), st.text(2), st.int64(3) != 0};
}

void SqliteStore::upsert_user(const UserRecord& u, EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "INSERT INTO users (user_id, openid, tz, opted_out, created_at, updated_at) "
      "VALUES (?1, NULLIF(?2, ''), NULLIF(?3, ''), ?4, ?5, ?5) "
      "ON CONFLICT (user_id) DO UPDATE SET openid = excluded.openid, tz = excluded.tz, "
      "opted_out = excluded.opted_out, updated_at = excluded.updated_at");
  st.bind(1, u.user_id).bind(2, u.openid).bind(3, u.tz).bind(4, u.opted_out ? 1 : 0).bind(5, now);
  st.run();
}

std::int64_t SqliteStore::add_consents(const std::string& user_id, const std::string& template_id,
                                       std::int64_t count, EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "INSERT INTO consents (user_id, template_id, credits, updated_at) "
      "VALUES (?1, ?2, MAX(?3, 0), ?4) ON CONFLICT (user_id, template_id) DO UPDATE SET "
      "credits = MAX(consents.credits + ?3, 0), updated_at = ?4");
  st.bind(1, user_id).bind(2, template_id).bind(3, count).bind(4, now);
  st.run();
  return consent_credits(user_id, template_id);
}

bool SqliteStore::consume_consent(const std::string& user_id, const std::string& template_id,
                                  EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "UPDATE consents SET credits = credits - 1, updated_at = ?3 "
      "WHERE user_id = ?1 AND template_id = ?2 AND credits > 0");
  st.bind(1, user_id).bind(2, template_id).bind(3, now);
  st.run();
  return db_->changes() == 1;
}

std::int64_t SqliteStore::consent_credits(const std::string& user_id,
                                          const std::string& template_id) {
  std::lock_guard lock(mu_);
  auto st = stmt("SELECT credits FROM consents WHERE user_id = ?1 AND template_id = ?2");
  st.bind(1, user_id).bind(2, template_id);
  return st.step() ? st.int64(0) : 0;
}

void SqliteStore::set_channel_optout(const std::string& user_id, const std::string& channel,
                                     const std::string& reason, EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "INSERT INTO channel_optouts (user_id, channel, reason, created_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (user_id, channel) DO NOTHING");
  st.bind(1, user_id).bind(2, channel).bind(3, reason).bind(4, now);
  st.run();
}

bool SqliteStore::channel_opted_out(const std::string& user_id, const std::string& channel) {
  std::lock_guard lock(mu_);
  auto st =
      stmt("SELECT 1 FROM channel_optouts WHERE user_id = ?1 AND (channel = ?2 OR channel = '*')");
  st.bind(1, user_id).bind(2, channel);
  return st.step();
}

std::optional<Reminder> SqliteStore::reminder_by_provider_id(const std::string& provider_id) {
  std::lock_guard lock(mu_);
  if (provider_id.empty()) return std::nullopt;
  auto st = stmt(fmt::format("SELECT {} FROM reminders WHERE provider_id = ?1 ORDER BY id LIMIT 1",
                             kReminderColumns));
  st.bind(1, provider_id);
  if (!st.step()) return std::nullopt;
  return read_reminder(st);
}

void SqliteStore::record_receipt(std::int64_t id, const std::string& receipt, EpochSeconds at) {
  std::lock_guard lock(mu_);
  auto st =
      stmt("UPDATE reminders SET receipt = ?1, receipt_at = ?2, updated_at = ?2 WHERE id = ?3");
  st.bind(1, receipt).bind(2, at).bind(3, id);
  st.run();
}

void SqliteStore::save_pair(const PairState& p) {
  std::lock_guard lock(mu_);
  auto st = stmt(fmt::format(
      "INSERT INTO pairs ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
      "ON CONFLICT (user_id, category) DO UPDATE SET purchases = excluded.purchases, "
      "last_at = excluded.last_at, last_amount = excluded.last_amount, "
      "cycle_days = excluded.cycle_days, next_at = excluded.next_at, lo = excluded.lo, "
      "hi = excluded.hi, intervals = excluded.intervals, lapsed = excluded.lapsed, "
      "updated_at = excluded.updated_at",
      kPairColumns));
  st.bind(1, p.user_id).bind(2, p.category).bind(3, p.purchases).bind(4, p.last_at);
  st.bind(5, p.last_amount).bind(6, p.cycle_days).bind(7, p.next_at).bind(8, p.lo).bind(9, p.hi);
  st.bind(10, p.intervals).bind(11, p.lapsed ? 1 : 0).bind(12, p.updated_at);
  st.run();
}

std::optional<PairState> SqliteStore::pair(const std::string& user_id,
                                           const std::string& category) {
  std::lock_guard lock(mu_);
  auto st =
      stmt(fmt::format("SELECT {} FROM pairs WHERE user_id = ?1 AND category = ?2", kPairColumns));
  st.bind(1, user_id).bind(2, category);
  if (!st.step()) return std::nullopt;
  return read_pair(st);
}

std::vector<PairState> SqliteStore::user_pairs(const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto st =
      stmt(fmt::format("SELECT {} FROM pairs WHERE user_id = ?1 ORDER BY category", kPairColumns));
  st.bind(1, user_id);
  std::vector<PairState> out;
  while (st.step()) out.push_back(read_pair(st));
  return out;
}

std::int64_t SqliteStore::insert_reminder(const Reminder& r) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "INSERT INTO reminders (key, user_id, category, kind, based_on, due_at, state, channel, "
      "payload, attempts, next_attempt_at, created_at, updated_at, campaign, segment, template, "
      "coupon_rule, held_out) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?11, ?12, ?13, ?14, ?15, ?16) "
      "ON CONFLICT (key) DO NOTHING");
  st.bind(1, r.key).bind(2, r.user_id).bind(3, r.category).bind(4, r.kind);
  st.bind(5, r.based_on).bind(6, r.due_at).bind(7, core::to_string(r.state)).bind(8, r.channel);
  st.bind(9, r.payload).bind(10, r.next_attempt_at).bind(11, r.created_at);
  st.bind(12, r.campaign).bind(13, r.segment).bind(14, r.template_name).bind(15, r.coupon_rule);
  st.bind(16, r.held_out ? 1 : 0);
  st.run();
  return db_->changes() == 1 ? db_->last_insert_id() : 0;
}

std::optional<Reminder> SqliteStore::reminder(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto st = stmt(fmt::format("SELECT {} FROM reminders WHERE id = ?1", kReminderColumns));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_reminder(st);
}

std::vector<Reminder> SqliteStore::pair_reminders(const std::string& user_id,
                                                  const std::string& category) {
  std::lock_guard lock(mu_);
  auto st = stmt(fmt::format(
      "SELECT {} FROM reminders WHERE user_id = ?1 AND category = ?2 ORDER BY due_at, id",
      kReminderColumns));
  st.bind(1, user_id).bind(2, category);
  std::vector<Reminder> out;
  while (st.step()) out.push_back(read_reminder(st));
  return out;
}

std::vector<Reminder> SqliteStore::list_reminders(const ReminderFilter& f) {
  std::lock_guard lock(mu_);
  // Only the conditions asked for, so that an index serves them: (state, due_at) walks the
  // schedule in order and stops after `limit` rows; (user_id, category, state) finds a user's.
  // The text comes from these fixed pieces only (at most 64 statements); values are bound.
  std::string where = "due_at >= ?4";
  if (f.state) where += " AND state = ?1";
  if (!f.user_id.empty()) where += " AND user_id = ?2";
  if (!f.category.empty()) where += " AND category = ?3";
  if (f.due_to != 0) where += " AND due_at < ?6";
  if (!f.segment.empty()) where += " AND segment = ?7";
  if (!f.channel.empty()) where += " AND channel = ?8";
  auto st = stmt(fmt::format("SELECT {} FROM reminders WHERE {} ORDER BY due_at, id LIMIT ?5",
                             kReminderColumns, where));
  if (f.state) st.bind(1, core::to_string(*f.state));
  if (!f.user_id.empty()) st.bind(2, f.user_id);
  if (!f.category.empty()) st.bind(3, f.category);
  st.bind(4, f.due_from).bind(5, f.limit);
  if (f.due_to != 0) st.bind(6, f.due_to);
  if (!f.segment.empty()) st.bind(7, f.segment);
  if (!f.channel.empty()) st.bind(8, f.channel);
  std::vector<Reminder> out;
  while (st.step()) out.push_back(read_reminder(st));
  return out;
}

bool SqliteStore::transition(std::int64_t id, ReminderState from, ReminderState to,
                             const std::string& reason, EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "UPDATE reminders SET state = ?1, last_error = ?2, updated_at = ?3 "
      "WHERE id = ?4 AND state = ?5");
  st.bind(1, core::to_string(to)).bind(2, reason).bind(3, now).bind(4, id);
  st.bind(5, core::to_string(from));
  st.run();
  return db_->changes() == 1;
}

std::vector<Reminder> SqliteStore::claim_due(EpochSeconds now, int limit, int lease_seconds) {
  std::lock_guard lock(mu_);
  std::vector<Reminder> out;
  with_transaction([&] {
    // One statement: due planned rows and 'sending' rows whose lease ran out (their daemon
    // died), leased as they are read. Each state is its own indexed range over
    // (state, next_attempt_at), read in index order and cut at the limit before the two are
    // merged: a single `state IN (…)` range would sort every due row on each claim.
    auto claim = stmt(fmt::format(
        "UPDATE reminders SET state = 'sending', lease_until = ?1, next_attempt_at = ?1, "
        "attempts = attempts + 1, updated_at = ?2 WHERE id IN (SELECT id FROM ("
        "SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM reminders "
        "WHERE state = 'planned' AND next_attempt_at <= ?2 ORDER BY next_attempt_at, id LIMIT ?3) "
        "UNION ALL SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM reminders "
        "WHERE state = 'sending' AND next_attempt_at <= ?2 ORDER BY next_attempt_at, id LIMIT ?3) "
        "ORDER BY next_attempt_at, id LIMIT ?3)) RETURNING {}",
        kReminderColumns));
    claim.bind(1, now + lease_seconds).bind(2, now).bind(3, limit);
    while (claim.step()) out.push_back(read_reminder(claim));
  });
  std::sort(out.begin(), out.end(),
            [](const Reminder& a, const Reminder& b) { return a.id < b.id; });
  return out;
}

void SqliteStore::finish_attempt(const AttemptRecord& a) {
  finish_attempts({a});
}

std::map<std::string, std::int64_t> SqliteStore::reminder_counts() {
  std::lock_guard lock(mu_);
  auto st = stmt("SELECT state, COUNT(*) FROM reminders GROUP BY state");
  std::map<std::string, std::int64_t> out;
  while (st.step()) out[st.text(0)] = st.int64(1);
  return out;
}

namespace {

/// Placeholders of the IN (…) lists of batched lookups: one prepared statement serves any
/// number of ids, in chunks; unused places are bound to NULL, which matches nothing.
constexpr int kInListSize = 128;

std::string in_list() {
  std::string out = "(";
  for (int i = 1; i <= kInListSize; ++i) out += fmt::format("{}?{}", i > 1 ? ", " : "", i);
  return out + ")";
}

/// Calls `fn(first, last)` for each chunk of at most kInListSize distinct ids.
template <typename Fn>
void for_each_chunk(const std::vector<std::string>& ids, Fn fn) {
  std::vector<std::string> distinct(ids);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (std::size_t i = 0; i < distinct.size(); i += kInListSize) {
    fn(distinct.begin() + static_cast<std::ptrdiff_t>(i),
       distinct.begin() + static_cast<std::ptrdiff_t>(std::min(distinct.size(), i + kInListSize)));
  }
}

template <typename It>
void bind_in_list(ScopedStatement& st, It first, It last) {
  int index = 1;
  for (auto it = first; it != last; ++it) st.bind(index++, *it);
  for (; index <= kInListSize; ++index) st.bind(index, std::nullopt);
}

}  // namespace

void SqliteStore::finish_attempts(const std::vector<AttemptRecord>& attempts) {
  if (attempts.empty()) return;
  std::lock_guard lock(mu_);
  with_transaction([&] {
    auto ins = stmt(
        "INSERT INTO attempts (reminder_id, at, channel, outcome, detail, ms, provider_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    auto upd = stmt(
        "UPDATE reminders SET state = ?1, channel = ?2, last_error = ?3, provider_id = ?4, "
        "next_attempt_at = ?5, lease_until = 0, updated_at = ?6, "
        "sent_at = CASE WHEN ?1 = 'sent' THEN ?6 ELSE sent_at END, "
        "merged_into = CASE WHEN ?8 > 0 THEN ?8 ELSE merged_into END, "
        "coupon_code = CASE WHEN ?9 <> '' THEN ?9 ELSE coupon_code END, "
        "coupon_note = CASE WHEN ?10 <> '' THEN ?10 ELSE coupon_note END, "
        "attempts = attempts - ?11 "
        "WHERE id = ?7 AND state = 'sending'");
    auto defer = stmt(
        "UPDATE reminders SET state = 'planned', next_attempt_at = ?1, lease_until = 0, "
        "attempts = MAX(attempts - 1, 0), updated_at = ?2 WHERE id = ?3 AND state = 'sending'");
    for (const auto& a : attempts) {
      if (a.deferred) {
        defer.bind(1, a.next_attempt_at).bind(2, a.at).bind(3, a.reminder_id);
        defer.run();
        continue;
      }
      ins.bind(1, a.reminder_id).bind(2, a.at).bind(3, a.channel).bind(4, a.outcome);
      ins.bind(5, a.detail).bind(6, a.ms).bind(7, a.provider_id);
      ins.run();
      upd.bind(1, core::to_string(a.new_state)).bind(2, a.channel);
      upd.bind(3, a.new_state == ReminderState::kSent ? std::string() : a.detail);
      upd.bind(4, a.provider_id).bind(5, a.next_attempt_at).bind(6, a.at).bind(7, a.reminder_id);
      upd.bind(8, a.merged_into).bind(9, a.coupon_code).bind(10, a.coupon_note);
      upd.bind(11, a.refund_attempt ? 1 : 0);
      upd.run();
    }
  });
}

std::map<std::string, UserRecord> SqliteStore::users(const std::vector<std::string>& user_ids) {
  std::lock_guard lock(mu_);
  std::map<std::string, UserRecord> out;
  static const std::string sql =
      "SELECT user_id, COALESCE(openid, ''), COALESCE(tz, ''), opted_out FROM users "
      "WHERE user_id IN " +
      in_list();
  for_each_chunk(user_ids, [&](auto first, auto last) {
    auto st = stmt(sql);
    bind_in_list(st, first, last);
    while (st.step()) {
      UserRecord u{st.text(0), st.text(1), st.text(2), st.int64(3) != 0};
      out.emplace(u.user_id, std::move(u));
    }
  });
  return out;
}

std::set<std::pair<std::string, std::string>> SqliteStore::channel_optouts(
    const std::vector<std::string>& user_ids) {
  std::lock_guard lock(mu_);
  std::set<std::pair<std::string, std::string>> out;
  static const std::string sql =
      "SELECT user_id, channel FROM channel_optouts WHERE user_id IN " + in_list();
  for_each_chunk(user_ids, [&](auto first, auto last) {
    auto st = stmt(sql);
    bind_in_list(st, first, last);
    while (st.step()) out.emplace(st.text(0), st.text(1));
  });
  return out;
}

std::vector<AttemptRow> SqliteStore::attempts(std::int64_t reminder_id) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "SELECT id, reminder_id, at, channel, outcome, detail, ms, provider_id FROM attempts "
      "WHERE reminder_id = ?1 ORDER BY id");
  st.bind(1, reminder_id);
  std::vector<AttemptRow> out;
  while (st.step()) {
    out.push_back(AttemptRow{st.int64(0), st.int64(1), st.int64(2), st.text(3), st.text(4),
                             st.text(5), st.int64(6), st.text(7)});
  }
  return out;
}

std::vector<Reminder> SqliteStore::dead_letters(int limit) {
  std::lock_guard lock(mu_);
  auto st = stmt(fmt::format(
      "SELECT {} FROM reminders WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT ?1",
      kReminderColumns));
  st.bind(1, limit);
  std::vector<Reminder> out;
  while (st.step()) out.push_back(read_reminder(st));
  return out;
}

bool SqliteStore::requeue_dead(std::int64_t id, const std::string& reason, EpochSeconds now) {
  std::lock_guard lock(mu_);
  auto st = stmt(
      "UPDATE reminders SET state = 'planned', next_attempt_at = ?1, lease_until = 0, "
      "last_error = ?2, updated_at = ?1 WHERE id = ?3 AND state = 'dead'");
  st.bind(1, now).bind(2, reason).bind(3, id);
  st.run();
  return db_->changes() == 1;
}

std::vector<PackSizeCount> SqliteStore::pack_size_counts() {
  std::vector<PackSizeCount> out;
  std::map<std::tuple<std::string, std::string, double>, std::int64_t> counts;
  with_reader([&](Connection& c) {
    // Counted here rather than with GROUP BY, which would sort every line: a walk of the
    // covering orders index and a handful of distinct sizes.
    Statement st(c.raw(),
                 "SELECT periodic, pack_value, pack_unit FROM orders "
                 "WHERE periodic IS NOT NULL AND pack_value IS NOT NULL");
    std::string category, unit;
    while (st.step()) {
      category.assign(st.view(0));
      unit.assign(st.view(2));
      ++counts[{category, unit, st.real(1)}];
    }
  });
  for (const auto& [key, n] : counts) {
    out.push_back(PackSizeCount{std::get<0>(key), std::get<2>(key), std::get<1>(key), n});
  }
  return out;
}

void SqliteStore::set_cache_kib(std::int64_t kib) {
  std::lock_guard lock(mu_);
  db_->exec(fmt::format("PRAGMA cache_size = -{}", std::max<std::int64_t>(kib, 64)));
}

}  // namespace replenish::store

// Coupons.
namespace replenish::store {
namespace {

constexpr const char* kCouponColumns =
    "code, rule, user_id, category, COALESCE(reminder_id, 0), source, value_text, issued_at, "
    "expires_at, redeemed_at, COALESCE(redeemed_order, '')";

CouponRecord read_coupon(const ScopedStatement& st) {
  CouponRecord c;
  c.code = st.text(0);
  c.rule = st.text(1);
  c.user_id = st.text(2);
  c.category = st.text(3);
  c.reminder_id = st.int64(4);
  c.source = st.text(5);
  c.value_text = st.text(6);
  c.issued_at = st.int64(7);
  c.expires_at = st.int64(8);
  if (!st.is_null(9)) c.redeemed_at = st.int64(9);
  c.redeemed_order = st.text(10);
  return c;
}

std::string upper_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

CouponIssue SqliteStore::check_coupon(const CouponRecord& c, const CouponLimits& limits) {
  std::lock_guard lock(mu_);
  CouponIssue out;
  if (c.reminder_id != 0) {
    auto st = stmt(fmt::format("SELECT {} FROM coupons WHERE reminder_id = ?1", kCouponColumns));
    st.bind(1, c.reminder_id);
    if (st.step()) return CouponIssue{CouponDecision::kReused, read_coupon(st)};
  }
  {
    auto st = stmt(fmt::format(
        "SELECT {} FROM coupons WHERE user_id = ?1 AND category = ?2 AND redeemed_at IS NULL "
        "AND expires_at > ?3 ORDER BY expires_at DESC LIMIT 1",
        kCouponColumns));
    st.bind(1, c.user_id).bind(2, c.category).bind(3, c.issued_at);
    if (st.step()) return CouponIssue{CouponDecision::kLiveCouponExists, read_coupon(st)};
  }
  if (limits.budget_per_day > 0) {
    auto st =
        stmt("SELECT COUNT(*) FROM coupons WHERE rule = ?1 AND issued_at >= ?2 AND issued_at < ?3");
    st.bind(1, c.rule).bind(2, limits.day_start).bind(3, limits.day_end);
    if (st.step() && st.int64(0) >= limits.budget_per_day) {
      out.decision = CouponDecision::kBudgetExhausted;
      return out;
    }
  }
  if (limits.budget_total > 0) {
    auto st = stmt("SELECT COUNT(*) FROM coupons WHERE rule = ?1");
    st.bind(1, c.rule);
    if (st.step() && st.int64(0) >= limits.budget_total) {
      out.decision = CouponDecision::kBudgetExhausted;
      return out;
    }
  }
  return out;
}

CouponIssue SqliteStore::issue_coupon(const CouponRecord& c, const CouponLimits& limits) {
  std::lock_guard lock(mu_);
  CouponIssue out;
  with_transaction([&] {
    out = check_coupon(c, limits);
    if (out.decision != CouponDecision::kIssued) return;
    auto ins = stmt(
        "INSERT INTO coupons (code, rule, user_id, category, reminder_id, source, value_text, "
        "issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, NULLIF(?5, 0), ?6, ?7, ?8, ?9) "
        "ON CONFLICT (code) DO NOTHING");
    ins.bind(1, c.code).bind(2, c.rule).bind(3, c.user_id).bind(4, c.category);
    ins.bind(5, c.reminder_id).bind(6, c.source).bind(7, c.value_text).bind(8, c.issued_at);
    ins.bind(9, c.expires_at);
    ins.run();
    if (db_->changes() == 1) {
      out.coupon = c;
      out.coupon.redeemed_at.reset();
      out.coupon.redeemed_order.clear();
    } else {
      out.decision = CouponDecision::kCodeTaken;
    }
  });
  return out;
}

std::optional<CouponRecord> SqliteStore::coupon(const std::string& code) {
  std::lock_guard lock(mu_);
  auto st = stmt(fmt::format("SELECT {} FROM coupons WHERE code = ?1", kCouponColumns));
  st.bind(1, code);
  if (st.step()) return read_coupon(st);
  st.reset();
  const std::string upper = upper_ascii(code);
  if (upper == code) return std::nullopt;
  st.bind(1, upper);
  if (st.step()) return read_coupon(st);
  return std::nullopt;
}

RedeemResult SqliteStore::redeem_coupon(const std::string& code, const std::string& order_id,
                                        EpochSeconds at) {
  std::lock_guard lock(mu_);
  RedeemResult out;
  with_transaction([&] {
    auto found = coupon(code);
    if (!found) return;
    out.coupon = *found;
    if (found->redeemed_at) {
      out.status = RedeemStatus::kAlreadyRedeemed;
      return;
    }
    if (at >= found->expires_at) {
      out.status = RedeemStatus::kExpired;
      return;
    }
    auto upd = stmt(
        "UPDATE coupons SET redeemed_at = ?1, redeemed_order = ?2 "
        "WHERE code = ?3 AND redeemed_at IS NULL");
    upd.bind(1, at).bind(2, order_id).bind(3, found->code);
    upd.run();
    out.status = RedeemStatus::kRedeemed;
    out.coupon.redeemed_at = at;
    out.coupon.redeemed_order = order_id;
  });
  return out;
}

}  // namespace replenish::store
