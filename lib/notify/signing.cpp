#include "notify/signing.hpp"

#include "core/hash.hpp"

namespace replenish::notify {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string digest = core::hmac_sha256(key, data);
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (const char c : digest) {
    const auto b = static_cast<unsigned char>(c);
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xf]);
  }
  return hex;
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text += '.';
  signed_text += body;
  return "sha256=" + hmac_sha256_hex(secret, signed_text);
}

httplib::Headers signed_headers(std::string_view secret, std::int64_t timestamp,
                                const std::string& idempotency_key, std::string_view body) {
  return httplib::Headers{
      {"Idempotency-Key", idempotency_key},
      {"X-Replenish-Timestamp", std::to_string(timestamp)},
      {"X-Replenish-Signature", webhook_signature(secret, timestamp, body)},
      {"User-Agent", "replenish/" REPLENISH_VERSION},
  };
}

}  // namespace replenish::notify
