#include "plan/timing.hpp"

#include <algorithm>
#include <vector>

#include "plan/engine.hpp"

namespace replenish::plan {

using core::EpochSeconds;

bool allowed_at(EpochSeconds t, const config::PlanConfig& plan, const core::TimeZone& tz) {
  const int minute = tz.seconds_of_day(t) / 60;
  // An empty send window (start == end) restricts nothing; empty quiet hours neither.
  return (plan.send_window.empty() || plan.send_window.contains(minute)) &&
         !plan.quiet_hours.contains(minute);
}

EpochSeconds next_allowed(EpochSeconds t, const config::PlanConfig& plan,
                          const core::TimeZone& tz) {
  if (allowed_at(t, plan, tz)) return t;
  // Allowed time begins only where the window opens or quiet hours end: try those instants on
  // the next few local days, earliest first. Config checks guarantee one exists every day.
  const std::int64_t day = tz.local_day(t);
  std::vector<EpochSeconds> candidates;
  for (std::int64_t d = day - 1; d <= day + 2; ++d) {
    for (const int minute : {plan.send_window.start_minute, plan.quiet_hours.end_minute}) {
      const EpochSeconds c = tz.at_local(d, minute * 60);
      if (c >= t) candidates.push_back(c);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto c : candidates) {
    if (allowed_at(c, plan, tz)) return c;
  }
  return t;  // unreachable with a validated configuration
}

EpochSeconds due_time(std::int64_t day, const config::PlanConfig& plan, const core::TimeZone& tz,
                      EpochSeconds now) {
  return next_allowed(send_slot(day, plan, tz, now), plan, tz);
}

}  // namespace replenish::plan
