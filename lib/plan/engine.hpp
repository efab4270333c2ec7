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
  std::vector<std::pair<std::size_t, std::string>> conflict_rows;  ///< batch index, reason
  std::set<PairKey> touched;  ///< filled when planning is deferred
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

  /// Re-plans pairs, `batch` per transaction; adds the counts to `summary`.
  void replan_pairs(const std::set<PairKey>& pairs, IngestSummary& summary, int batch = 500);

  /// Recomputes one pair's prediction and plans its next reminder (call inside a transaction).
  PairOutcome replan(const std::string& user_id, const std::string& category);

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

  store::Store& store_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  Snapshot snap_;
  std::shared_ptr<const std::map<std::string, CategoryModel>> models_ =
      std::make_shared<const std::map<std::string, CategoryModel>>();
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

/// "3月14日"
std::string chinese_date(core::EpochSeconds t, const core::TimeZone& tz);

}  // namespace replenish::plan
