#include "config/campaign_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "config/config.hpp"

namespace replenish::config {
namespace {

/// "HH:MM" → minutes since midnight, or -1.
int parse_hhmm(const std::string& text) {
  int h = -1, m = -1;
  char colon = 0;
  std::istringstream in(text);
  if (!(in >> h >> colon >> m) || colon != ':' || h < 0 || h > 23 || m < 0 || m > 59) return -1;
  std::string rest;
  if (in >> rest) return -1;
  return h * 60 + m;
}

int read_hhmm(Reader& r, const std::string& key, int fallback, const std::string& what) {
  const auto text = r.opt_string(key);
  if (!text) return fallback;
  const int minutes = parse_hhmm(*text);
  if (minutes < 0) {
    r.error(key, fmt::format("expected HH:MM ({}), got '{}'", what, *text));
    return fallback;
  }
  return minutes;
}

TimeWindow read_window(Reader& parent, const std::string& key, TimeWindow fallback) {
  Reader w = parent.child(key);
  if (!parent.has(key)) return fallback;
  TimeWindow out = fallback;
  out.start_minute = read_hhmm(w, "start", fallback.start_minute, "local time");
  out.end_minute = read_hhmm(w, "end", fallback.end_minute, "local time");
  w.finish();
  return out;
}

std::string format_minute(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

void read_plan(Reader p, PlanConfig& out) {
  const int send = read_hhmm(p, "send_time", out.send_hour * 60 + out.send_minute,
                             "local time in the user's time zone");
  out.send_hour = send / 60;
  out.send_minute = send % 60;
  out.send_window = read_window(p, "send_window", out.send_window);
  out.quiet_hours = read_window(p, "quiet_hours", out.quiet_hours);
  // The send window must keep some time outside quiet hours, or nothing could ever be sent.
  // An empty window (start == end) is the whole day.
  bool open = false;
  for (int minute = 0; minute < 24 * 60 && !open; ++minute) {
    open = (out.send_window.empty() || out.send_window.contains(minute)) &&
           !out.quiet_hours.contains(minute);
  }
  if (!out.send_window.empty() && !open) {
    p.error("quiet_hours",
            fmt::format("covers the whole send window {}-{}: nothing could ever be sent",
                        format_minute(out.send_window.start_minute),
                        format_minute(out.send_window.end_minute)));
  }
  out.follow_up_days = static_cast<int>(p.get_int("follow_up_days", out.follow_up_days, 0, 365));
  out.merge_window_hours =
      static_cast<int>(p.get_int("merge_window_hours", out.merge_window_hours, 0, 24 * 30));
  out.attribution_days =
      static_cast<int>(p.get_int("attribution_days", out.attribution_days, 1, 365));
  out.sweep_seconds = static_cast<int>(p.get_int("sweep_seconds", out.sweep_seconds, 1, 86400));
  p.finish();
}

CampaignRule read_rule(Reader& r, bool with_segment, const CouponsConfig& coupons) {
  CampaignRule rule;
  rule.path = r.path();
  if (with_segment) {
    rule.segment = r.req_string("segment");
    const auto& known = segment_names();
    if (!rule.segment.empty() &&
        std::find(known.begin(), known.end(), rule.segment) == known.end()) {
      std::string list;
      for (const auto& s : known) list += (list.empty() ? "" : ", ") + s;
      r.error("segment", "unknown segment '" + rule.segment + "' (" + list + ")");
    }
  }
  rule.template_name = r.req_string("template");
  rule.coupon = r.get_string("coupon", "");
  if (!rule.coupon.empty() && !coupons.rule(rule.coupon)) {
    std::string known;
    for (const auto& [name, c] : coupons.rules) known += (known.empty() ? "" : ", ") + name;
    r.error("coupon", "unknown coupon rule '" + rule.coupon + "' (coupons.rules: " +
                          (known.empty() ? std::string("none") : known) + ")");
  }
  rule.fallback_template = r.get_string("fallback_template", "");
  if (!rule.fallback_template.empty() && rule.coupon.empty()) {
    r.error("fallback_template", "is only used when a coupon cannot be issued: give `coupon`");
  }
  r.finish();
  return rule;
}

CampaignStep read_step(Reader& parent, const std::string& key, const CampaignStep& fallback,
                       const CouponsConfig& coupons) {
  Reader s = parent.child(key);
  if (!parent.has(key)) return fallback;
  CampaignStep step;
  step.enabled = s.get_bool("enabled", true);
  if (step.enabled) {
    step.rule = read_rule(s, false, coupons);
  } else {
    s.finish();
  }
  return step;
}

void read_campaigns(Reader& root, Config& cfg) {
  std::set<std::string> slugs, channels, names;
  for (const auto& c : cfg.categories) slugs.insert(c.slug);
  for (const auto& c : cfg.channels) channels.insert(c.name);
  const CampaignConfig defaults = default_campaign();
  auto items = root.items("campaigns");
  if (root.has("campaigns") && items.empty() && root.node()["campaigns"].IsSequence()) {
    root.error("campaigns", "needs at least one campaign (or leave it out for the default)");
  }
  for (auto& c : items) {
    CampaignConfig camp;
    camp.path = c.path();
    camp.name = c.req_string("name");
    if (!camp.name.empty() && !names.insert(camp.name).second) {
      c.error("name", "duplicate campaign '" + camp.name + "'");
    }
    camp.categories = c.get_strings("categories");
    for (const auto& slug : camp.categories) {
      if (!slugs.count(slug)) c.error("categories", "unknown category '" + slug + "'");
    }
    camp.channels = c.get_strings("channels");
    for (const auto& name : camp.channels) {
      if (!channels.count(name)) c.error("channels", "unknown channel '" + name + "'");
    }
    auto rules = c.items("rules");
    if (rules.empty()) c.error("rules", "needs at least one rule ({segment, template, coupon})");
    bool has_default = false;
    for (auto& r : rules) {
      camp.rules.push_back(read_rule(r, true, cfg.coupons));
      has_default = has_default || camp.rules.back().segment == "default";
    }
    if (!rules.empty() && !has_default) {
      c.error("rules", "needs a rule for segment 'default' (it catches every other user)");
    }
    for (std::size_t i = 0; i + 1 < camp.rules.size(); ++i) {
      if (camp.rules[i].segment == "default") {
        c.error(fmt::format("rules[{}]", i + 1),
                "comes after the 'default' rule, which matches every user: it is never used");
        break;
      }
    }
    camp.follow_up = read_step(c, "follow_up", CampaignStep{}, cfg.coupons);
    camp.win_back = read_step(c, "win_back", CampaignStep{}, cfg.coupons);
    c.finish();
    cfg.campaigns.push_back(std::move(camp));
  }
  // A category belongs to the first campaign that lists it (or lists none).
  std::set<std::string> covered;
  for (std::size_t i = 0; i < cfg.campaigns.size(); ++i) {
    const auto& camp = cfg.campaigns[i];
    const auto& list = camp.categories;
    for (const auto& slug : slugs) {
      const bool mine = list.empty() || std::find(list.begin(), list.end(), slug) != list.end();
      if (!mine) continue;
      if (covered.count(slug) && !list.empty()) {
        root.issues().push_back(Issue{camp.path + ".categories",
                                      "category '" + slug +
                                          "' already belongs to an earlier campaign; a category "
                                          "has one campaign",
                                      0, 0});
      }
      covered.insert(slug);
    }
  }
  if (cfg.campaigns.empty()) cfg.campaigns.push_back(defaults);
}

}  // namespace

bool TimeWindow::contains(int minute_of_day) const {
  if (start_minute == end_minute) return false;
  if (start_minute < end_minute) return minute_of_day >= start_minute && minute_of_day < end_minute;
  return minute_of_day >= start_minute || minute_of_day < end_minute;
}

int TimeWindow::length() const {
  if (start_minute <= end_minute) return end_minute - start_minute;
  return 24 * 60 - start_minute + end_minute;
}

const std::vector<std::string>& segment_names() {
  static const std::vector<std::string> kNames{"new",    "regular",    "loyal",  "at_risk",
                                               "lapsed", "high_value", "default"};
  return kNames;
}

CampaignConfig default_campaign() {
  CampaignConfig c;
  c.name = "restock";
  c.path = "campaigns";
  CampaignRule rule;
  rule.segment = "default";
  rule.template_name = "replenish";
  rule.path = "campaigns";
  c.rules.push_back(rule);
  c.follow_up.enabled = true;
  c.follow_up.rule.template_name = "follow_up";
  c.follow_up.rule.path = "campaigns";
  c.win_back.enabled = true;
  c.win_back.rule.template_name = "win_back";
  c.win_back.rule.path = "campaigns";
  return c;
}

void read_campaign_config(Reader& root, Config& cfg) {
  read_plan(root.child("plan"), cfg.plan);
  {
    Reader c = root.child("caps");
    cfg.caps.max_messages =
        static_cast<int>(c.get_int("max_messages", cfg.caps.max_messages, 1, 1000));
    cfg.caps.period_days = static_cast<int>(c.get_int("period_days", cfg.caps.period_days, 1, 365));
    c.finish();
  }
  {
    Reader h = root.child("holdout");
    cfg.holdout.share = h.get_double("share", cfg.holdout.share, 0, 0.5);
    cfg.holdout.salt = h.get_string("salt", cfg.holdout.salt);
    if (h.has("salt") && cfg.holdout.salt.empty()) h.error("salt", "must not be empty");
    h.finish();
  }
  {
    Reader s = root.child("segments");
    cfg.segments.loyal_min_purchases = static_cast<int>(
        s.get_int("loyal_min_purchases", cfg.segments.loyal_min_purchases, 2, 1000));
    cfg.segments.high_value_quantile =
        s.get_double("high_value_quantile", cfg.segments.high_value_quantile, 0.5, 0.999);
    s.finish();
  }
  {
    Reader p = root.child("policy");
    if (p.has("marketing_words")) {
      cfg.policy.marketing_words = p.get_strings("marketing_words");
      for (const auto& w : cfg.policy.marketing_words) {
        if (w.empty()) p.error("marketing_words", "an empty word would match every text");
      }
    }
    cfg.policy.enforce = p.get_bool("enforce", cfg.policy.enforce);
    p.finish();
  }
  read_campaigns(root, cfg);
}

}  // namespace replenish::config
