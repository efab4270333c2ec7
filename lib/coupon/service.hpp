// Client of the merchant's coupon service (coupons.service): asks it for one code per reminder.
//
// Request: POST <url>, Content-Type: application/json, signed exactly like the webhook channel
// (notify/signing.hpp; README "Webhook signatures"):
//   Idempotency-Key: <reminder_key>-coupon   the same on every retry: answer it with the same code
//   X-Replenish-Timestamp: <t>
//   X-Replenish-Signature: sha256=<hex HMAC-SHA256(secret, "<t>." + raw body)>
//   body: {"user_id": "u1", "category": "diapers", "rule": "small", "kind": "amount_off",
//          "value": 5, "threshold": 50, "validity_days": 7, "scope": "category",
//          "reminder_key": "rmd_…"}          ("skus": [...] too when the rule's scope is sku)
// Answer: 2xx with {"code": "…", "expires_at": <epoch seconds or ISO-8601>}; expires_at is the
// first instant the code is no longer valid, and may be left out (then the rule's
// validity_days decide). 408, 429 and 5xx (Retry-After honoured), timeouts and connection
// failures are retryable; any other status, a 2xx without a usable code, is permanent.
// A code is 1-64 printable ASCII characters without spaces.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "config/coupons.hpp"
#include "core/clock.hpp"
#include "notify/channel.hpp"
#include "notify/http.hpp"

namespace replenish::coupon {

struct ServiceRequest {
  std::string user_id;
  std::string category;
  std::string reminder_key;
  const config::CouponRule* rule = nullptr;
};

struct ServiceAnswer {
  /// kDelivered: `code` (and `expires_at` when the service gave one) are set; kRetryable or
  /// kPermanent: `outcome.detail` says why.
  notify::Outcome outcome;
  std::string code;
  core::EpochSeconds expires_at = 0;  ///< 0 = not given
};

class ServiceClient {
 public:
  /// `clock` gives the signature timestamps (wall-clock time); it must outlive the client.
  /// Throws std::invalid_argument naming coupons.service.url when the URL does not parse.
  ServiceClient(const config::CouponServiceConfig& config, const core::Clock& clock);

  ServiceAnswer request(const ServiceRequest& request);

  /// The JSON body sent for `request`.
  static std::string body(const ServiceRequest& request);

 private:
  std::string secret_;
  const core::Clock& clock_;
  std::unique_ptr<notify::HttpClientPool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace replenish::coupon
