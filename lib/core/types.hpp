// Value types shared by every module: orders, purchases, predictions, reminders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace replenish::core {

/// UTC seconds since the Unix epoch: the only time representation in the store.
using EpochSeconds = std::int64_t;

constexpr EpochSeconds kSecondsPerDay = 86400;

/// One order line as it arrives (HTTP, CSV, JSONL). Identity is (order_id, line).
struct OrderLine {
  std::string order_id;
  std::int64_t line = 0;
  std::string user_id;
  std::string sku;
  std::string category;     ///< raw merchant category
  std::string subcategory;  ///< raw subcategory or product name (optional)
  std::string pack_size;    ///< raw text such as "50 OZ" (optional)
  double quantity = 0;
  std::optional<double> unit_price;
  EpochSeconds ordered_at = 0;
  std::string coupon_code;  ///< coupon redeemed on this line (optional)
};

/// One purchase of a periodic category: all lines of a user and category on one local day.
struct Purchase {
  EpochSeconds at = 0;  ///< time of the first line of that day
  double amount = 0;    ///< summed quantity x parsed pack size (or quantity alone)
};

/// What the model says about one (user, category) pair.
struct Prediction {
  EpochSeconds next_at = 0;  ///< predicted next-need time
  EpochSeconds lo = 0;       ///< lower bound of the prediction interval
  EpochSeconds hi = 0;       ///< upper bound of the prediction interval
  double cycle_days = 0;     ///< expected days one unit-amount purchase lasts
  int intervals = 0;         ///< number of the user's own intervals behind it
  bool from_prior = false;   ///< true when the user's history had no interval
  bool lapsed = false;       ///< far past the upper bound: probably gone
};

/// Reminder states; see DESIGN.md "Reminder states".
enum class ReminderState { kPlanned, kSending, kSent, kConverted, kCancelled, kDead, kHeldOut };

const char* to_string(ReminderState state);
std::optional<ReminderState> reminder_state_from_string(const std::string& text);

/// A reminder row of the outbox.
struct Reminder {
  std::int64_t id = 0;
  std::string key;  ///< stable idempotency key, sent to gateways
  std::string user_id;
  std::string category;            ///< periodic category slug
  std::string kind = "replenish";  ///< replenish (the first), follow_up or win_back
  EpochSeconds based_on = 0;       ///< time of the purchase the prediction is based on
  EpochSeconds due_at = 0;
  ReminderState state = ReminderState::kPlanned;
  std::string channel;  ///< channel instance that sent (or will send) it
  std::string payload;  ///< rendered message, JSON
  int attempts = 0;
  EpochSeconds next_attempt_at = 0;
  EpochSeconds lease_until = 0;
  EpochSeconds created_at = 0;
  EpochSeconds updated_at = 0;
  std::string last_error;
  std::string provider_id;  ///< id the gateway gave the delivered message
  std::string receipt;      ///< delivery receipt reported later by the gateway, if any
  // Campaigns (schemas/0005_campaigns.sql).
  std::string campaign;           ///< campaign name
  std::string segment;            ///< segment whose rule chose the template and coupon
  std::string template_name;      ///< message template (per-channel variants resolved at send)
  std::string coupon_rule;        ///< coupon rule to issue from at send time ("" = none)
  bool held_out = false;          ///< control group: reaches 'held_out' instead of being sent
  std::int64_t merged_into = 0;   ///< the reminder whose message listed this one (0 = none)
  std::string coupon_code;        ///< the coupon the message carried
  std::string coupon_note;        ///< why the message carried no coupon although a rule asked
  EpochSeconds sent_at = 0;       ///< when it went out (0 = not sent)
  EpochSeconds converted_at = 0;  ///< first order in the category in the attribution window
  bool coupon_redeemed = false;   ///< that order (or a coupon event) used the coupon
};

}  // namespace replenish::core
