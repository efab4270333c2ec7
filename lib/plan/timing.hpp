// When a message may go out: inside the send window of the user's time zone and never in quiet
// hours (both may wrap midnight). Pure functions of the configuration and a time zone.
#pragma once

#include "config/config.hpp"
#include "core/time.hpp"
#include "core/types.hpp"

namespace replenish::plan {

/// True when a message may go out at `t`: inside plan.send_window and outside plan.quiet_hours,
/// both read as local wall-clock times in `tz`.
bool allowed_at(core::EpochSeconds t, const config::PlanConfig& plan, const core::TimeZone& tz);

/// The earliest instant at or after `t` at which a message may go out (allowed_at). Daylight-
/// saving gaps are handled by the time zone (a wall time that does not exist moves forward).
core::EpochSeconds next_allowed(core::EpochSeconds t, const config::PlanConfig& plan,
                                const core::TimeZone& tz);

/// The due time of a reminder meant for local day `day`: send_slot() (that day at send_time, or
/// the next send time after `now` when that is past), moved to the next allowed instant.
core::EpochSeconds due_time(std::int64_t day, const config::PlanConfig& plan,
                            const core::TimeZone& tz, core::EpochSeconds now);

}  // namespace replenish::plan
