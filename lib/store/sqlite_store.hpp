// The embedded SQLite store: one connection in WAL mode, guarded by a mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

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

 private:
  /// A prepared statement kept for re-use, for one call (with mu_ held).
  ScopedStatement stmt(const std::string& sql);

  std::recursive_mutex mu_;
  std::unique_ptr<Connection> db_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  int tx_depth_ = 0;
};

/// Applies pending migrations to an open connection. Returns the number applied. Throws
/// std::runtime_error when the database's version is newer than `migrations` know.
int migrate(Connection& db, const std::vector<Migration>& migrations);

}  // namespace replenish::store
