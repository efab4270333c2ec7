#include "coupon/codes.hpp"

#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>

#include "core/hash.hpp"

namespace replenish::coupon {

std::string base32(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

std::string check_part(std::string_view secret, std::string_view body) {
  return base32(core::hmac_sha256(secret, body).substr(0, kCheckBytes));
}

std::string code_from_random(std::string_view secret, std::string_view prefix,
                             std::string_view random_bytes) {
  std::string body(prefix);
  body += '-';
  body += base32(random_bytes);
  return body + '-' + check_part(secret, body);
}

std::string generate_code(std::string_view secret, std::string_view prefix) {
  unsigned char random[kRandomBytes];
  if (RAND_bytes(random, sizeof random) != 1) {
    throw std::runtime_error("RAND_bytes failed: no randomness for a coupon code");
  }
  return code_from_random(secret, prefix,
                          std::string_view(reinterpret_cast<const char*>(random), sizeof random));
}

std::string normalize_code(std::string_view code) {
  while (!code.empty() && std::isspace(static_cast<unsigned char>(code.front()))) {
    code.remove_prefix(1);
  }
  while (!code.empty() && std::isspace(static_cast<unsigned char>(code.back()))) {
    code.remove_suffix(1);
  }
  std::string out(code);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string verify_failure(std::string_view secret, std::string_view prefix,
                           std::string_view code) {
  const std::string text = normalize_code(code);
  const auto first = text.find('-');
  const auto last = text.rfind('-');
  if (first == std::string::npos || first == last) return "expected PREFIX-RANDOM-CHECK";
  const std::string_view p = std::string_view(text).substr(0, first);
  const std::string_view random = std::string_view(text).substr(first + 1, last - first - 1);
  const std::string_view check = std::string_view(text).substr(last + 1);
  if (p != normalize_code(prefix)) return "the prefix is not " + normalize_code(prefix);
  const auto in_alphabet = [](std::string_view part) {
    return part.find_first_not_of(kAlphabet) == std::string_view::npos;
  };
  if (random.size() != (kRandomBytes * 8 + 4) / 5 || !in_alphabet(random)) {
    return "the random part is not 16 base32 characters";
  }
  if (check.size() != (kCheckBytes * 8 + 4) / 5 || !in_alphabet(check)) {
    return "the check part is not 8 base32 characters";
  }
  const std::string expected = check_part(secret, std::string_view(text).substr(0, last));
  if (!core::constant_time_equal(expected, check)) return "the check does not match";
  return {};
}

}  // namespace replenish::coupon
