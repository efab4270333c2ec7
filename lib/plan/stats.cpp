#include "plan/stats.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

namespace replenish::plan {
namespace {

using nlohmann::json;

struct Group {
  std::int64_t planned = 0, sent = 0, merged = 0, delivered = 0, failed = 0, cancelled = 0,
               pending = 0, converted = 0, coupons = 0, redeemed = 0;
  std::int64_t control = 0, control_converted = 0;

  void add(const store::Store::StatsRow& r) {
    const std::int64_t n = r.count;
    if (r.held_out) {
      if (r.state == "held_out") {
        control += n;
        control_converted += r.converted ? n : 0;
      }
      return;
    }
    planned += n;
    const bool went = r.state == "sent" || r.state == "converted";
    if (went) {
      sent += n;
      merged += r.merged ? n : 0;
      if (r.receipt_failed) {
        failed += n;
      } else {
        delivered += n;
      }
      converted += r.converted ? n : 0;
      coupons += r.has_coupon ? n : 0;
      redeemed += r.has_coupon && r.coupon_redeemed ? n : 0;
    } else if (r.state == "dead") {
      failed += n;
    } else if (r.state == "cancelled") {
      cancelled += n;
    } else {
      pending += n;
    }
  }

  json to_json() const {
    const auto rate = [](std::int64_t k, std::int64_t n) {
      return n > 0 ? json(static_cast<double>(k) / static_cast<double>(n)) : json(nullptr);
    };
    json j{{"planned", planned},
           {"sent", sent},
           {"merged", merged},
           {"delivered", delivered},
           {"failed", failed},
           {"cancelled", cancelled},
           {"pending", pending},
           {"converted", converted},
           {"conversion_rate", rate(converted, sent)},
           {"coupons", coupons},
           {"coupons_redeemed", redeemed},
           {"coupon_redemption_rate", rate(redeemed, coupons)},
           {"holdout",
            {{"reminders", control},
             {"converted", control_converted},
             {"conversion_rate", rate(control_converted, control)}}}};
    if (const auto u = newcombe_uplift(converted, sent, control_converted, control)) {
      j["uplift"] = {{"difference", u->difference}, {"low", u->low}, {"high", u->high}};
    } else {
      j["uplift"] = nullptr;
    }
    return j;
  }
};

json breakdown(const std::map<std::string, Group>& groups) {
  json out = json::array();
  for (const auto& [key, g] : groups) {
    json j = g.to_json();
    j["key"] = key;
    out.push_back(std::move(j));
  }
  return out;
}

std::string percent(const json& v) {
  if (v.is_null()) return "-";
  return fmt::format("{:.1f}%", 100.0 * v.get<double>());
}

std::string points(double v) {
  return fmt::format("{:+.1f}", 100.0 * v);
}

}  // namespace

std::pair<double, double> wilson_interval(std::int64_t k, std::int64_t n, double z) {
  if (n <= 0) return {0, 0};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::optional<Uplift> newcombe_uplift(std::int64_t k1, std::int64_t n1, std::int64_t k2,
                                      std::int64_t n2, double z) {
  if (n1 <= 0 || n2 <= 0) return std::nullopt;
  const double p1 = static_cast<double>(k1) / static_cast<double>(n1);
  const double p2 = static_cast<double>(k2) / static_cast<double>(n2);
  const auto [l1, u1] = wilson_interval(k1, n1, z);
  const auto [l2, u2] = wilson_interval(k2, n2, z);
  Uplift u;
  u.difference = p1 - p2;
  u.low = u.difference - std::sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
  u.high = u.difference + std::sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
  return u;
}

json stats_view(store::Store& store, core::EpochSeconds since, core::EpochSeconds until,
                core::EpochSeconds now, int attribution_days) {
  Group total;
  std::map<std::string, Group> campaigns, segments, categories, channels;
  for (const auto& r :
       store.stats_rows(since, until, now, core::EpochSeconds{attribution_days} * 86400)) {
    total.add(r);
    campaigns[r.campaign.empty() ? "(none)" : r.campaign].add(r);
    segments[r.segment.empty() ? "(none)" : r.segment].add(r);
    categories[r.category].add(r);
    channels[r.channel.empty() ? "(not sent)" : r.channel].add(r);
  }
  return json{{"since", core::format_utc(since)},
              {"until", core::format_utc(until)},
              {"attribution_days", attribution_days},
              {"interval",
               {{"level", 0.95},
                {"method", "newcombe_hybrid_score"},
                {"of", "conversion rate minus the holdout group's conversion rate"}}},
              {"total", total.to_json()},
              {"by_campaign", breakdown(campaigns)},
              {"by_segment", breakdown(segments)},
              {"by_category", breakdown(categories)},
              {"by_channel", breakdown(channels)}};
}

std::optional<core::EpochSeconds> parse_bound(const std::string& text, const core::TimeZone& tz,
                                              std::string* error) {
  int y = 0;
  unsigned m = 0, d = 0;
  char dash1 = 0, dash2 = 0;
  if (text.size() == 10 &&
      std::sscanf(text.c_str(), "%4d%c%2u%c%2u", &y, &dash1, &m, &dash2, &d) == 5 && dash1 == '-' &&
      dash2 == '-') {
    if (m < 1 || m > 12 || d < 1 || d > 31) {
      if (error) *error = "'" + text + "' is not a date";
      return std::nullopt;
    }
    return tz.at_local(core::days_from_civil(y, m, d), 0);
  }
  std::string why;
  const auto t = core::parse_timestamp(text, &why);
  if (!t && error) *error = "'" + text + "': expected YYYY-MM-DD or a timestamp (" + why + ")";
  return t;
}

std::string format_stats(const json& s) {
  static const std::pair<const char*, const char*> kSections[] = {{"by_campaign", "campaign"},
                                                                  {"by_segment", "segment"},
                                                                  {"by_category", "category"},
                                                                  {"by_channel", "channel"}};
  const auto rows = [&](const std::function<std::string(const std::string&, const json&)>& line) {
    std::string out = line("all", s["total"]);
    for (const auto& [key, title] : kSections) {
      out += fmt::format("{}:\n", title);
      for (const auto& g : s[key]) out += line("  " + g["key"].get<std::string>(), g);
    }
    return out;
  };
  std::string out = fmt::format(
      "Reminders due {} .. {}\n"
      "Converted: an order in the category within {} days after it\n\n",
      s["since"].get<std::string>(), s["until"].get<std::string>(),
      s["attribution_days"].get<int>());
  out += fmt::format("{:<16} {:>7} {:>6} {:>6} {:>9} {:>6} {:>9} {:>7}\n", "", "PLANNED", "SENT",
                     "MERGED", "DELIVERED", "FAILED", "CANCELLED", "PENDING");
  out += rows([](const std::string& label, const json& g) {
    return fmt::format("{:<16.16} {:>7} {:>6} {:>6} {:>9} {:>6} {:>9} {:>7}\n", label,
                       g["planned"].get<std::int64_t>(), g["sent"].get<std::int64_t>(),
                       g["merged"].get<std::int64_t>(), g["delivered"].get<std::int64_t>(),
                       g["failed"].get<std::int64_t>(), g["cancelled"].get<std::int64_t>(),
                       g["pending"].get<std::int64_t>());
  });
  out += fmt::format("\n{:<16} {:>5} {:>5} {:>6} {:>6} {:>5} {:>6} {:>6} {}\n", "", "SENT", "CONV",
                     "RATE", "COUPON", "HOLD", "H.RATE", "UPLIFT", "95% CI");
  out += rows([](const std::string& label, const json& g) {
    const auto& h = g["holdout"];
    std::string uplift = "-", ci;
    if (!g["uplift"].is_null()) {
      uplift = points(g["uplift"]["difference"].get<double>());
      ci = fmt::format("[{}, {}]", points(g["uplift"]["low"].get<double>()),
                       points(g["uplift"]["high"].get<double>()));
    }
    std::string line =
        fmt::format("{:<16.16} {:>5} {:>5} {:>6} {:>6} {:>5} {:>6} {:>6} {}", label,
                    g["sent"].get<std::int64_t>(), g["converted"].get<std::int64_t>(),
                    percent(g["conversion_rate"]), percent(g["coupon_redemption_rate"]),
                    h["reminders"].get<std::int64_t>(), percent(h["conversion_rate"]), uplift, ci);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  });
  out +=
      "\nCOUPON: share of sent coupons redeemed. HOLD: held-out reminders (control\n"
      "group). UPLIFT: conversion rate minus the control group's, in percentage\n"
      "points, with a 95% confidence interval (Newcombe's hybrid score interval).\n";
  return out;
}

}  // namespace replenish::plan
