// Repurchase-interval model per (user, periodic category): how long one purchase lasts, learned
// from the user's own intervals and shrunk towards a category prior. See docs/model.md.
//
// Scale: for intervals x_i (days between purchase days i and i+1) and amounts a_i, the model
// works in y_i = log(x_i) - beta * log(a_i / a_ref), where a_ref is the geometric mean of the
// pair's amounts. The user's centre of y is a recency- and outlier-weighted mean, shrunk towards
// the category centre m; the next interval is exp(mu) * (a_last / a_ref)^beta, counted in whole
// days (rounded down) from the last purchase day, with a Student-t prediction interval on the log
// scale. core::Prediction::cycle_days is that cycle for an amount of 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "core/types.hpp"

namespace replenish::model {

/// Longest interval the model takes at face value (about ten years); longer ones are capped.
constexpr double kMaxIntervalDays = 3650;
/// |log(amount / usual amount)| is capped here (a factor of about 20), so that one absurd
/// quantity can neither stretch a prediction nor poison a prior.
constexpr double kMaxLogAmountRatio = 3.0;

/// log(amount ratio) capped to +-kMaxLogAmountRatio.
double clamp_log_ratio(double log_ratio);
/// log of an interval in days, capped to [1, kMaxIntervalDays] days.
double log_interval(std::int64_t days);

/// One order line reduced to what the model needs.
struct LineEvent {
  core::EpochSeconds at = 0;
  double amount = 0;  ///< quantity x pack size / category reference size, or quantity alone
};

/// Dimension of a pack size; values are in grams, millilitres or pieces.
enum class SizeUnit { kGram, kMillilitre, kPiece };

struct PackSize {
  double value = 0;  ///< > 0, in `unit`
  SizeUnit unit = SizeUnit::kPiece;
};

/// Amount of one line: quantity x size / reference size when both sizes are known, positive and
/// of the same dimension; the quantity alone otherwise.
double line_amount(double quantity, const std::optional<PackSize>& size,
                   const std::optional<PackSize>& reference);

/// A category's reference pack size from the sizes seen in it: the median value of the most
/// frequent dimension. nullopt when no size is positive.
std::optional<PackSize> reference_size(const std::vector<PackSize>& sizes);
/// The same from sizes with how often each was seen, without the long list.
std::optional<PackSize> reference_size_of_counts(
    const std::vector<std::pair<PackSize, std::int64_t>>& counts);

/// Tunables. Defaults are the documented ones (docs/model.md). Log-scale residual r of an
/// interval against the expected one: r > log(long_gap_ratio) weighs it log(long_gap_ratio) / r;
/// r < -log(short_gap_ratio) weighs it (log(short_gap_ratio) / |r|)^2.
struct Params {
  double interval_level = 0.8;   ///< central probability of the prediction interval
  int min_population = 20;       ///< users with an interval before a learned prior is used;
                                 ///< also the weight (in users) of the default in the centre
  double prior_intervals = 1.0;  ///< prior weight in intervals: s = sigma / sqrt(this)
  double half_life_days = 365;   ///< recency: an interval ending this much earlier counts half
                                 ///< (0 = no recency weighting)
  double long_gap_ratio = 1.15;  ///< longer than this x expected: a gap, down-weighted
  double short_gap_ratio = 2.0;  ///< shorter than expected / this: a top-up, down-weighted
  double user_spread_dof = 4;    ///< prior degrees of freedom of the user's own spread
                                 ///< (0 = every user has the category's sigma)
  double tail_dof = 4;           ///< Student-t degrees of freedom of the predictive (0 = normal)
  double lapse_cycles = 1.0;     ///< lapsed once now > upper bound + this x cycle
  double beta_default = 0.6;     ///< elasticity of the interval in the amount, when data is thin
  double beta_strength = 5.0;    ///< weight of beta_default, in squared log-amount deviations
  double beta_max = 1.2;         ///< learned beta is clamped to [0, beta_max]
  double default_between = 0.8;  ///< s of the default prior (log scale)
  double default_within = 0.6;   ///< sigma of the default prior (log scale)
};

/// Population prior of one category, on the log scale of days per purchase of the usual amount.
struct Prior {
  double m = 0;               ///< centre of log(cycle days)
  double s = 0.8;             ///< spread between users
  double sigma = 0.6;         ///< spread within a user
  double beta = 0.6;          ///< elasticity of the interval in the amount bought
  int n_users = 0;            ///< users with an interval it was learned from
  bool fallback = true;       ///< true: too few users, m is the configured default
  double default_m = 0;       ///< log of the configured default cycle
  double learned_m = 0;       ///< median of the users' centres (when n_users > 0)
  double learned_weight = 0;  ///< weight of learned_m in m: n / (n + min_population)
};

/// Prior used while the population is too small: centred on the configured cycle.
Prior default_prior(double default_cycle_days, const Params& params = {});

/// Groups lines (any order) into purchases: lines on one local day in `tz` are one purchase of
/// the summed amount, at the time of the day's first line. Lines with a zero, negative or
/// non-finite amount are dropped and counted in `dropped` (when given). Sorted by time.
std::vector<core::Purchase> to_purchases(std::vector<LineEvent> lines, const core::TimeZone& tz,
                                         int* dropped = nullptr);

/// What was wrong with a purchase list and how it was repaired (each is a count).
struct InputIssues {
  int bad_amount = 0;    ///< zero, negative or non-finite amount: ignored
  int bad_time = 0;      ///< outside core::kMinTime..kMaxTime: ignored
  int future = 0;        ///< after `now`: ignored
  int out_of_order = 0;  ///< earlier than its predecessor: sorted
  int same_day = 0;      ///< a second purchase on a local day: merged into the first
  int total() const { return bad_amount + bad_time + future + out_of_order + same_day; }
};

/// A purchase on a local calendar day, the unit the model counts in.
struct DayPurchase {
  std::int64_t day = 0;       ///< local day number (days since 1970-01-01)
  double amount = 0;          ///< > 0
  core::EpochSeconds at = 0;  ///< time of the day's first purchase
};

/// Sanitises purchases for the model: drops bad amounts, bad times and those after `now`, sorts,
/// merges purchases on one local day. Counts every repair in `issues` (when given).
std::vector<DayPurchase> clean_purchases(const std::vector<core::Purchase>& purchases,
                                         const core::TimeZone& tz, core::EpochSeconds now,
                                         InputIssues* issues = nullptr);

/// One of the user's intervals and the weight it got.
struct IntervalUse {
  std::int64_t from_day = 0;
  std::int64_t to_day = 0;
  double amount = 0;          ///< amount bought at from_day
  double recency_weight = 1;  ///< from half_life_days
  double robust_weight = 1;   ///< < 1 for a long gap or a top-up
  double days() const { return static_cast<double>(to_day - from_day); }
  double weight() const { return recency_weight * robust_weight; }
};

/// The model's answer for one pair, with everything needed to explain it.
struct Estimate {
  bool valid = false;  ///< false when no usable purchase was left
  core::Prediction prediction;
  Prior prior;
  Params params;
  InputIssues issues;
  std::vector<IntervalUse> intervals;  ///< the user's intervals, oldest first
  int purchases = 0;                   ///< usable purchase days
  double own_cycle_days = 0;           ///< exp of the weighted mean of the user's y (0 if none)
  double prior_cycle_days = 0;         ///< exp(m)
  double shrink_weight = 0;            ///< weight of the user's own mean against the prior
  double amount_factor = 1;            ///< (last amount / usual amount)^beta
  double reference_amount = 0;         ///< the pair's usual amount (geometric mean)
  double last_amount = 0;
  double mu = 0;          ///< log of the predicted interval (days)
  double sd = 0;          ///< predictive spread of mu
  double cycle_days = 0;  ///< predicted interval after the last purchase (days)
  double lo_days = 0;     ///< prediction interval, days after the last purchase
  double hi_days = 0;
  std::int64_t last_day = 0;  ///< local day numbers
  std::int64_t next_day = 0;
  std::int64_t lo_day = 0;
  std::int64_t hi_day = 0;
  std::int64_t now_day = 0;
  bool overdue = false;  ///< now is past the predicted day
};

/// Fits and predicts one pair from already cleaned purchases (sorted, one per day; empty gives
/// an invalid Estimate). O(number of purchases). Fills `intervals` only when `keep_intervals`.
/// The prediction's times stay 0: they need a time zone (see estimate()).
Estimate estimate_days(const std::vector<DayPurchase>& purchases, const Prior& prior,
                       const Params& params, std::int64_t now_day, bool keep_intervals = false);

/// Cleans the purchases (see clean_purchases) and estimates; `tz` decides local days.
Estimate estimate(const std::vector<core::Purchase>& purchases, const Prior& prior,
                  const Params& params, core::EpochSeconds now,
                  const core::TimeZone& tz = core::TimeZone());

/// Predicts the next need of a pair from its purchases (any order; bad ones ignored). An empty or
/// unusable list gives a default Prediction (next_at == 0). Times in the result are at the time
/// of day of the last purchase, on the predicted local days.
core::Prediction predict(const std::vector<core::Purchase>& purchases, const Prior& prior,
                         const Params& params, core::EpochSeconds now,
                         const core::TimeZone& tz = core::TimeZone());

/// Short English lines that say how the estimate came about, for `replenishctl user`. Dates are
/// the local days of the estimate.
std::vector<std::string> explain(const Estimate& estimate);

/// The same facts as explain(), as data for pages that word them in their own language:
/// {"valid", "purchases", "last_day", "last_amount", "usual_amount", "intervals": [{"days",
/// "weight", "note": "" | "top_up" | "long_gap"}] (the last 6, oldest first), "intervals_total",
/// "own_cycle_days", "prior_cycle_days", "own_weight", "prior": {"source": "default" |
/// "learned", "users", "min_users", "default_days", "learned_days", "learned_weight"},
/// "amount": null | {"ratio", "cycle_factor", "beta"}, "cycle_days", "next_day", "lo_day",
/// "hi_day", "level", "today", "lapsed", "overdue_days", "repaired": null | {"bad_amount",
/// "bad_time", "future", "out_of_order", "same_day"}}. Days are local "YYYY-MM-DD".
nlohmann::json explain_json(const Estimate& estimate);

}  // namespace replenish::model
