// Calendar and time-zone helpers: ISO-8601 parsing/formatting, local dates in a time zone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/types.hpp"

namespace date {
class time_zone;
}

namespace replenish::core {

/// Earliest and latest order time accepted anywhere (1970-01-01 .. 2100-01-01 UTC).
constexpr EpochSeconds kMinTime = 0;
constexpr EpochSeconds kMaxTime = 4102444800;

/// Parses "2016-03-14T17:32:00-05:00", "…Z", "…+0800", fractional seconds, or epoch seconds
/// ("1458000000"). A date-time without an offset is rejected. On failure returns nullopt and
/// sets `error` (when given) to the reason.
std::optional<EpochSeconds> parse_timestamp(std::string_view text, std::string* error = nullptr);

/// Formats as "2016-03-14T22:32:00Z".
std::string format_utc(EpochSeconds t);

/// Days since 1970-01-01 of a civil date, and back.
std::int64_t days_from_civil(int y, unsigned m, unsigned d);

/// A calendar date.
struct LocalDate {
  int year = 1970;
  unsigned month = 1;
  unsigned day = 1;
  std::int64_t day_number() const { return days_from_civil(year, month, day); }
  std::string to_string() const;  ///< "2016-03-14"
};

/// An IANA time zone ("Asia/Shanghai") resolved once; cheap to copy.
class TimeZone {
 public:
  /// UTC.
  TimeZone();
  /// Throws std::invalid_argument naming the zone when it is unknown.
  static TimeZone locate(const std::string& name);
  const std::string& name() const { return name_; }

  /// Offset from UTC in seconds at `t`.
  std::int64_t offset_at(EpochSeconds t) const;
  /// Local calendar date of `t`.
  LocalDate local_date(EpochSeconds t) const;
  /// Day number (days since 1970-01-01) of the local date of `t`.
  std::int64_t local_day(EpochSeconds t) const;
  /// Seconds since local midnight of `t`.
  int seconds_of_day(EpochSeconds t) const;
  /// UTC time of local wall-clock `seconds_of_day` on local day `day_number`
  /// (a gap in local time moves forward; an ambiguous time takes the earlier instant).
  EpochSeconds at_local(std::int64_t day_number, int seconds_of_day) const;
  /// "2016-03-14 10:00" in this zone.
  std::string format_local(EpochSeconds t) const;

 private:
  std::string name_;
  const date::time_zone* zone_ = nullptr;  // nullptr = UTC
};

}  // namespace replenish::core
