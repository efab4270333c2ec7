// The embedded SQLite store: one connection in WAL mode, guarded by a mutex, and a second,
// read-only one for the long scans (with_reader).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace replenish::store {

class SqliteStore final : public Store {
 public:
  /// Opens (creating) the database and migrates it to the latest schema. Throws DbError, or
  /// std::runtime_error when the database is newer than this binary.
  explicit SqliteStore(const std::string& path);

  int schema_version() override;
  void with_transaction(const std::function<void()>& fn) override;

  AddOrdersResult add_orders(const std::vector<LineRecord>& lines, core::EpochSeconds now) override;
  std::vector<PairLine> pair_lines(const std::string& user_id,
                                   const std::string& category) override;
  std::vector<LineRecord> user_orders(const std::string& user_id, int limit) override;
  void for_each_pair(const std::function<void(const std::string&, const std::string&,
                                              const std::vector<PairLine>&)>& fn) override;
  std::vector<std::pair<double, std::string>> pack_sizes(const std::string& category) override;
  std::vector<PriorRecord> priors() override;
  void save_prior(const PriorRecord& prior) override;
  std::int64_t order_count() override;

  std::optional<UserRecord> user(const std::string& user_id) override;
  void upsert_user(const UserRecord& user, core::EpochSeconds now) override;

  std::int64_t add_consents(const std::string& user_id, const std::string& template_id,
                            std::int64_t count, core::EpochSeconds now) override;
  bool consume_consent(const std::string& user_id, const std::string& template_id,
                       core::EpochSeconds now) override;
  std::int64_t consent_credits(const std::string& user_id, const std::string& template_id) override;
  void set_channel_optout(const std::string& user_id, const std::string& channel,
                          const std::string& reason, core::EpochSeconds now) override;
  bool channel_opted_out(const std::string& user_id, const std::string& channel) override;
  std::optional<core::Reminder> reminder_by_provider_id(const std::string& provider_id) override;
  void record_receipt(std::int64_t id, const std::string& receipt, core::EpochSeconds at) override;

  void save_pair(const PairState& pair) override;
  std::optional<PairState> pair(const std::string& user_id, const std::string& category) override;
  std::vector<PairState> user_pairs(const std::string& user_id) override;

  std::int64_t insert_reminder(const core::Reminder& reminder) override;
  std::optional<core::Reminder> reminder(std::int64_t id) override;
  std::vector<core::Reminder> pair_reminders(const std::string& user_id,
                                             const std::string& category) override;
  std::vector<core::Reminder> list_reminders(const ReminderFilter& filter) override;
  bool transition(std::int64_t id, core::ReminderState from, core::ReminderState to,
                  const std::string& reason, core::EpochSeconds now) override;
  std::vector<core::Reminder> claim_due(core::EpochSeconds now, int limit,
                                        int lease_seconds) override;
  void finish_attempt(const AttemptRecord& attempt) override;
  std::map<std::string, std::int64_t> reminder_counts() override;

  // Campaigns (sqlite_campaigns.cpp).
  double user_spend(const std::string& user_id) override;
  std::vector<double> spend_per_user() override;
  void save_threshold(const std::string& name, double value, std::int64_t n_users,
                      core::EpochSeconds now) override;
  std::optional<double> threshold(const std::string& name) override;
  std::optional<core::EpochSeconds> coupon_order(const std::string& user_id,
                                                 const std::string& coupon_code,
                                                 core::EpochSeconds from,
                                                 core::EpochSeconds to) override;
  void set_conversion(std::int64_t id, core::EpochSeconds converted_at,
                      bool coupon_redeemed) override;
  std::vector<core::Reminder> follow_up_candidates(core::EpochSeconds from, core::EpochSeconds to,
                                                   int limit) override;
  std::vector<std::pair<std::string, std::string>> lapse_candidates(core::EpochSeconds now,
                                                                    int limit) override;
  std::int64_t cancel_user_reminders(const std::string& user_id, const std::string& reason,
                                     core::EpochSeconds now) override;
  std::map<std::string, std::vector<core::EpochSeconds>> recent_sends(
      const std::vector<std::string>& user_ids, core::EpochSeconds since) override;
  std::map<std::string, std::vector<MergeCandidate>> merge_candidates(
      const std::vector<std::string>& user_ids, core::EpochSeconds until) override;
  std::vector<core::Reminder> claim_ids(const std::vector<std::int64_t>& ids,
                                        core::EpochSeconds now, int lease_seconds) override;
  std::vector<StatsRow> stats_rows(core::EpochSeconds since, core::EpochSeconds until,
                                   core::EpochSeconds now,
                                   core::EpochSeconds attribution_seconds) override;
  CouponIssue check_coupon(const CouponRecord& candidate, const CouponLimits& limits) override;
  CouponIssue issue_coupon(const CouponRecord& candidate, const CouponLimits& limits) override;
  RedeemResult redeem_coupon(const std::string& code, const std::string& order_id,
                             core::EpochSeconds at) override;
  std::optional<CouponRecord> coupon(const std::string& code) override;

  // Operations (sqlite_store_ops.cpp).
  bool snooze_reminder(std::int64_t id, core::EpochSeconds at, core::EpochSeconds now) override;
  std::optional<core::Reminder> resend_reminder(std::int64_t id, core::EpochSeconds at,
                                                core::EpochSeconds now) override;
  std::map<std::string, std::int64_t> erase_user(const std::string& user_id,
                                                 const AuditRecord& audit) override;
  std::vector<AuditRecord> audit_log(int limit) override;
  RetentionCounts apply_retention(const RetentionPolicy& policy, bool dry_run) override;
  QueueStats queue_stats(core::EpochSeconds now) override;
  void finish_attempts(const std::vector<AttemptRecord>& attempts) override;
  std::map<std::string, UserRecord> users(const std::vector<std::string>& user_ids) override;
  std::set<std::pair<std::string, std::string>> channel_optouts(
      const std::vector<std::string>& user_ids) override;

  std::vector<AttemptRow> attempts(std::int64_t reminder_id) override;
  std::vector<core::Reminder> dead_letters(int limit) override;
  bool requeue_dead(std::int64_t id, const std::string& reason, core::EpochSeconds now) override;

  std::vector<PackSizeCount> pack_size_counts() override;
  void scan_pairs(const std::function<void(const std::string&, const std::string&,
                                           const std::vector<PairLine>&)>& fn) override;
  std::int64_t count_planned_due(core::EpochSeconds before) override;
  std::vector<CycleCount> cycle_histogram() override;
  std::int64_t save_backtest(const BacktestRecord& record) override;
  std::optional<BacktestRecord> latest_backtest() override;

  // Bulk work (replenishctl import).
  /// Sets this connection's page cache (KiB), so that a bulk import keeps its indexes in memory.
  void set_cache_kib(std::int64_t kib);

 private:
  /// A prepared statement kept for re-use, for one call (with mu_ held).
  ScopedStatement stmt(const std::string& sql);
  /// Runs `fn` on a second, read-only connection (opened on first use), one call at a time:
  /// the long scans of a priors refresh and of the model view read a snapshot beside the
  /// writer (WAL) instead of holding every other call of the store for seconds. On the thread
  /// of an open transaction it is the store's own connection, so the scan sees its writes.
  void with_reader(const std::function<void(Connection&)>& fn);

  std::recursive_mutex mu_;
  std::unique_ptr<Connection> db_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  int tx_depth_ = 0;
  std::atomic<std::thread::id> tx_thread_{};  ///< the thread of the open transaction, if any
  std::mutex reader_mu_;
  std::unique_ptr<Connection> reader_;
};

/// Applies pending migrations to an open connection. Returns the number applied. Throws
/// std::runtime_error when the database's version is newer than `migrations` know.
int migrate(Connection& db, const std::vector<Migration>& migrations);

}  // namespace replenish::store
