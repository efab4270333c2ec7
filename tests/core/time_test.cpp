#include <doctest/doctest.h>

#include "core/clock.hpp"
#include "core/time.hpp"

using namespace replenish::core;

TEST_CASE("core: parse_timestamp accepts ISO-8601 with offsets and epoch seconds") {
  CHECK(parse_timestamp("2016-03-14T17:32:00-05:00") == 1457994720);
  CHECK(parse_timestamp("2016-03-14T22:32:00Z") == 1457994720);
  CHECK(parse_timestamp("2016-03-15T06:32:00+08:00") == 1457994720);
  CHECK(parse_timestamp("2016-03-15T06:32:00+0800") == 1457994720);
  CHECK(parse_timestamp("2016-03-14T22:32:00.250Z") == 1457994720);
  CHECK(parse_timestamp("2016-03-14 22:32Z") == 1457994720 - 0);
  CHECK(parse_timestamp("1457994720") == 1457994720);
  CHECK(parse_timestamp(" 2024-02-29T00:00:00Z ") == 1709164800);
}

TEST_CASE("core: parse_timestamp names the reason of a failure") {
  std::string why;
  CHECK_FALSE(parse_timestamp("2016-03-14T17:32:00", &why));
  CHECK(why == "missing UTC offset (add Z or ±HH:MM)");
  CHECK_FALSE(parse_timestamp("2023-02-29T00:00:00Z", &why));
  CHECK(why == "day out of range");
  CHECK_FALSE(parse_timestamp("2016-13-01T00:00:00Z", &why));
  CHECK(why == "month out of range");
  CHECK_FALSE(parse_timestamp("yesterday", &why));
  CHECK(why == "expected ISO-8601 date-time with offset or epoch seconds");
  CHECK_FALSE(parse_timestamp("2016-03-14T25:00:00Z", &why));
  CHECK(why == "time of day out of range");
  CHECK_FALSE(parse_timestamp("2016-03-14T10:00:00Zjunk", &why));
  CHECK(why == "trailing characters after timestamp");
  CHECK_FALSE(parse_timestamp("", &why));
  CHECK(why == "empty timestamp");
}

TEST_CASE("core: time zones give local days and wall-clock instants") {
  const auto sh = TimeZone::locate("Asia/Shanghai");
  // 2024-03-01T20:00:00Z is 2024-03-02 04:00 in Shanghai.
  const EpochSeconds t = 1709323200;
  CHECK(sh.local_date(t).to_string() == "2024-03-02");
  CHECK(TimeZone().local_date(t).to_string() == "2024-03-01");
  CHECK(sh.seconds_of_day(t) == 4 * 3600);
  CHECK(sh.at_local(sh.local_day(t), 10 * 3600) == 1709344800);  // 2024-03-02T02:00:00Z
  CHECK(sh.format_local(t) == "2024-03-02 04:00");
  // New York across the spring-forward gap (2024-03-10 02:00 does not exist).
  const auto ny = TimeZone::locate("America/New_York");
  const auto day = days_from_civil(2024, 3, 10);
  CHECK(ny.at_local(day, 10 * 3600) == parse_timestamp("2024-03-10T10:00:00-04:00"));
  CHECK(ny.at_local(day - 1, 10 * 3600) == parse_timestamp("2024-03-09T10:00:00-05:00"));
  CHECK_THROWS_WITH_AS(TimeZone::locate("Mars/Olympus"), "unknown time zone 'Mars/Olympus'",
                       std::invalid_argument);
}

TEST_CASE("core: a simulated clock standing still moves only when advanced") {
  SimulatedClock clock(1000, 0);
  CHECK(clock.now() == 1000);
  CHECK(clock.advance(86400));
  CHECK(clock.now() == 87400);
  CHECK_FALSE(clock.advance(-1));
  CHECK(clock.now() == 87400);
}
