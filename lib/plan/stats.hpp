// Campaign statistics: what was planned, sent, delivered and bought, per campaign, segment,
// category and channel, and the uplift over the control group with a 95 % confidence interval.
//
// Counts are of reminders due in [since, until). Treatment reminders are those not held out:
//   planned     every reminder (any state)
//   sent        went out (sent or converted), merged ones included: their category was listed
//               in a message
//   merged      of those, listed in another reminder's message
//   delivered   sent and not reported failed by a later receipt
//   failed      dead, or sent and reported failed by a receipt
//   cancelled   superseded by a purchase, opted out, or cancelled by hand
//   pending     planned or sending
//   converted   sent and followed by an order in the category within plan.attribution_days
//   conversion_rate         converted / sent
//   coupon_redemption_rate  redeemed coupons / sent with a coupon
// The control group (holdout.share): `held_out` reminders whose due time came (they "went
// out"), and how many of them converted. Uplift = conversion rate − control conversion rate,
// with Newcombe's hybrid score interval (method 10 of Newcombe 1998, from two Wilson intervals),
// which behaves at small counts and rates near 0 or 1 where the Wald interval does not.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "core/time.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace replenish::plan {

/// Wilson score interval of k successes in n trials at z (1.959964 for 95 %); {0, 0} for n = 0.
std::pair<double, double> wilson_interval(std::int64_t k, std::int64_t n, double z = 1.959963985);

struct Uplift {
  double difference = 0;  ///< p1 − p2
  double low = 0;
  double high = 0;
};

/// Newcombe's hybrid score interval for p1 − p2 = k1/n1 − k2/n2; nullopt when n1 or n2 is 0.
std::optional<Uplift> newcombe_uplift(std::int64_t k1, std::int64_t n1, std::int64_t k2,
                                      std::int64_t n2, double z = 1.959963985);

/// The stats of reminders due in [since, until), as JSON:
/// {"since", "until", "attribution_days", "interval": {...method...}, "total": {group},
///  "by_campaign": [{"key": ..., group}], "by_segment", "by_category", "by_channel"}.
/// A group: planned, sent, merged, delivered, failed, cancelled, pending, converted,
/// conversion_rate, coupons, coupons_redeemed, coupon_redemption_rate (rates null without a
/// denominator), holdout {reminders, converted, conversion_rate}, uplift {difference, low, high}
/// or null.
nlohmann::json stats_view(store::Store& store, core::EpochSeconds since, core::EpochSeconds until,
                          core::EpochSeconds now, int attribution_days);

/// A --since/--until bound: "2024-03-01" (local midnight in `tz`) or a timestamp
/// (parse_timestamp). nullopt with `error` set when neither parses.
std::optional<core::EpochSeconds> parse_bound(const std::string& text, const core::TimeZone& tz,
                                              std::string* error);

/// The stats as text for people (80 columns): a delivery table and an effect table.
std::string format_stats(const nlohmann::json& stats);

}  // namespace replenish::plan
