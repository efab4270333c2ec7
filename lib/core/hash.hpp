// Hashing helpers (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace replenish::core {

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Constant-time equality of two byte strings (length leaks, content does not).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace replenish::core
