// Send window and quiet hours: shifting across midnight, time zones and a daylight-saving gap.
#include <doctest/doctest.h>

#include "config/config.hpp"
#include "core/time.hpp"
#include "plan/timing.hpp"

using namespace replenish;
using core::EpochSeconds;

namespace {

EpochSeconds at(const char* iso) {
  return *core::parse_timestamp(iso);
}

config::PlanConfig plan_with(int window_start, int window_end, int quiet_start, int quiet_end) {
  config::PlanConfig p;
  p.send_window = {window_start, window_end};
  p.quiet_hours = {quiet_start, quiet_end};
  return p;
}

}  // namespace

TEST_CASE("timing: the default window 10:00-20:00 moves early and late times to the next 10:00") {
  const auto tz = core::TimeZone::locate("Asia/Shanghai");
  const config::PlanConfig p;  // 10:00-20:00, quiet 21:30-08:30
  CHECK(plan::next_allowed(at("2024-03-05T08:00:00+08:00"), p, tz) ==
        at("2024-03-05T10:00:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T12:34:00+08:00"), p, tz) ==
        at("2024-03-05T12:34:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T19:59:00+08:00"), p, tz) ==
        at("2024-03-05T19:59:00+08:00"));
  // The end is exclusive; after it, the next morning.
  CHECK(plan::next_allowed(at("2024-03-05T20:00:00+08:00"), p, tz) ==
        at("2024-03-06T10:00:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T23:50:00+08:00"), p, tz) ==
        at("2024-03-06T10:00:00+08:00"));
  CHECK_FALSE(plan::allowed_at(at("2024-03-05T09:59:59+08:00"), p, tz));
  CHECK(plan::allowed_at(at("2024-03-05T10:00:00+08:00"), p, tz));
}

TEST_CASE("timing: quiet hours that wrap midnight cut into a wide window") {
  const auto tz = core::TimeZone::locate("Asia/Shanghai");
  // Window 07:00-23:30, quiet 22:00-08:30: allowed 08:30-22:00.
  const auto p = plan_with(7 * 60, 23 * 60 + 30, 22 * 60, 8 * 60 + 30);
  CHECK(plan::next_allowed(at("2024-03-05T07:15:00+08:00"), p, tz) ==
        at("2024-03-05T08:30:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T21:59:00+08:00"), p, tz) ==
        at("2024-03-05T21:59:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T22:00:00+08:00"), p, tz) ==
        at("2024-03-06T08:30:00+08:00"));
  // Past midnight, still quiet: the same morning.
  CHECK(plan::next_allowed(at("2024-03-06T00:10:00+08:00"), p, tz) ==
        at("2024-03-06T08:30:00+08:00"));
  // A window that itself wraps midnight (18:00-02:00) with quiet hours 23:00-07:00: allowed
  // 18:00-23:00 only.
  const auto night = plan_with(18 * 60, 2 * 60, 23 * 60, 7 * 60);
  CHECK(plan::next_allowed(at("2024-03-06T01:00:00+08:00"), night, tz) ==
        at("2024-03-06T18:00:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T22:30:00+08:00"), night, tz) ==
        at("2024-03-05T22:30:00+08:00"));
  CHECK(plan::next_allowed(at("2024-03-05T23:00:00+08:00"), night, tz) ==
        at("2024-03-06T18:00:00+08:00"));
}

TEST_CASE("timing: the same instant is judged in each user's own time zone") {
  const config::PlanConfig p;
  const EpochSeconds t = at("2024-03-05T02:00:00Z");
  // 10:00 in Shanghai: inside the window.
  CHECK(plan::next_allowed(t, p, core::TimeZone::locate("Asia/Shanghai")) == t);
  // 21:00 on 4 March in New York (EST, UTC-5): after the window, before quiet hours: the next
  // morning at 10:00 EST.
  CHECK(plan::next_allowed(t, p, core::TimeZone::locate("America/New_York")) ==
        at("2024-03-05T10:00:00-05:00"));
  // 02:00 in London (GMT): quiet hours; 10:00 GMT.
  CHECK(plan::next_allowed(t, p, core::TimeZone::locate("Europe/London")) ==
        at("2024-03-05T10:00:00Z"));
  // 15:00 in Auckland (NZDT, UTC+13): inside.
  CHECK(plan::next_allowed(t, p, core::TimeZone::locate("Pacific/Auckland")) == t);
}

TEST_CASE("timing: a quiet-hours end inside a daylight-saving gap moves forward by the gap") {
  const auto ny = core::TimeZone::locate("America/New_York");
  // 2024-03-10: clocks jump from 02:00 EST to 03:00 EDT. Window 00:00-23:59, quiet 22:00-02:30.
  const auto p = plan_with(0, 23 * 60 + 59, 22 * 60, 2 * 60 + 30);
  // 01:00 EST is quiet; 02:30 does not exist that night: 03:30 EDT, 07:30Z.
  CHECK(plan::next_allowed(at("2024-03-10T01:00:00-05:00"), p, ny) == at("2024-03-10T07:30:00Z"));
  // The default window on the day after the change: 10:00 EDT is 14:00Z.
  CHECK(plan::next_allowed(at("2024-03-10T23:00:00-04:00"), config::PlanConfig{}, ny) ==
        at("2024-03-11T14:00:00Z"));
}

TEST_CASE("timing: a due time at send_time outside the window moves into it") {
  const auto tz = core::TimeZone::locate("Asia/Shanghai");
  config::PlanConfig p;
  p.send_hour = 9;  // before the 10:00 window opens
  const EpochSeconds now = at("2024-03-01T12:00:00+08:00");
  const std::int64_t day = tz.local_day(at("2024-03-05T12:00:00+08:00"));
  CHECK(plan::due_time(day, p, tz, now) == at("2024-03-05T10:00:00+08:00"));
  p.send_hour = 21;  // after it closes, in quiet hours from 21:30 on
  p.send_minute = 45;
  CHECK(plan::due_time(day, p, tz, now) == at("2024-03-06T10:00:00+08:00"));
  // Overdue (the day is past): the next send time after now, 21:45, moved to the next morning.
  CHECK(plan::due_time(day - 10, p, tz, now) == at("2024-03-02T10:00:00+08:00"));
}

TEST_CASE("config: send window and quiet hours are read, wrapped and checked") {
  const char* base = R"(
categories:
  - slug: diapers
    match: [{category: [母婴]}]
channels:
  log: {type: log}
)";
  auto cfg = config::parse_config(std::string(base) + R"(
plan:
  send_window: {start: "09:00", end: "21:00"}
  quiet_hours: {start: "22:15", end: "07:45"}
  follow_up_days: 5
  merge_window_hours: 24
  attribution_days: 10
)",
                                  "t.yaml");
  CHECK(cfg.plan.send_window.start_minute == 9 * 60);
  CHECK(cfg.plan.send_window.end_minute == 21 * 60);
  CHECK(cfg.plan.quiet_hours.start_minute == 22 * 60 + 15);
  CHECK(cfg.plan.quiet_hours.end_minute == 7 * 60 + 45);
  CHECK(cfg.plan.quiet_hours.contains(0));
  CHECK(cfg.plan.quiet_hours.length() == 9 * 60 + 30);
  CHECK(cfg.plan.follow_up_days == 5);
  CHECK(cfg.plan.merge_window_hours == 24);
  CHECK(cfg.plan.attribution_days == 10);
  // Defaults.
  cfg = config::parse_config(base, "t.yaml");
  CHECK(cfg.plan.send_window.start_minute == 600);
  CHECK(cfg.plan.send_window.end_minute == 1200);
  CHECK(cfg.plan.quiet_hours.start_minute == 21 * 60 + 30);
  CHECK(cfg.plan.quiet_hours.end_minute == 8 * 60 + 30);
  CHECK(cfg.caps.max_messages == 2);
  CHECK(cfg.caps.period_days == 7);
  CHECK(cfg.holdout.share == 0);
  REQUIRE(cfg.campaigns.size() == 1);
  CHECK(cfg.campaigns[0].name == "restock");
  CHECK(cfg.campaigns[0].rules[0].template_name == "replenish");

  try {
    config::parse_config(std::string(base) + R"(
plan:
  send_window: {start: "10:00", end: "20:00"}
  quiet_hours: {start: "21:00", end: "25:00"}
)",
                         "t.yaml");
    FAIL("expected a configuration error");
  } catch (const config::ConfigError& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path == "plan.quiet_hours.end");
    CHECK(e.issues()[0].message == "expected HH:MM (local time), got '25:00'");
    CHECK(e.issues()[0].line == 10);
  }
  try {
    config::parse_config(std::string(base) + R"(
plan:
  send_window: {start: "10:00", end: "20:00"}
  quiet_hours: {start: "09:00", end: "21:00"}
)",
                         "t.yaml");
    FAIL("expected a configuration error");
  } catch (const config::ConfigError& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path == "plan.quiet_hours");
    CHECK(e.issues()[0].message ==
          "covers the whole send window 10:00-20:00: nothing could ever be sent");
  }
}
