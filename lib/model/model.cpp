#include "model/model.hpp"

#include <algorithm>
#include <cmath>

namespace replenish::model {

Prior default_prior(double default_cycle_days) {
  Prior p;
  p.m = std::log(std::max(default_cycle_days, 0.5));
  return p;
}

std::vector<core::Purchase> to_purchases(std::vector<LineEvent> lines, const core::TimeZone& tz) {
  std::sort(lines.begin(), lines.end(),
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

core::Prediction predict(const std::vector<core::Purchase>& purchases, const Prior& prior,
                         const Params& params, core::EpochSeconds now) {
  (void)params;
  (void)now;
  core::Prediction p;
  if (purchases.empty()) return p;
  double cycle_days = std::exp(prior.m);
  const int n = static_cast<int>(purchases.size()) - 1;
  if (n > 0) {
    const double span = static_cast<double>(purchases.back().at - purchases.front().at);
    cycle_days = span / n / core::kSecondsPerDay;
  }
  p.intervals = n;
  p.from_prior = n == 0;
  p.cycle_days = cycle_days;
  const auto cycle = static_cast<core::EpochSeconds>(cycle_days * core::kSecondsPerDay);
  p.next_at = purchases.back().at + cycle;
  p.lo = purchases.back().at + cycle / 2;
  p.hi = purchases.back().at + cycle * 3 / 2;
  return p;
}

}  // namespace replenish::model
