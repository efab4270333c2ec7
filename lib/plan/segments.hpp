// Segments of a user in a periodic category, the control group, and the campaign rule they
// select. Pure functions: the engine feeds them what the store holds.
//
// Lifecycle segments (exactly one per user and category, first that holds):
//   lapsed    the model's lapse flag: far past the prediction interval (see docs/model.md)
//   at_risk   now past the interval's upper bound, not lapsed
//   new       one purchase day in the category
//   loyal     at least segments.loyal_min_purchases purchase days. Refunds cannot be recorded
//             yet (ingest accepts only positive quantities), so "with no refund" holds for all.
//   regular   everyone else
// And, across categories:
//   high_value  the user's spend (quantity x unit_price over all stored lines with a price) is
//               at least the threshold stored at the last prior refresh: the spend at
//               segments.high_value_quantile among the users with priced lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/types.hpp"

namespace replenish::plan {

/// What segments are computed from.
struct SegmentInput {
  int purchases = 0;          ///< purchase days in the category
  bool lapsed = false;        ///< the model's lapse flag
  core::EpochSeconds hi = 0;  ///< upper bound of the prediction interval
  core::EpochSeconds now = 0;
  double spend = 0;                        ///< the user's total spend
  std::optional<double> high_value_spend;  ///< the stored threshold (none before a refresh)
};

struct Segments {
  std::string lifecycle;  ///< lapsed, at_risk, new, loyal or regular
  bool high_value = false;
  bool has(const std::string& segment) const;  ///< `default` always holds
  /// "loyal", "loyal+high_value".
  std::string to_string() const;
};

Segments segments_of(const SegmentInput& input, const config::SegmentsConfig& config);

/// The spend threshold of the high-value segment: the smallest spend among the top
/// ceil((1 - quantile) x n) spenders (at least one). nullopt when no user has a priced line.
std::optional<double> high_value_threshold(std::vector<double> spends, double quantile);

/// The stored name of that threshold.
inline constexpr const char* kHighValueThreshold = "high_value_spend";

/// True when `user_id` is in the control group: the first 64 bits of SHA-256(salt 0x1f user_id),
/// read as a fraction of 2^64, fall below `share`. Deterministic: the same user, salt and share
/// always give the same answer, across restarts and machines.
bool in_holdout(const std::string& salt, const std::string& user_id, double share);

/// The campaign a category belongs to: the first that lists it or lists no category; nullptr
/// when none does.
const config::CampaignConfig* campaign_for(const config::Config& config,
                                           const std::string& category);
const config::CampaignConfig* campaign_named(const config::Config& config, const std::string& name);

/// The first rule whose segment the user is in (`default` matches everyone), and the segment
/// recorded for it: the rule's, or for a `default` rule the user's lifecycle segment. nullptr
/// when no rule matches (a campaign without a default rule; config checks refuse that).
struct RuleChoice {
  const config::CampaignRule* rule = nullptr;
  std::string segment;
};
RuleChoice choose_rule(const config::CampaignConfig& campaign, const Segments& segments);

}  // namespace replenish::plan
