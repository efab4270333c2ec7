// Hashing helpers (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace replenish::core {

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Constant-time equality of two byte strings (length leaks, content does not).
bool constant_time_equal(std::string_view a, std::string_view b);

/// HMAC-SHA256(key, data): the 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace replenish::core
