// The engine: validated order lines in → stored orders → model update for the touched
// (user, category) pairs only → a reminder planned on the predicted date. Shared by HTTP
// ingest and offline import; every batch is one transaction.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "core/types.hpp"
#include "ingest/category_mapper.hpp"
#include "model/model.hpp"
#include "plan/segments.hpp"
#include "store/store.hpp"

namespace replenish::plan {

using PairKey = std::pair<std::string, std::string>;  ///< (user_id, category slug)

struct IngestSummary {
  std::int64_t received = 0;
  std::int64_t stored = 0;
  std::int64_t duplicates = 0;
  std::int64_t conflicts = 0;
  std::int64_t periodic = 0;  ///< stored lines in a periodic category
  std::int64_t pairs_updated = 0;
  std::int64_t planned = 0;
  std::int64_t cancelled = 0;
  std::int64_t converted = 0;
  std::int64_t coupons_redeemed = 0;  ///< ledger coupons marked redeemed by these lines
  std::vector<std::pair<std::size_t, std::string>> conflict_rows;  ///< batch index, reason
  std::vector<PairKey> touched;  ///< filled when planning is deferred; each pair once
};

/// What re-planning one pair did.
struct PairOutcome {
  int cancelled = 0;
  int converted = 0;
  int planned = 0;
  std::int64_t reminder_id = 0;  ///< the planned reminder, when one was planned
};

class Engine {
 public:
  Engine(std::shared_ptr<const config::Config> config, store::Store& store,
         const core::Clock& clock);

  /// Swaps in a new configuration (reload); in-flight calls finish with the old one.
  void set_config(std::shared_ptr<const config::Config> config);
  std::shared_ptr<const config::Config> config() const;

  /// Stores the lines and, unless `plan` is false, re-plans every touched pair in the same
  /// transaction. With `plan` false the touched pairs are returned for replan_pairs().
  IngestSummary ingest(const std::vector<core::OrderLine>& lines, bool plan = true);
  /// Maps lines to their periodic category and parsed pack size; no store access (thread-safe).
  std::vector<store::LineRecord> prepare(std::vector<core::OrderLine> lines) const;
  /// ingest() of prepared lines.
  IngestSummary ingest_records(const std::vector<store::LineRecord>& records, bool plan = true);

  /// Re-plans pairs, `batch` per transaction; adds the counts to `summary`.
  void replan_pairs(const std::set<PairKey>& pairs, IngestSummary& summary, int batch = 500);

  /// Recomputes one pair's prediction and plans its next reminder (call inside a transaction).
  /// `lines`, when given, are the pair's stored lines sorted by time (saves reading them).
  PairOutcome replan(const std::string& user_id, const std::string& category,
                     const std::vector<store::PairLine>* lines = nullptr);

  /// Maps a raw line to a periodic slug ("" when not periodic).
  std::string periodic_of(const core::OrderLine& line) const;

  /// Loads the stored priors (start-up). Categories without one use their default cycle.
  void load_priors();
  /// Re-learns every category's prior and reference pack size from all stored pairs (one pass
  /// over the periodic lines) and stores them. Never called per order.
  struct PriorSummary {
    std::string category;
    int n_users = 0;
    double cycle_days = 0;  ///< exp(m)
    bool learned = false;   ///< false: too few users, the default cycle decides
  };
  std::vector<PriorSummary> refresh_priors();

  /// The segments of a stored pair now (the high-value threshold as last stored).
  Segments segments_of_pair(const store::PairState& pair) const;
  /// True when the user is in the control group of the current configuration.
  bool held_out(const std::string& user_id) const;

  /// What sweep() planned.
  struct SweepSummary {
    int follow_ups = 0;
    int lapsed = 0;     ///< pairs found lapsed since they were last planned
    int win_backs = 0;  ///< win-back reminders planned for them
  };
  /// Plans what time alone makes due: follow-ups (a first reminder went out plan.follow_up_days
  /// ago and the user has not bought since) and win-backs (a pair lapsed). Cheap: indexed
  /// queries, at most kSweepBatch of each per call.
  SweepSummary sweep();
  static constexpr int kSweepBatch = 1000;

  /// What the model knows of a category: its prior and the pack size amounts are measured in.
  struct CategoryModel {
    model::Prior prior;
    std::optional<model::PackSize> reference;
  };
  /// The category's model state (the default prior when none was learned yet).
  CategoryModel category_model(const config::CategoryConfig& category) const;
  /// The model parameters the configuration sets.
  static model::Params params_of(const config::Config& config);
  /// A pair's stored lines as purchases, amounts measured against `reference`.
  static std::vector<core::Purchase> purchases_of(const std::vector<store::PairLine>& lines,
                                                  const std::optional<model::PackSize>& reference,
                                                  const core::TimeZone& tz);

 private:
  struct Snapshot {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const ingest::CategoryMapper> mapper;
    core::TimeZone tz;
  };
  Snapshot snapshot() const;

  /// A reminder about to be planned.
  struct Planned {
    std::string user_id;
    const config::CategoryConfig* category = nullptr;
    const config::CampaignConfig* campaign = nullptr;
    const config::CampaignRule* rule = nullptr;
    std::string kind;
    std::string segment;
    core::EpochSeconds last_at = 0;
    core::EpochSeconds next_at = 0;
    core::EpochSeconds due = 0;
  };
  std::int64_t insert_planned(const Snapshot& s, const Planned& p, const core::TimeZone& tz,
                              core::EpochSeconds now);
  SegmentInput segment_input(const std::string& user_id, const store::PairState& pair,
                             core::EpochSeconds now) const;
  /// Records the conversion of `r` when an order line of the pair falls in its window.
  void attribute(const core::Reminder& r, const std::vector<store::PairLine>& lines,
                 const config::PlanConfig& plan, core::EpochSeconds now, PairOutcome& out);

  store::Store& store_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  Snapshot snap_;
  std::shared_ptr<const std::map<std::string, CategoryModel>> models_ =
      std::make_shared<const std::map<std::string, CategoryModel>>();
  std::optional<double> high_value_spend_;  ///< stored threshold of the high-value segment
};

/// The pack size of a line: its pack_size field, else a size named in the product name
/// ("…, 46 oz, 24 loads"); nullopt when neither parses.
std::optional<model::PackSize> line_pack_size(const core::OrderLine& line);

/// The stable idempotency key of a reminder: a hash of what it is about.
std::string reminder_key(const std::string& user_id, const std::string& category,
                         const std::string& kind, core::EpochSeconds based_on);

/// The send time for a reminder meant for local day `day`: that day at the configured send
/// time, or — when that is already past — the next send time from `now` on.
core::EpochSeconds send_slot(std::int64_t day, const config::PlanConfig& plan,
                             const core::TimeZone& tz, core::EpochSeconds now);

/// The user's time zone (users.tz), else `fallback` (the merchant's).
core::TimeZone user_time_zone(const std::optional<store::UserRecord>& user,
                              const core::TimeZone& fallback);

/// Channels a reminder of `category` tries, in order: the campaign's, else the category's,
/// else default_channels.
std::vector<std::string> channel_order(const config::Config& config,
                                       const config::CategoryConfig& category,
                                       const config::CampaignConfig& campaign);

/// "3月14日"
std::string chinese_date(core::EpochSeconds t, const core::TimeZone& tz);

}  // namespace replenish::plan
