// Category priors learned from the population of (user, category) pairs. Rebuilt periodically
// (for instance every model.prior_refresh_seconds), never per order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/time.hpp"
#include "core/types.hpp"
#include "model/model.hpp"

namespace replenish::model {

/// Collects the intervals of one category's pairs and learns its Prior:
///  - beta: the one-step-ahead slope of log(interval) on log(amount / usual amount) within users
///    (residuals capped), shrunk towards params.beta_default, clamped to [0, beta_max];
///  - sigma: 1.4826 x the median of |y_{j+1} - y_j| over consecutive intervals, / sqrt(2);
///  - m: the median of the users' median y, weighted n / (n + min_population) against the
///    configured default; below min_population users the default prior is used;
///  - s = sigma / sqrt(prior_intervals).
/// Memory is O(total intervals); build() is O(total intervals x log).
class PriorBuilder {
 public:
  explicit PriorBuilder(double default_cycle_days, Params params = {});

  /// Adds one pair's purchases (any order; bad ones ignored, see clean_purchases). Only those
  /// before `before` count. A pair without an interval adds nothing. Returns whether it was kept.
  bool add(const std::vector<core::Purchase>& purchases, const core::TimeZone& tz = {},
           core::EpochSeconds before = core::kMaxTime);
  /// Same for purchases already cleaned into days (sorted, one per day); only days < before_day.
  bool add_days(const std::vector<DayPurchase>& purchases,
                std::int64_t before_day = std::numeric_limits<std::int64_t>::max());

  /// Pairs kept (each has at least one interval).
  std::size_t size() const { return starts_.size() - 1; }

  /// The prior of all kept pairs.
  Prior build() const;
  /// The prior without kept pair `index` (leave-one-out, for backtests).
  Prior build_without(std::size_t index) const;
  /// The prior without the kept pairs whose `excluded[index]` is nonzero.
  Prior build_without(const std::vector<char>& excluded) const;

 private:
  Prior build_impl(const std::vector<char>* excluded, std::size_t skip) const;

  double default_cycle_days_;
  Params params_;
  // Intervals of all kept pairs back to back; pair i owns [starts_[i], starts_[i + 1]).
  std::vector<double> log_days_;        // log of each interval, capped
  std::vector<double> log_rel_amount_;  // log(amount at its start / usual amount), capped
  std::vector<std::size_t> starts_{0};
};

/// Learns a category's prior from its pairs' purchase lists.
Prior learn_prior(const std::vector<std::vector<core::Purchase>>& pairs, double default_cycle_days,
                  const Params& params = {}, const core::TimeZone& tz = {});

}  // namespace replenish::model
