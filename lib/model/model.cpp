#include "model/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "model/robust.hpp"

namespace replenish::model {
namespace {

/// Whole days, tolerant of rounding noise (exp(log(25)) is 24.999999999999996).
constexpr double kDayTolerance = 1e-9;

std::int64_t floor_days(double days) {
  if (!(days > 0)) return 0;  // also NaN
  return static_cast<std::int64_t>(std::floor(std::min(days, kMaxIntervalDays) + kDayTolerance));
}

std::int64_t ceil_days(double days) {
  if (!(days > 0)) return 0;
  return static_cast<std::int64_t>(std::ceil(std::min(days, kMaxIntervalDays) - kDayTolerance));
}

std::string day_text(std::int64_t day) {
  return core::TimeZone().local_date(day * core::kSecondsPerDay).to_string();
}

std::string amount_text(double amount) {
  if (amount == std::round(amount) && amount < 1e9) return fmt::format("{:.0f}", amount);
  return fmt::format("{:.2f}", amount);
}

}  // namespace

double clamp_log_ratio(double x) {
  return std::clamp(x, -kMaxLogAmountRatio, kMaxLogAmountRatio);
}

double log_interval(std::int64_t days) {
  return std::log(std::clamp(static_cast<double>(days), 1.0, kMaxIntervalDays));
}

double line_amount(double quantity, const std::optional<PackSize>& size,
                   const std::optional<PackSize>& reference) {
  if (size && reference && size->unit == reference->unit && size->value > 0 &&
      reference->value > 0 && std::isfinite(size->value) && std::isfinite(reference->value)) {
    return quantity * size->value / reference->value;
  }
  return quantity;
}

std::optional<PackSize> reference_size(const std::vector<PackSize>& sizes) {
  std::map<SizeUnit, std::vector<double>> by_unit;
  for (const auto& s : sizes) {
    if (s.value > 0 && std::isfinite(s.value)) by_unit[s.unit].push_back(s.value);
  }
  const std::vector<double>* best = nullptr;
  SizeUnit best_unit = SizeUnit::kPiece;
  for (const auto& [unit, values] : by_unit) {
    if (!best || values.size() > best->size()) {
      best = &values;
      best_unit = unit;
    }
  }
  if (!best) return std::nullopt;
  return PackSize{median(*best), best_unit};
}

std::optional<PackSize> reference_size_of_counts(
    const std::vector<std::pair<PackSize, std::int64_t>>& counts) {
  std::map<SizeUnit, std::vector<std::pair<double, std::int64_t>>> by_unit;
  std::map<SizeUnit, std::int64_t> totals;
  for (const auto& [s, n] : counts) {
    if (s.value > 0 && std::isfinite(s.value) && n > 0) {
      by_unit[s.unit].emplace_back(s.value, n);
      totals[s.unit] += n;
    }
  }
  const std::vector<std::pair<double, std::int64_t>>* best = nullptr;
  SizeUnit best_unit = SizeUnit::kPiece;
  std::int64_t best_total = 0;
  for (auto& [unit, values] : by_unit) {
    if (!best || totals[unit] > best_total) {
      best = &values;
      best_unit = unit;
      best_total = totals[unit];
    }
  }
  if (!best) return std::nullopt;
  // The median of the expanded list: the middle value, or the mean of the two middle ones.
  auto values = *best;
  std::sort(values.begin(), values.end());
  const auto nth = [&](std::int64_t k) {
    for (const auto& [v, n] : values) {
      if (k < n) return v;
      k -= n;
    }
    return values.back().first;
  };
  const double upper = nth(best_total / 2);
  if (best_total % 2 == 1) return PackSize{upper, best_unit};
  return PackSize{(nth(best_total / 2 - 1) + upper) / 2, best_unit};
}

Prior default_prior(double default_cycle_days, const Params& params) {
  Prior p;
  const double cycle = std::isfinite(default_cycle_days) ? default_cycle_days : 30.0;
  p.m = std::log(std::clamp(cycle, 1.0, kMaxIntervalDays));
  p.default_m = p.m;
  p.s = params.default_between;
  p.sigma = params.default_within;
  p.beta = std::clamp(params.beta_default, 0.0, std::max(params.beta_max, 0.0));
  p.fallback = true;
  return p;
}

std::vector<core::Purchase> to_purchases(std::vector<LineEvent> lines, const core::TimeZone& tz,
                                         int* dropped) {
  const auto bad = [](const LineEvent& l) { return !(l.amount > 0) || !std::isfinite(l.amount); };
  const auto removed = std::remove_if(lines.begin(), lines.end(), bad);
  if (dropped) *dropped += static_cast<int>(lines.end() - removed);
  lines.erase(removed, lines.end());
  std::stable_sort(lines.begin(), lines.end(),
                   [](const LineEvent& a, const LineEvent& b) { return a.at < b.at; });
  std::vector<core::Purchase> out;
  std::int64_t current_day = 0;
  for (const auto& l : lines) {
    const std::int64_t day = tz.local_day(l.at);
    if (!out.empty() && day == current_day) {
      out.back().amount += l.amount;
    } else {
      out.push_back(core::Purchase{l.at, l.amount});
      current_day = day;
    }
  }
  return out;
}

std::vector<DayPurchase> clean_purchases(const std::vector<core::Purchase>& purchases,
                                         const core::TimeZone& tz, core::EpochSeconds now,
                                         InputIssues* issues) {
  InputIssues local;
  InputIssues& is = issues ? *issues : local;
  std::vector<core::Purchase> kept;
  kept.reserve(purchases.size());
  bool sorted = true;
  for (const auto& p : purchases) {
    if (!(p.amount > 0) || !std::isfinite(p.amount)) {
      ++is.bad_amount;
      continue;
    }
    if (p.at < core::kMinTime || p.at > core::kMaxTime) {
      ++is.bad_time;
      continue;
    }
    if (p.at > now) {
      ++is.future;
      continue;
    }
    if (!kept.empty() && p.at < kept.back().at) {
      ++is.out_of_order;
      sorted = false;
    }
    kept.push_back(p);
  }
  if (!sorted) {
    std::stable_sort(kept.begin(), kept.end(),
                     [](const core::Purchase& a, const core::Purchase& b) { return a.at < b.at; });
  }
  std::vector<DayPurchase> out;
  out.reserve(kept.size());
  for (const auto& p : kept) {
    const std::int64_t day = tz.local_day(p.at);
    if (!out.empty() && out.back().day == day) {
      out.back().amount += p.amount;
      ++is.same_day;
    } else {
      out.push_back(DayPurchase{day, p.amount, p.at});
    }
  }
  return out;
}

Estimate estimate_days(const std::vector<DayPurchase>& purchases, const Prior& prior,
                       const Params& params, std::int64_t now_day, bool keep_intervals) {
  Estimate e;
  e.prior = prior;
  e.params = params;
  e.now_day = now_day;
  if (purchases.empty()) return e;
  e.valid = true;
  const std::size_t count = purchases.size();
  const std::size_t n = count - 1;  // intervals
  e.purchases = static_cast<int>(count);

  double mean_log_amount = 0;
  for (const auto& p : purchases) mean_log_amount += std::log(p.amount);
  mean_log_amount /= static_cast<double>(count);
  e.reference_amount = std::exp(mean_log_amount);
  e.last_amount = purchases.back().amount;
  e.last_day = purchases.back().day;
  const double last_rel = clamp_log_ratio(std::log(e.last_amount) - mean_log_amount);

  const double beta = prior.beta;
  const double m = prior.m;
  const double s2 = std::max(prior.s * prior.s, 1e-6);
  const double sig2 = std::max(prior.sigma * prior.sigma, 1e-6);
  double mu0 = m;
  double sd = std::sqrt(s2 + sig2);

  if (n > 0) {
    // Per-interval log cycle and recency weight.
    std::vector<double> y(n), w0(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& from = purchases[i];
      const auto& to = purchases[i + 1];
      y[i] = log_interval(to.day - from.day) -
             beta * clamp_log_ratio(std::log(from.amount) - mean_log_amount);
      // Floored so that a very old history still has a weight to average with.
      w0[i] = params.half_life_days > 0
                  ? std::max(std::exp2(-static_cast<double>(e.last_day - to.day) /
                                       params.half_life_days),
                             1e-9)
                  : 1.0;
    }
    double w0_sum = 0, w0y = 0;
    for (std::size_t i = 0; i < n; ++i) {
      w0_sum += w0[i];
      w0y += w0[i] * y[i];
    }
    // Expected cycle for the outlier test: a robust centre of the user's y, shrunk to the prior.
    const double centre = n >= 3 ? weighted_median(y, w0) : w0y / w0_sum;
    const double expected = (m / s2 + w0_sum * centre / sig2) / (1 / s2 + w0_sum / sig2);
    const double long_cut = std::log(std::max(params.long_gap_ratio, 1.0 + 1e-9));
    const double short_cut = std::log(std::max(params.short_gap_ratio, 1.0 + 1e-9));
    std::vector<double> w(n);
    double w_sum = 0, wy = 0, w2_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double r = y[i] - expected;
      double robust = 1;
      if (r > long_cut) {
        robust = long_cut / r;
      } else if (-r > short_cut) {
        robust = (short_cut / -r) * (short_cut / -r);
      }
      w[i] = w0[i] * robust;
      w_sum += w[i];
      wy += w[i] * y[i];
      w2_sum += w[i] * w[i];
      if (keep_intervals) {
        e.intervals.push_back(IntervalUse{purchases[i].day, purchases[i + 1].day,
                                          purchases[i].amount, w0[i], robust});
      }
    }
    const double mean_y = wy / w_sum;
    double user_sig2 = sig2;
    if (n >= 2 && params.user_spread_dof > 0) {
      double ss = 0;
      for (std::size_t i = 0; i < n; ++i) ss += w[i] * (y[i] - mean_y) * (y[i] - mean_y);
      const double n_eff = w_sum * w_sum / w2_sum;
      user_sig2 = (params.user_spread_dof * sig2 + ss * n_eff / w_sum) /
                  (params.user_spread_dof + n_eff - 1);
      user_sig2 = std::max(user_sig2, 1e-6);
    }
    const double precision = 1 / s2 + w_sum / user_sig2;
    mu0 = (m / s2 + w_sum * mean_y / user_sig2) / precision;
    sd = std::sqrt(user_sig2 + 1 / precision);
    e.shrink_weight = (w_sum / user_sig2) / precision;
    e.own_cycle_days = std::exp(mean_y);
  }

  e.prior_cycle_days = std::exp(m);
  e.amount_factor = std::exp(beta * last_rel);
  e.mu = mu0 + beta * last_rel;
  e.sd = sd;
  const double z = central_quantile(params.interval_level, params.tail_dof);
  e.cycle_days = std::min(std::exp(e.mu), kMaxIntervalDays);
  e.lo_days = std::min(std::exp(e.mu - z * sd), kMaxIntervalDays);
  e.hi_days = std::min(std::exp(e.mu + z * sd), kMaxIntervalDays);
  e.next_day = e.last_day + std::max<std::int64_t>(1, floor_days(e.cycle_days));
  e.lo_day = std::min(e.last_day + ceil_days(e.lo_days), e.next_day);
  e.hi_day = std::max(e.last_day + floor_days(e.hi_days), e.next_day);
  e.overdue = now_day > e.next_day;

  auto& out = e.prediction;
  out.cycle_days = std::exp(mu0 - beta * clamp_log_ratio(mean_log_amount));
  out.intervals = static_cast<int>(n);
  out.from_prior = n == 0;
  out.lapsed = static_cast<double>(now_day) >
               static_cast<double>(e.hi_day) + params.lapse_cycles * e.cycle_days;
  return e;
}

namespace {

/// Puts the predicted days into the prediction as times: at the last purchase's time of day.
void set_times(Estimate& e, const core::TimeZone& tz, core::EpochSeconds last_at) {
  const int second = tz.seconds_of_day(last_at);
  e.prediction.next_at = tz.at_local(e.next_day, second);
  e.prediction.lo = tz.at_local(e.lo_day, second);
  e.prediction.hi = tz.at_local(e.hi_day, second);
}

}  // namespace

Estimate estimate(const std::vector<core::Purchase>& purchases, const Prior& prior,
                  const Params& params, core::EpochSeconds now, const core::TimeZone& tz) {
  InputIssues issues;
  const auto clean = clean_purchases(purchases, tz, now, &issues);
  Estimate e = estimate_days(clean, prior, params, tz.local_day(now), true);
  e.issues = issues;
  if (e.valid) set_times(e, tz, clean.back().at);
  return e;
}

core::Prediction predict(const std::vector<core::Purchase>& purchases, const Prior& prior,
                         const Params& params, core::EpochSeconds now, const core::TimeZone& tz) {
  const auto clean = clean_purchases(purchases, tz, now);
  if (clean.empty()) return core::Prediction{};
  Estimate e = estimate_days(clean, prior, params, tz.local_day(now));
  set_times(e, tz, clean.back().at);
  return e.prediction;
}

std::vector<std::string> explain(const Estimate& e) {
  std::vector<std::string> lines;
  const Prior& p = e.prior;
  std::string prior_source =
      p.fallback ? fmt::format(
                       "configured default {:.1f} d ({} users with an interval, fewer "
                       "than {})",
                       std::exp(p.default_m), p.n_users, e.params.min_population)
                 : fmt::format(
                       "learned from {} users ({:.1f} d, weight {:.2f}) and the "
                       "default {:.1f} d",
                       p.n_users, std::exp(p.learned_m), p.learned_weight, std::exp(p.default_m));
  if (!e.valid) {
    lines.push_back("No usable purchase, so no prediction.");
    if (e.issues.total() > 0) {
      lines.push_back(fmt::format("Ignored input: {} bad amounts, {} bad times, {} in the future.",
                                  e.issues.bad_amount, e.issues.bad_time, e.issues.future));
    }
    return lines;
  }
  lines.push_back(fmt::format("{} purchase days, last on {} (amount {}, usual {}).", e.purchases,
                              day_text(e.last_day), amount_text(e.last_amount),
                              amount_text(e.reference_amount)));
  if (e.intervals.empty()) {
    lines.push_back("No interval yet: the category prior alone decides.");
  } else {
    // The most recent intervals, oldest first; full weight unless said otherwise.
    constexpr std::size_t kShown = 6;
    const std::size_t first = e.intervals.size() > kShown ? e.intervals.size() - kShown : 0;
    std::string list;
    for (std::size_t i = first; i < e.intervals.size(); ++i) {
      const auto& iv = e.intervals[i];
      if (!list.empty()) list += ", ";
      list += fmt::format("{:.0f} d", iv.days());
      if (iv.weight() < 0.995) list += fmt::format(" weighted {:.2f}", iv.weight());
      if (iv.robust_weight < 0.995) {
        list += iv.days() > e.own_cycle_days ? " (long gap)" : " (top-up)";
      }
    }
    lines.push_back(first > 0 ? fmt::format("Last {} intervals used: {}.", kShown, list)
                              : fmt::format("Intervals used: {}.", list));
    lines.push_back(
        fmt::format("Own cycle {:.1f} d; category prior {:.1f} d; weight on own "
                    "history {:.2f}.",
                    e.own_cycle_days, e.prior_cycle_days, e.shrink_weight));
  }
  lines.push_back(fmt::format("Category prior: {}.", prior_source));
  if (std::abs(e.amount_factor - 1) > 0.005) {
    lines.push_back(
        fmt::format("Amount effect: last purchase x{:.2f} of usual, cycle x{:.2f} "
                    "(beta {:.2f}).",
                    e.last_amount / e.reference_amount, e.amount_factor, p.beta));
  }
  lines.push_back(fmt::format("Predicted cycle {:.1f} d: next need {}, {:.0f}% interval {} .. {}.",
                              e.cycle_days, day_text(e.next_day), e.params.interval_level * 100,
                              day_text(e.lo_day), day_text(e.hi_day)));
  if (e.prediction.lapsed) {
    lines.push_back(
        fmt::format("Lapsed: {} is far past the interval; probably gone.", day_text(e.now_day)));
  } else if (e.overdue) {
    lines.push_back(
        fmt::format("Overdue by {} d on {}.", e.now_day - e.next_day, day_text(e.now_day)));
  }
  if (e.issues.total() > 0) {
    lines.push_back(
        fmt::format("Input repaired: {} bad amounts, {} bad times, {} in the future "
                    "ignored; {} out of order sorted; {} same-day merged.",
                    e.issues.bad_amount, e.issues.bad_time, e.issues.future, e.issues.out_of_order,
                    e.issues.same_day));
  }
  return lines;
}

}  // namespace replenish::model

namespace replenish::model {

nlohmann::json explain_json(const Estimate& e) {
  using nlohmann::json;
  const Prior& p = e.prior;
  json repaired = nullptr;
  if (e.issues.total() > 0) {
    repaired = {{"bad_amount", e.issues.bad_amount},
                {"bad_time", e.issues.bad_time},
                {"future", e.issues.future},
                {"out_of_order", e.issues.out_of_order},
                {"same_day", e.issues.same_day}};
  }
  if (!e.valid) return {{"valid", false}, {"repaired", repaired}};
  constexpr std::size_t kShown = 6;  // as explain()
  const std::size_t first = e.intervals.size() > kShown ? e.intervals.size() - kShown : 0;
  json intervals = json::array();
  for (std::size_t i = first; i < e.intervals.size(); ++i) {
    const auto& iv = e.intervals[i];
    std::string note;
    if (iv.robust_weight < 0.995) note = iv.days() > e.own_cycle_days ? "long_gap" : "top_up";
    intervals.push_back({{"days", iv.days()}, {"weight", iv.weight()}, {"note", note}});
  }
  json amount = nullptr;
  if (std::abs(e.amount_factor - 1) > 0.005) {
    amount = {{"ratio", e.last_amount / e.reference_amount},
              {"cycle_factor", e.amount_factor},
              {"beta", p.beta}};
  }
  return {{"valid", true},
          {"purchases", e.purchases},
          {"last_day", day_text(e.last_day)},
          {"last_amount", e.last_amount},
          {"usual_amount", e.reference_amount},
          {"intervals", intervals},
          {"intervals_total", e.intervals.size()},
          {"own_cycle_days", e.own_cycle_days},
          {"prior_cycle_days", e.prior_cycle_days},
          {"own_weight", e.intervals.empty() ? 0.0 : e.shrink_weight},
          {"prior",
           {{"source", p.fallback ? "default" : "learned"},
            {"users", p.n_users},
            {"min_users", e.params.min_population},
            {"default_days", std::exp(p.default_m)},
            {"learned_days", p.fallback ? json(nullptr) : json(std::exp(p.learned_m))},
            {"learned_weight", p.learned_weight}}},
          {"amount", amount},
          {"cycle_days", e.cycle_days},
          {"next_day", day_text(e.next_day)},
          {"lo_day", day_text(e.lo_day)},
          {"hi_day", day_text(e.hi_day)},
          {"level", e.params.interval_level},
          {"today", day_text(e.now_day)},
          {"lapsed", e.prediction.lapsed},
          {"overdue_days", e.overdue ? e.now_day - e.next_day : 0},
          {"repaired", repaired}};
}

}  // namespace replenish::model
