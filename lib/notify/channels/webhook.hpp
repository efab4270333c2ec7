// `webhook` channel: POSTs each message as JSON to a URL, signed with HMAC-SHA256.
//
//   channels:
//     shop_webhook:
//       type: webhook
//       url: https://shop.example/hooks/replenish   # http or https (required)
//       secret_file: /etc/replenish/webhook.secret  # or `secret:`; one is required, >= 16 bytes
//       timeout_ms: 5000       # connect, and each wait to send or receive (default 5000)
//       verify_tls: true       # https: verify the certificate (default true)
//       ca_file: /etc/ssl/shop-ca.pem                # https: CA bundle instead of the system's
//       headers:               # extra request headers
//         X-Shop: "42"
//       concurrency: 8         # at most 8 requests in flight (every type; notify/limits.hpp)
//       rate_per_second: 50    # at most 50 requests a second (every type; notify/limits.hpp)
//
// Request:
//   POST <path> with Content-Type: application/json, User-Agent: replenish/<version>,
//   Idempotency-Key: <key>               the reminder's stable key: the same on every retry
//   X-Replenish-Timestamp: <t>           Unix seconds when this attempt was signed
//   X-Replenish-Signature: sha256=<hex>  hex(HMAC-SHA256(secret, "<t>" + "." + <raw body>))
//   body: {"id": key, "reminder_id": 42, "user_id": "…", "category": "…", "kind": "replenish",
//          "due_at": "2026-11-23T02:00:00Z", "text": "…", "vars": {…}, "openid": "…"}
//   ("openid" only when known; "vars" holds the template variables the text was rendered from).
//
// How a receiver verifies a request:
//   1. Read the raw body bytes exactly as received (before any JSON parsing or re-encoding).
//   2. Reject the request unless X-Replenish-Timestamp is an integer t with |now - t| <= 300:
//      a captured request cannot be replayed more than 5 minutes later.
//   3. Compute hex(HMAC-SHA256(secret, t + "." + body)) in lower case and compare it with the
//      value after "sha256=" using a constant-time comparison (CRYPTO_memcmp,
//      hmac.compare_digest, crypto.timingSafeEqual); reject on mismatch.
//   4. Deduplicate on Idempotency-Key (keep keys for at least the retry horizon): delivery is
//      at least once, so a retry after a lost response carries the same key, with a new
//      timestamp and signature.
//   Answer 2xx when accepted, optionally with a JSON body {"id": "<your message id>"}; 408, 429
//   or 5xx (with Retry-After: <seconds>) to be retried later; any other status to drop it.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "notify/channel.hpp"
#include "notify/http.hpp"
#include "notify/signing.hpp"

namespace replenish::notify {

class WebhookChannel final : public Channel {
 public:
  static constexpr const char* kType = "webhook";

  struct Options {
    HttpUrl url;
    std::string secret;  ///< HMAC key (never logged)
    std::chrono::milliseconds timeout{5000};
    bool verify_tls = true;
    std::string ca_file;
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers
  };

  /// `clock` gives the signature timestamps (wall-clock time); it must outlive the channel.
  WebhookChannel(std::string name, Options options, const core::Clock& clock);

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const Message& message) override;

  /// The JSON body sent for `message`.
  static std::string body(const Message& message);

 private:
  std::string name_;
  std::string type_ = kType;
  std::string secret_;
  std::vector<std::pair<std::string, std::string>> headers_;
  const core::Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  HttpClientPool pool_;
};

/// ChannelFactory for `type: webhook`.
std::unique_ptr<Channel> make_webhook_channel(const std::string& name, config::Reader& options,
                                              const ChannelContext& context);

}  // namespace replenish::notify
