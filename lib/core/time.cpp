#include "core/time.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace replenish::core {
namespace {

bool read_digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

std::optional<EpochSeconds> fail(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return std::nullopt;
}

unsigned days_in_month(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm, as in date.h, without the type machinery.
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<EpochSeconds> parse_timestamp(std::string_view s, std::string* error) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return fail(error, "empty timestamp");

  bool all_digits = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!(s[i] >= '0' && s[i] <= '9') && !(i == 0 && s[i] == '-')) all_digits = false;
  }
  if (all_digits) {
    EpochSeconds v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) {
      return fail(error, "epoch seconds out of range");
    }
    return v;
  }

  // YYYY-MM-DDTHH:MM[:SS[.fff]](Z|+HH:MM|+HHMM|+HH)
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
      s[7] != '-' || !read_digits(s, 8, 2, d)) {
    return fail(error, "expected ISO-8601 date-time with offset or epoch seconds");
  }
  if (s.size() < 16 || (s[10] != 'T' && s[10] != ' ') || !read_digits(s, 11, 2, h) ||
      s[13] != ':' || !read_digits(s, 14, 2, mi)) {
    return fail(error, "expected a time after the date (YYYY-MM-DDTHH:MM:SS±HH:MM)");
  }
  std::size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!read_digits(s, pos + 1, 2, sec)) return fail(error, "bad seconds");
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      const std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return fail(error, "bad fractional seconds");
    }
  }
  if (mo < 1 || mo > 12) return fail(error, "month out of range");
  if (d < 1 || static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(mo))) {
    return fail(error, "day out of range");
  }
  if (h > 23 || mi > 59 || sec > 60) return fail(error, "time of day out of range");

  if (pos >= s.size()) return fail(error, "missing UTC offset (add Z or ±HH:MM)");
  std::int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!read_digits(s, pos + 1, 2, oh)) return fail(error, "bad UTC offset");
    pos += 3;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (pos < s.size()) {
      if (!read_digits(s, pos, 2, om)) return fail(error, "bad UTC offset");
      pos += 2;
    }
    if (oh > 18 || om > 59) return fail(error, "UTC offset out of range");
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return fail(error, "bad UTC offset");
  }
  if (pos != s.size()) return fail(error, "trailing characters after timestamp");

  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * kSecondsPerDay + h * 3600 + mi * 60 + sec - offset;
}

std::string format_utc(EpochSeconds t) {
  const auto tp = date::sys_seconds{std::chrono::seconds{t}};
  return date::format("%FT%TZ", tp);
}

std::string LocalDate::to_string() const {
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

TimeZone::TimeZone() : name_("UTC") {}

TimeZone TimeZone::locate(const std::string& name) {
  TimeZone tz;
  tz.name_ = name;
  if (name == "UTC" || name == "Etc/UTC") return tz;
  try {
    tz.zone_ = date::locate_zone(name);
  } catch (const std::exception&) {
    throw std::invalid_argument("unknown time zone '" + name + "'");
  }
  return tz;
}

std::int64_t TimeZone::offset_at(EpochSeconds t) const {
  if (!zone_) return 0;
  return zone_->get_info(date::sys_seconds{std::chrono::seconds{t}}).offset.count();
}

std::int64_t TimeZone::local_day(EpochSeconds t) const {
  const EpochSeconds local = t + offset_at(t);
  return local >= 0 ? local / kSecondsPerDay : (local - kSecondsPerDay + 1) / kSecondsPerDay;
}

int TimeZone::seconds_of_day(EpochSeconds t) const {
  const EpochSeconds local = t + offset_at(t);
  return static_cast<int>(local - local_day(t) * kSecondsPerDay);
}

LocalDate TimeZone::local_date(EpochSeconds t) const {
  const date::year_month_day ymd{date::sys_days{date::days{local_day(t)}}};
  return LocalDate{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())};
}

EpochSeconds TimeZone::at_local(std::int64_t day_number, int seconds_of_day) const {
  const EpochSeconds local = day_number * kSecondsPerDay + seconds_of_day;
  if (!zone_) return local;
  const auto lt = date::local_seconds{std::chrono::seconds{local}};
  const auto info = zone_->get_info(lt);
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:
      return local - info.first.offset.count();
    case date::local_info::nonexistent:
    default:
      // In a gap: the wall time does not exist; move forward by the gap's size.
      return local - info.first.offset.count();
  }
}

std::string TimeZone::format_local(EpochSeconds t) const {
  const EpochSeconds local = t + offset_at(t);
  const auto tp = date::local_seconds{std::chrono::seconds{local}};
  return date::format("%F %R", tp);
}

}  // namespace replenish::core
