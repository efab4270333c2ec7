// Locally generated coupon codes: unguessable, and verifiable offline by the shop with the
// shared secret (coupons.secret_file).
//
//   code  = PREFIX "-" R "-" C
//   R     = base32(10 random bytes)  → 16 characters
//   C     = base32(first 5 bytes of HMAC-SHA256(secret, PREFIX "-" R))  → 8 characters
//
// base32 here is RFC 4648's bit order (5 bits per character, most significant first; 10 and 5
// bytes need no padding) with Crockford's alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ: no I, L,
// O or U, so nothing reads as another character. PREFIX is coupons.code_prefix (1-6 of A-Z,
// 0-9). Example: RP-7Y51RQMV5NR4DRFK-BDXXF6TC. Verifying: trim, upper-case, split on "-" into
// exactly three parts, check the prefix and the two parts' lengths and alphabet, recompute C
// and compare in constant time. README "Coupon codes" has a worked example.
#pragma once

#include <string>
#include <string_view>

namespace replenish::coupon {

/// Crockford's base32 alphabet (no I, L, O, U).
inline constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
inline constexpr std::size_t kRandomBytes = 10;  ///< 80 bits → 16 characters
inline constexpr std::size_t kCheckBytes = 5;    ///< 40 bits → 8 characters

/// base32 (RFC 4648 bit order, Crockford alphabet, no padding) of `bytes`.
std::string base32(std::string_view bytes);

/// The check part of a code: base32 of the first 5 bytes of HMAC-SHA256(secret, body), where
/// body is PREFIX "-" R.
std::string check_part(std::string_view secret, std::string_view body);

/// A new code: PREFIX-R-C with R from OpenSSL's RAND_bytes. Throws std::runtime_error when
/// the random generator fails.
std::string generate_code(std::string_view secret, std::string_view prefix);

/// A code from chosen random bytes (tests, the README's worked example).
std::string code_from_random(std::string_view secret, std::string_view prefix,
                             std::string_view random_bytes);

/// Why a code is not valid ("" when it is).
std::string verify_failure(std::string_view secret, std::string_view prefix, std::string_view code);

/// True when `code` (any case, surrounding white space ignored) was made with `secret` and
/// `prefix`.
inline bool verify_code(std::string_view secret, std::string_view prefix, std::string_view code) {
  return verify_failure(secret, prefix, code).empty();
}

/// The code trimmed and upper-cased, as the ledger stores local codes.
std::string normalize_code(std::string_view code);

}  // namespace replenish::coupon
