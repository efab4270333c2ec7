// Walk-forward backtest of the model against four baselines, independent of file reading.
//
// Protocol (fixed): per (user, category) with at least `min_purchase_days` purchase days
// t1 < ... < tn (lines on one local day are one purchase), for every k = 2 .. n-1 predict t(k+1)
// from t1..tk only. Priors come from other users' purchases before the start of the current
// refresh period (every `refresh_days` of data time, counted from the data's first day), so never
// from the future and never from the user itself. Errors are |predicted - actual| in days.
//
// Baselines: fixed_cycle = the category's median interval, pooled over users, of intervals that
// ended before the moment of t(k) (the user's median interval while there is none);
// last_interval; user_mean; user_median. Reminder view: reminder = predicted day - lead_days;
// hit = next purchase within [reminder, reminder + window_days], too_late = before the reminder,
// too_early = after that window.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "core/types.hpp"
#include "model/model.hpp"

namespace replenish::model {

/// One order line of a periodic category.
struct BacktestEvent {
  std::string user_id;
  int category = -1;  ///< index into the settings
  core::EpochSeconds at = 0;
  double amount = 0;
};

/// Per-category settings (from the config's categories).
struct CategorySetting {
  std::string slug;
  int lead_days = 2;
  double default_cycle_days = 30;
};

struct BacktestOptions {
  Params params;
  core::TimeZone tz;  ///< decides local days (UTC by default)
  int refresh_days = 30;
  int window_days = 14;
  int min_purchase_days = 3;
  std::optional<core::EpochSeconds> now;  ///< events after it are ignored (counted as future)
  /// Up to this many users in a category, each user's prior leaves exactly that user out; above,
  /// users are hashed into `folds` groups and a prior leaves the user's whole group out.
  std::size_t exact_leave_one_out_max = 1000;
  int folds = 20;
};

/// Error and reminder figures of one method. Shares are fractions (0..1), errors in days.
struct Metrics {
  std::size_t n = 0;
  double mae = 0;
  double median_ae = 0;
  double within_3d = 0;
  double within_7d = 0;
  std::optional<double> coverage;  ///< the model only
  double hit = 0;
  double too_late = 0;
  double too_early = 0;
};

inline constexpr std::array<const char*, 4> kBaselineNames = {"fixed_cycle", "last_interval",
                                                              "user_mean", "user_median"};

struct BacktestSection {
  std::size_t n = 0;
  Metrics model;
  std::array<Metrics, 4> baselines;  ///< in the order of kBaselineNames
};

/// What happened to the input.
struct BacktestCounts {
  std::size_t events = 0;
  std::size_t unknown_category = 0;  ///< category index out of range: ignored
  std::size_t bad_amount = 0;        ///< zero, negative or non-finite: ignored
  std::size_t bad_time = 0;          ///< outside core::kMinTime..kMaxTime: ignored
  std::size_t future = 0;            ///< after options.now: ignored
  std::size_t out_of_order = 0;      ///< earlier than the pair's previous line: sorted
  std::size_t same_day = 0;          ///< lines merged into a purchase day
  std::size_t pairs = 0;             ///< (user, category) pairs
  std::size_t pairs_evaluated = 0;   ///< with at least min_purchase_days days
  std::size_t predictions = 0;
};

struct BacktestReport {
  BacktestSection overall;
  std::vector<std::pair<std::string, BacktestSection>> categories;  ///< with predictions, by slug
  BacktestCounts counts;
  BacktestOptions options;
};

/// Runs the backtest. Never throws on bad events; they are counted.
BacktestReport run_backtest(const std::vector<BacktestEvent>& events,
                            const std::vector<CategorySetting>& categories,
                            const BacktestOptions& options = {});

/// A table for people (at most 100 columns): overall, then categories by number of predictions.
std::string format_table(const BacktestReport& report);

/// JSON: {"overall": {"n", "model": {...}, "baselines": {"fixed_cycle": {...}, ...}},
/// "categories": {"slug": {same}}}; baselines carry "coverage": null.
std::string format_json(const BacktestReport& report, int indent = 2);

}  // namespace replenish::model
