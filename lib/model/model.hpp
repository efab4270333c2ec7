// Repurchase-interval model per (user, periodic category).
#pragma once

#include <vector>

#include "core/time.hpp"
#include "core/types.hpp"

namespace replenish::model {

/// One order line reduced to what the model needs.
struct LineEvent {
  core::EpochSeconds at = 0;
  double amount = 0;  ///< quantity x parsed pack size, or quantity alone
};

/// Population prior of one category, on the log scale of days per unit amount^beta.
struct Prior {
  double m = 0;        ///< centre of log(cycle days)
  double s = 0.5;      ///< spread between users
  double sigma = 0.5;  ///< spread within a user
  double beta = 1.0;   ///< elasticity of the interval in the amount bought
  int n_users = 0;     ///< users it was learned from (0 = configured default)
};

struct Params {
  double interval_level = 0.8;
};

/// Prior used while the population is too small: centred on the configured cycle.
Prior default_prior(double default_cycle_days);

/// Groups lines (any order) into purchases: lines on one local day in `tz` are one purchase of
/// the summed amount. Returns purchases sorted by time.
std::vector<core::Purchase> to_purchases(std::vector<LineEvent> lines, const core::TimeZone& tz);

/// Predicts the next need of a pair from its purchases (sorted, at least one).
core::Prediction predict(const std::vector<core::Purchase>& purchases, const Prior& prior,
                         const Params& params, core::EpochSeconds now);

}  // namespace replenish::model
