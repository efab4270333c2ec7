// Configuration of campaigns: send timing (window, quiet hours), caps, holdout, segments, the
// WeChat wording policy and the campaigns themselves (which template and coupon rule a segment
// gets). Decoded once by read_campaign_config(); config/replenishd.yaml documents every key.
#pragma once

#include <string>
#include <vector>

#include "config/reader.hpp"

namespace replenish::config {

/// A span of local wall-clock time, [start, end) in minutes since midnight. When end < start it
/// wraps midnight ("21:30" .. "08:30"); start == end is empty (as quiet hours: none; as the send
/// window: no restriction).
struct TimeWindow {
  int start_minute = 0;
  int end_minute = 0;

  /// True when `minute_of_day` (0..1439) lies inside the span.
  bool contains(int minute_of_day) const;
  bool empty() const { return start_minute == end_minute; }
  /// Length in minutes.
  int length() const;
};

struct CapsConfig {
  int max_messages = 2;  ///< per user, across categories, within a rolling period
  int period_days = 7;
};

struct HoldoutConfig {
  double share = 0;  ///< of users in the control group (0 = none; 0.05 is a common choice)
  std::string salt = "replenish-holdout";  ///< mixed into the hash; changing it reshuffles groups
};

struct SegmentsConfig {
  int loyal_min_purchases = 3;       ///< purchase days in a category to be `loyal`
  double high_value_quantile = 0.9;  ///< spend at or above this quantile across users
};

struct PolicyConfig {
  /// Wording WeChat's rules forbid in template messages (coupons, red packets, marketing).
  std::vector<std::string> marketing_words{"优惠券", "红包", "代金券", "折扣",
                                           "促销",   "免费", "抢购",   "限时"};
  /// true: such wording (or a coupon variable) in a wechat_template text is a configuration
  /// error; false: a warning at start-up and in `config check`.
  bool enforce = true;
};

/// What a segment gets: a message template and, optionally, a coupon rule.
struct CampaignRule {
  std::string segment;            ///< new, regular, loyal, at_risk, lapsed, high_value, default
  std::string template_name;      ///< message template
  std::string coupon;             ///< coupon rule name ("" = no coupon)
  std::string fallback_template;  ///< used when no coupon could be issued ("" = template_name)
  std::string path;               ///< key path, for messages
};

/// The follow-up or win-back step of a campaign (template and coupon, no segment).
struct CampaignStep {
  bool enabled = false;
  CampaignRule rule;
};

struct CampaignConfig {
  std::string name;
  std::vector<std::string> categories;  ///< slugs; empty = every periodic category
  std::vector<std::string> channels;    ///< fallback order; empty = the category's / defaults
  std::vector<CampaignRule> rules;      ///< first whose segment the user is in wins
  CampaignStep follow_up;
  CampaignStep win_back;
  std::string path;  ///< key path, "campaigns[0]"
};

struct Config;

/// Reads `plan`, `caps`, `holdout`, `segments`, `policy` and `campaigns` of the root mapping into
/// `cfg` (categories and channels must be read already: campaigns name them). Problems go to the
/// reader's issues with their key paths.
void read_campaign_config(Reader& root, Config& cfg);

/// The segment names a rule may use.
const std::vector<std::string>& segment_names();

/// The campaign used when `campaigns:` is absent: every category, templates replenish /
/// follow_up / win_back, no coupons.
CampaignConfig default_campaign();

}  // namespace replenish::config
