// coupon::Issuer: gives a reminder its coupon right before the message is rendered.
//
// Local rules make a code here (codes.hpp) and record it with the ledger's checks in one
// transaction. Service rules run the same checks first, ask the merchant's coupon service
// (service.hpp) and record its answer afterwards (re-checking, so that two daemons cannot
// overspend a budget; a code the service gave that then loses the race is not used).
// A reminder that already has a coupon gets the same one again (a retried send reuses its code).
//
// The message's template variables (README "Coupons"):
//   coupon_code     the code
//   coupon_value    value_text: 满50减5元 / 5元 (amount_off with / without a threshold),
//                   9折 / 8.5折 (percent_off 10 / 15), 满50享9折 (percent_off with a threshold)
//   coupon_expiry   the last merchant-local day it is valid, YYYY-MM-DD
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "coupon/service.hpp"
#include "store/store.hpp"

namespace replenish::coupon {

struct IssueRequest {
  std::int64_t reminder_id = 0;
  std::string reminder_key;
  std::string user_id;
  std::string category;
};

struct Coupon {
  std::string code;
  std::string rule;
  std::string value_text;             ///< "满50减5元"
  core::EpochSeconds expires_at = 0;  ///< first instant it is no longer valid
  std::string expiry_date;            ///< last valid merchant-local day, "2024-03-07"

  /// {"coupon_code", "coupon_value", "coupon_expiry"} for the message template.
  nlohmann::json template_vars() const;
};

struct IssueResult {
  enum class Status {
    kIssued,
    kReused,
    kBudgetExhausted,
    kLiveCouponExists,
    kRetryableError,
    kPermanentError
  };
  Status status = Status::kPermanentError;
  Coupon coupon;  ///< kIssued, kReused; kLiveCouponExists: the user's live coupon
  std::string detail;
  std::optional<std::int64_t> retry_after_seconds;  ///< kRetryableError: the service's hint

  /// True when `coupon` goes into this reminder's message (issued or reused).
  bool has_coupon() const { return status == Status::kIssued || status == Status::kReused; }
};

const char* to_string(IssueResult::Status status);

/// The text a message shows for a rule's value (see the top of this file).
std::string value_text(const config::CouponRule& rule);

class Issuer {
 public:
  /// `wall_clock` signs service requests (pass the real clock even on simulated time); it must
  /// outlive the issuer. Throws std::invalid_argument when coupons.service.url does not parse.
  Issuer(std::shared_ptr<const config::Config> config, store::Store& store,
         const core::Clock& wall_clock);

  /// Gives the reminder a coupon of `rule_name`, at `now`; [day_start, day_end) is the
  /// merchant-local day whose budget_per_day applies. Never throws for an expected outcome.
  IssueResult issue(const std::string& rule_name, const IssueRequest& request,
                    core::EpochSeconds now, core::EpochSeconds day_start,
                    core::EpochSeconds day_end);

 private:
  Coupon to_coupon(const store::CouponRecord& record) const;

  std::shared_ptr<const config::Config> config_;
  store::Store& store_;
  core::TimeZone tz_;
  std::unique_ptr<ServiceClient> service_;
};

}  // namespace replenish::coupon
