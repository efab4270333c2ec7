#include "model/prior.hpp"

#include <algorithm>
#include <cmath>

#include "model/robust.hpp"

namespace replenish::model {
namespace {

/// One-step residuals beyond this (a factor of about 4.5) are capped in the beta regression.
constexpr double kMaxBetaResidual = 1.5;
/// Consecutive-interval differences needed before sigma is learned instead of the default.
constexpr std::size_t kMinDiffsForSigma = 10;
constexpr double kMinSigma = 0.05;
constexpr double kMaxSigma = 3.0;

}  // namespace

PriorBuilder::PriorBuilder(double default_cycle_days, Params params)
    : default_cycle_days_(default_cycle_days), params_(params) {}

bool PriorBuilder::add(const std::vector<core::Purchase>& purchases, const core::TimeZone& tz,
                       core::EpochSeconds before) {
  const auto clean = clean_purchases(purchases, tz, before - 1);
  return add_days(clean);
}

bool PriorBuilder::add_days(const std::vector<DayPurchase>& purchases, std::int64_t before_day) {
  std::size_t count = 0;
  while (count < purchases.size() && purchases[count].day < before_day) ++count;
  if (count < 2) return false;
  double mean_log_amount = 0;
  for (std::size_t i = 0; i < count; ++i) mean_log_amount += std::log(purchases[i].amount);
  mean_log_amount /= static_cast<double>(count);
  for (std::size_t i = 0; i + 1 < count; ++i) {
    log_days_.push_back(log_interval(purchases[i + 1].day - purchases[i].day));
    log_rel_amount_.push_back(clamp_log_ratio(std::log(purchases[i].amount) - mean_log_amount));
  }
  starts_.push_back(log_days_.size());
  return true;
}

Prior PriorBuilder::build() const {
  return build_impl(nullptr, size());
}

Prior PriorBuilder::build_without(std::size_t index) const {
  return build_impl(nullptr, index);
}

Prior PriorBuilder::build_without(const std::vector<char>& excluded) const {
  return build_impl(&excluded, size());
}

Prior PriorBuilder::build_impl(const std::vector<char>* excluded, std::size_t skip) const {
  const auto used = [&](std::size_t i) {
    return i != skip && !(excluded && i < excluded->size() && (*excluded)[i]);
  };
  Prior prior = default_prior(default_cycle_days_, params_);

  // Elasticity: does a larger purchase than usual make the next interval longer than the user's
  // running mean so far? Pooled one-step slope, shrunk towards the default.
  double num = 0, den = 0;
  int n = 0;
  for (std::size_t i = 0; i < size(); ++i) {
    if (!used(i)) continue;
    ++n;
    double sum = 0;
    for (std::size_t k = starts_[i]; k < starts_[i + 1]; ++k) {
      const std::size_t j = k - starts_[i];
      if (j >= 1) {
        const double r = std::clamp(log_days_[k] - sum / static_cast<double>(j), -kMaxBetaResidual,
                                    kMaxBetaResidual);
        num += r * log_rel_amount_[k];
        den += log_rel_amount_[k] * log_rel_amount_[k];
      }
      sum += log_days_[k];
    }
  }
  const double strength = std::max(params_.beta_strength, 1e-9);
  prior.beta = std::clamp((num + strength * params_.beta_default) / (den + strength), 0.0,
                          std::max(params_.beta_max, 0.0));
  prior.n_users = n;
  if (n < std::max(params_.min_population, 1)) return prior;

  std::vector<double> centres, diffs, y;
  centres.reserve(static_cast<std::size_t>(n));
  diffs.reserve(log_days_.size());
  for (std::size_t i = 0; i < size(); ++i) {
    if (!used(i)) continue;
    y.clear();
    for (std::size_t k = starts_[i]; k < starts_[i + 1]; ++k) {
      y.push_back(log_days_[k] - prior.beta * log_rel_amount_[k]);
      if (y.size() >= 2) diffs.push_back(std::abs(y.back() - y[y.size() - 2]));
    }
    centres.push_back(median(y));
  }
  prior.learned_m = median(std::move(centres));
  if (diffs.size() >= kMinDiffsForSigma) {
    prior.sigma =
        std::clamp(kMadToSigma * median(std::move(diffs)) / std::sqrt(2.0), kMinSigma, kMaxSigma);
  }
  prior.s = prior.sigma / std::sqrt(std::max(params_.prior_intervals, 1e-9));
  prior.learned_weight = static_cast<double>(n) / (n + params_.min_population);
  prior.m = prior.learned_weight * prior.learned_m + (1 - prior.learned_weight) * prior.default_m;
  prior.fallback = false;
  return prior;
}

Prior learn_prior(const std::vector<std::vector<core::Purchase>>& pairs, double default_cycle_days,
                  const Params& params, const core::TimeZone& tz) {
  PriorBuilder builder(default_cycle_days, params);
  for (const auto& p : pairs) builder.add(p, tz);
  return builder.build();
}

}  // namespace replenish::model
