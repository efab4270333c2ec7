// The store interface: everything the engine, dispatcher and API persist goes through it.
// SQLite (sqlite_store.hpp) is the embedded default. Methods are safe to call from several
// threads; with_transaction() makes a group of calls atomic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace replenish::store {

/// An order line with what ingest derived from it.
struct LineRecord {
  core::OrderLine line;
  std::string periodic;              ///< periodic category slug, empty when not periodic
  std::optional<double> pack_value;  ///< parsed pack size, in pack_unit
  std::string pack_unit;             ///< "g", "ml" or "pc"; empty when not parsed
};

struct AddOrdersResult {
  std::int64_t stored = 0;
  std::int64_t duplicates = 0;  ///< same (order_id, line) with the same content: ignored
  std::int64_t conflicts = 0;   ///< same (order_id, line) with other content: the first is kept
  /// Index into the input and reason, for each conflict.
  std::vector<std::pair<std::size_t, std::string>> conflict_rows;
  /// (user_id, periodic slug) pairs that got a new line.
  std::vector<std::pair<std::string, std::string>> touched_pairs;
};

/// One stored line of a pair, as the model reads it.
struct PairLine {
  core::EpochSeconds at = 0;
  double quantity = 0;
  std::optional<double> pack_value;
  std::string pack_unit;
};

/// A category's learned prior, as stored.
struct PriorRecord {
  std::string category;
  double m = 0, s = 0, sigma = 0, beta = 0;
  int n_users = 0;
  double learned_m = 0;
  double learned_weight = 0;
  std::optional<double> ref_value;
  std::string ref_unit;
  core::EpochSeconds updated_at = 0;
};

/// The model's saved state for a (user, category) pair.
struct PairState {
  std::string user_id;
  std::string category;
  int purchases = 0;
  core::EpochSeconds last_at = 0;
  double last_amount = 0;
  double cycle_days = 0;
  core::EpochSeconds next_at = 0;
  core::EpochSeconds lo = 0;
  core::EpochSeconds hi = 0;
  int intervals = 0;
  bool lapsed = false;
  core::EpochSeconds updated_at = 0;
};

struct UserRecord {
  std::string user_id;
  std::string openid;
  std::string tz;
  bool opted_out = false;
};

struct ReminderFilter {
  std::optional<core::ReminderState> state;
  std::string user_id;
  std::string category;
  core::EpochSeconds due_from = 0;
  int limit = 100;
};

/// What happened to one claimed reminder; applied with its attempt row in one transaction.
struct AttemptRecord {
  std::int64_t reminder_id = 0;
  core::EpochSeconds at = 0;
  std::string channel;
  std::string outcome;  ///< delivered, retryable, permanent, skipped
  std::string detail;
  std::int64_t ms = 0;
  core::ReminderState new_state = core::ReminderState::kSent;
  core::EpochSeconds next_attempt_at = 0;  ///< for a retry
  std::string provider_id;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual int schema_version() = 0;
  /// Runs `fn` in one transaction (nested calls join the outer one).
  virtual void with_transaction(const std::function<void()>& fn) = 0;

  // Orders.
  virtual AddOrdersResult add_orders(const std::vector<LineRecord>& lines,
                                     core::EpochSeconds now) = 0;
  virtual std::vector<PairLine> pair_lines(const std::string& user_id,
                                           const std::string& category) = 0;
  virtual std::vector<LineRecord> user_orders(const std::string& user_id, int limit) = 0;
  /// Every stored line of every periodic pair, grouped by pair (user, category) and sorted by
  /// time within it: `fn` is called once per pair.
  virtual void for_each_pair(
      const std::function<void(const std::string& user_id, const std::string& category,
                               const std::vector<PairLine>& lines)>& fn) = 0;
  /// Parsed pack sizes of a category's lines: (value, unit).
  virtual std::vector<std::pair<double, std::string>> pack_sizes(const std::string& category) = 0;
  virtual std::vector<PriorRecord> priors() = 0;
  virtual void save_prior(const PriorRecord& prior) = 0;
  virtual std::int64_t order_count() = 0;

  // Users.
  virtual std::optional<UserRecord> user(const std::string& user_id) = 0;
  virtual void upsert_user(const UserRecord& user, core::EpochSeconds now) = 0;

  // Channels' knowledge of users.
  /// Adds `count` credits (may be negative, never below zero); returns the new balance.
  virtual std::int64_t add_consents(const std::string& user_id, const std::string& template_id,
                                    std::int64_t count, core::EpochSeconds now) = 0;
  /// Spends one credit; false when there is none.
  virtual bool consume_consent(const std::string& user_id, const std::string& template_id,
                               core::EpochSeconds now) = 0;
  virtual std::int64_t consent_credits(const std::string& user_id,
                                       const std::string& template_id) = 0;
  virtual void set_channel_optout(const std::string& user_id, const std::string& channel,
                                  const std::string& reason, core::EpochSeconds now) = 0;
  virtual bool channel_opted_out(const std::string& user_id, const std::string& channel) = 0;
  /// Reminder whose gateway message id is `provider_id`, if any.
  virtual std::optional<core::Reminder> reminder_by_provider_id(const std::string& provider_id) = 0;
  /// Records a delivery receipt on a reminder.
  virtual void record_receipt(std::int64_t id, const std::string& receipt,
                              core::EpochSeconds at) = 0;

  // Model state.
  virtual void save_pair(const PairState& pair) = 0;
  virtual std::optional<PairState> pair(const std::string& user_id,
                                        const std::string& category) = 0;
  virtual std::vector<PairState> user_pairs(const std::string& user_id) = 0;

  // Reminders.
  /// Inserts a reminder; returns its id, or 0 when a reminder with its key exists.
  virtual std::int64_t insert_reminder(const core::Reminder& reminder) = 0;
  virtual std::optional<core::Reminder> reminder(std::int64_t id) = 0;
  virtual std::vector<core::Reminder> pair_reminders(const std::string& user_id,
                                                     const std::string& category) = 0;
  virtual std::vector<core::Reminder> list_reminders(const ReminderFilter& filter) = 0;
  /// Changes the state of one reminder when it is in `from`; returns false otherwise.
  virtual bool transition(std::int64_t id, core::ReminderState from, core::ReminderState to,
                          const std::string& reason, core::EpochSeconds now) = 0;
  /// Claims up to `limit` reminders whose time has come (due, retry time, or expired lease),
  /// moving them to 'sending' with a lease, in one transaction.
  virtual std::vector<core::Reminder> claim_due(core::EpochSeconds now, int limit,
                                                int lease_seconds) = 0;
  /// Records an attempt and moves the reminder (only while it is still 'sending').
  virtual void finish_attempt(const AttemptRecord& attempt) = 0;
  virtual std::map<std::string, std::int64_t> reminder_counts() = 0;
};

}  // namespace replenish::store
