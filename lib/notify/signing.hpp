// Request signing shared by everything that POSTs to a merchant's endpoint (the webhook channel,
// the coupon service client): HMAC-SHA256 over "<timestamp>.<raw body>" with a shared secret.
// How a receiver verifies it: README, "Webhook signatures".
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace replenish::notify {

/// Lower-case hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// The X-Replenish-Signature value: "sha256=" + hmac_sha256_hex(secret, "<timestamp>.<body>").
std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body);

/// The headers of a signed request: Idempotency-Key (`idempotency_key`, the same on every
/// retry), X-Replenish-Timestamp (`timestamp`, Unix seconds), X-Replenish-Signature and
/// User-Agent: replenish/<version>.
httplib::Headers signed_headers(std::string_view secret, std::int64_t timestamp,
                                const std::string& idempotency_key, std::string_view body);

}  // namespace replenish::notify
