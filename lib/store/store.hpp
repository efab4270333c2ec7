// The store interface: everything the engine, dispatcher and API persist goes through it.
// SQLite (sqlite_store.hpp) is the embedded default. Methods are safe to call from several
// threads; with_transaction() makes a group of calls atomic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
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
  core::EpochSeconds due_to = 0;  ///< due strictly before this; 0 = no bound
  std::string segment;            ///< the segment whose rule chose the message; empty = any
  std::string channel;            ///< the channel it went out on; empty = any
  int limit = 100;
};

/// A saved backtest report (replenishctl backtest --save): aggregate figures, no user ids.
struct BacktestRecord {
  std::int64_t id = 0;
  core::EpochSeconds ran_at = 0;
  std::string source;  ///< what was replayed, for people
  std::string report;  ///< the JSON of model::format_json
};

/// How many (user, category) pairs predict a cycle of `day` whole days.
struct CycleCount {
  std::string category;
  int day = 0;
  std::int64_t pairs = 0;
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
  // Campaigns.
  std::int64_t merged_into = 0;  ///< the reminder whose message listed this one's category
  std::string coupon_code{};     ///< the coupon the message carried ("" = keep what is stored)
  std::string coupon_note{};     ///< why it carried none ("" = keep what is stored)
  bool refund_attempt = false;   ///< deferred (cap, quiet hours) or released: not an attempt
  /// Not an attempt: the reminder goes back to 'planned' at next_attempt_at without counting
  /// the attempt or recording a row (a channel over its rate or concurrency limit).
  bool deferred = false;
};

/// One recorded delivery attempt, as `reminder show` lists it.
struct AttemptRow {
  std::int64_t id = 0;
  std::int64_t reminder_id = 0;
  core::EpochSeconds at = 0;
  std::string channel;
  std::string outcome;  ///< delivered, retryable, permanent, skipped
  std::string detail;   ///< the gateway's answer or the error
  std::int64_t ms = 0;
  std::string provider_id;
};

/// A coupon in the ledger (schemas/0004_coupons.sql).
struct CouponRecord {
  std::string code;
  std::string rule;
  std::string user_id;
  std::string category;
  std::int64_t reminder_id = 0;
  std::string source;      ///< local | service
  std::string value_text;  ///< as shown in the message, "满50减5元"
  core::EpochSeconds issued_at = 0;
  core::EpochSeconds expires_at = 0;  ///< first instant it is no longer valid
  std::optional<core::EpochSeconds> redeemed_at;
  std::string redeemed_order;
};

/// What may be issued: the rule's budgets (0 = unlimited) and the merchant-local day that
/// `budget_per_day` counts, [day_start, day_end).
struct CouponLimits {
  std::int64_t budget_per_day = 0;
  std::int64_t budget_total = 0;
  core::EpochSeconds day_start = 0;
  core::EpochSeconds day_end = 0;
};

/// kIssued: inserted (check_coupon: may be issued); kReused: the reminder already has one
/// (returned); kBudgetExhausted / kLiveCouponExists: refused (the live one is returned);
/// kCodeTaken: the code exists for another reminder (nothing written).
enum class CouponDecision { kIssued, kReused, kBudgetExhausted, kLiveCouponExists, kCodeTaken };

struct CouponIssue {
  CouponDecision decision = CouponDecision::kIssued;
  CouponRecord coupon;  ///< the inserted, reused or live coupon
};

enum class RedeemStatus { kRedeemed, kAlreadyRedeemed, kUnknown, kExpired };

struct RedeemResult {
  RedeemStatus status = RedeemStatus::kUnknown;
  CouponRecord coupon;  ///< as stored after the call (unset when unknown)
};

/// pack_size_counts(): `lines` lines of `category` have the pack size `value` `unit`.
struct PackSizeCount {
  std::string category;
  double value = 0;
  std::string unit;
  std::int64_t lines = 0;
};

/// An administrative action, recorded without personal data.
struct AuditRecord {
  core::EpochSeconds at = 0;
  std::string action;         ///< user_erased, ...
  std::string subject;        ///< e.g. "sha256:…" of an erased user id, never the id itself
  std::string actor;          ///< token name or "replenishctl"
  std::string detail = "{}";  ///< JSON
};

/// What retention deletes: attempts of finished reminders older than `attempts_before`, and
/// order lines older than `orders_before` except each (user, category) pair's newest
/// `keep_lines_per_pair` lines, which the model still reads. A time of 0 keeps everything.
struct RetentionPolicy {
  core::EpochSeconds attempts_before = 0;
  core::EpochSeconds orders_before = 0;
  int keep_lines_per_pair = 20;
};

struct RetentionCounts {
  std::int64_t attempts = 0;
  std::int64_t orders = 0;
};

/// The outbox as metrics see it.
struct QueueStats {
  std::int64_t due = 0;                  ///< planned and due now, not yet claimed
  core::EpochSeconds oldest_due_at = 0;  ///< the longest-waiting of them (0 = none)
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

  // Campaigns: segments, attribution, follow-ups, opt-outs, stats (sqlite_campaigns.cpp).
  /// A user's total spend: quantity x unit_price over the stored lines that have a price.
  virtual double user_spend(const std::string& user_id) = 0;
  /// Every user's total spend (users with at least one priced line).
  virtual std::vector<double> spend_per_user() = 0;
  virtual void save_threshold(const std::string& name, double value, std::int64_t n_users,
                              core::EpochSeconds now) = 0;
  virtual std::optional<double> threshold(const std::string& name) = 0;
  /// Time of the user's first order line in [from, to] that carries `coupon_code`.
  virtual std::optional<core::EpochSeconds> coupon_order(const std::string& user_id,
                                                         const std::string& coupon_code,
                                                         core::EpochSeconds from,
                                                         core::EpochSeconds to) = 0;
  /// Records a reminder's conversion (any state; the state is left alone).
  virtual void set_conversion(std::int64_t id, core::EpochSeconds converted_at,
                              bool coupon_redeemed) = 0;
  /// First reminders (kind 'replenish') that went out in [from, to] — sent (not converted) at
  /// that time, or held out and due then — and have no follow-up for the same purchase yet.
  virtual std::vector<core::Reminder> follow_up_candidates(core::EpochSeconds from,
                                                           core::EpochSeconds to, int limit) = 0;
  /// (user, category) pairs not flagged lapsed whose upper bound plus one cycle is before `now`.
  virtual std::vector<std::pair<std::string, std::string>> lapse_candidates(core::EpochSeconds now,
                                                                            int limit) = 0;
  /// Cancels a user's pending reminders (planned, and held out but not yet due); returns how
  /// many.
  virtual std::int64_t cancel_user_reminders(const std::string& user_id, const std::string& reason,
                                             core::EpochSeconds now) = 0;

  /// Reminders counted by everything the stats break down by, for reminders due in
  /// [since, until). A coupon counts as redeemed when the conversion found it so, or when the
  /// ledger has it redeemed within `attribution_seconds` after the send (a coupon event may
  /// come after the order).
  struct StatsRow {
    std::string campaign, segment, category, channel, kind;
    bool held_out = false;
    std::string state;  ///< a reminder state; 'held_out' only once due (else 'planned')
    bool merged = false;
    bool has_coupon = false;
    bool converted = false;
    bool coupon_redeemed = false;
    bool receipt_failed = false;  ///< a later receipt said it did not reach the user
    std::int64_t count = 0;
  };
  /// Send times of each user's messages since `since`, ascending: reminders sent (or
  /// converted), merged ones excluded (they rode in another reminder's message).
  virtual std::map<std::string, std::vector<core::EpochSeconds>> recent_sends(
      const std::vector<std::string>& user_ids, core::EpochSeconds since) = 0;
  /// A planned reminder that may join another one's message.
  struct MergeCandidate {
    std::int64_t id = 0;
    std::string kind;  ///< replenish or follow_up: each merges only with its own kind
  };
  /// The planned replenish and follow-up reminders (not held out; win-backs never merge) of
  /// these users due at or before `until`, by user, soonest first.
  virtual std::map<std::string, std::vector<MergeCandidate>> merge_candidates(
      const std::vector<std::string>& user_ids, core::EpochSeconds until) = 0;
  /// Claims these reminders as claim_due() does, those still planned; returns the claimed.
  virtual std::vector<core::Reminder> claim_ids(const std::vector<std::int64_t>& ids,
                                                core::EpochSeconds now, int lease_seconds) = 0;

  virtual std::vector<StatsRow> stats_rows(core::EpochSeconds since, core::EpochSeconds until,
                                           core::EpochSeconds now,
                                           core::EpochSeconds attribution_seconds) = 0;
  // Coupons. A code is looked up as given, then upper-cased (local codes are case-insensitive).
  /// The checks of issue_coupon() without writing: kReused (with the reminder's coupon),
  /// kBudgetExhausted, kLiveCouponExists, or kIssued when `candidate` may be issued at
  /// candidate.issued_at. Only candidate's rule, user_id, category, reminder_id and issued_at
  /// are read.
  virtual CouponIssue check_coupon(const CouponRecord& candidate, const CouponLimits& limits) = 0;
  /// In one transaction: the reminder's existing coupon (kReused); else refuses when the user
  /// has a live coupon in the category or a budget of the rule is spent; else inserts.
  virtual CouponIssue issue_coupon(const CouponRecord& candidate, const CouponLimits& limits) = 0;
  /// Marks a coupon redeemed by `order_id` at `at` when it is known, unredeemed and valid then.
  virtual RedeemResult redeem_coupon(const std::string& code, const std::string& order_id,
                                     core::EpochSeconds at) = 0;
  virtual std::optional<CouponRecord> coupon(const std::string& code) = 0;

  // Operations: admin API, replenishctl, retention timer, metrics.
  /// Moves a planned reminder to `at`; false when it is not planned.
  virtual bool snooze_reminder(std::int64_t id, core::EpochSeconds at, core::EpochSeconds now) = 0;
  /// Queues a sent or dead reminder once more: 'planned' at `at` with a fresh attempt budget.
  /// A dead one keeps its idempotency key (it never reached the user); a sent one gets
  /// "<key>.r<n>" for its n-th resend, so a gateway does not drop it as a duplicate. Returns
  /// the reminder as queued, nullopt when it is in another state.
  virtual std::optional<core::Reminder> resend_reminder(std::int64_t id, core::EpochSeconds at,
                                                        core::EpochSeconds now) = 0;
  /// Deletes everything stored about a user (orders, pairs, reminders and their attempts,
  /// consents, opt-outs, the user row) and adds `audit`, in one transaction. Returns rows
  /// deleted per table.
  virtual std::map<std::string, std::int64_t> erase_user(const std::string& user_id,
                                                         const AuditRecord& audit) = 0;
  virtual std::vector<AuditRecord> audit_log(int limit) = 0;
  /// Applies (or with `dry_run` only counts) a retention policy, in one transaction.
  virtual RetentionCounts apply_retention(const RetentionPolicy& policy, bool dry_run) = 0;
  virtual QueueStats queue_stats(core::EpochSeconds now) = 0;
  // Dispatch in groups: one statement or transaction for a whole claimed batch.
  /// Records many attempts in one transaction (each as finish_attempt does).
  virtual void finish_attempts(const std::vector<AttemptRecord>& attempts) = 0;
  /// The stored users among `user_ids`, by id.
  virtual std::map<std::string, UserRecord> users(const std::vector<std::string>& user_ids) = 0;
  /// (user_id, channel) of every channel opt-out of `user_ids`; channel "*" means all.
  virtual std::set<std::pair<std::string, std::string>> channel_optouts(
      const std::vector<std::string>& user_ids) = 0;

  // Operator tools: attempts and dead letters.
  /// Every attempt of a reminder, oldest first.
  virtual std::vector<AttemptRow> attempts(std::int64_t reminder_id) = 0;
  /// Dead reminders, most recently dead first.
  virtual std::vector<core::Reminder> dead_letters(int limit) = 0;
  /// A dead reminder back to 'planned', due at `now`, its attempts and key kept; false when it
  /// is not dead.
  virtual bool requeue_dead(std::int64_t id, const std::string& reason, core::EpochSeconds now) = 0;

  // The console's views (sqlite_console.cpp).
  /// Planned reminders due before `before`.
  virtual std::int64_t count_planned_due(core::EpochSeconds before) = 0;
  /// The predicted cycles of the pairs with at least one interval, per category and whole day.
  virtual std::vector<CycleCount> cycle_histogram() = 0;
  /// Stores a backtest report; returns its id.
  virtual std::int64_t save_backtest(const BacktestRecord& record) = 0;
  /// The most recently saved report (highest id), if any.
  virtual std::optional<BacktestRecord> latest_backtest() = 0;

  // Bulk reads (priors over the whole store).
  /// How many lines of each periodic category carry each parsed pack size.
  virtual std::vector<PackSizeCount> pack_size_counts() = 0;
  /// for_each_pair() over a snapshot read beside the writers: a long scan that holds up no
  /// other call of the store. `fn` must not call the store itself (other threads may).
  virtual void scan_pairs(
      const std::function<void(const std::string& user_id, const std::string& category,
                               const std::vector<PairLine>& lines)>& fn) = 0;
};

}  // namespace replenish::store
