#include <doctest/doctest.h>

#include <cctype>
#include <set>
#include <string>

#include "coupon/codes.hpp"

using namespace replenish;

namespace {

constexpr const char* kSecret = "kitchen-shop-coupon-key-2024";

}  // namespace

TEST_CASE("coupon: base32 uses RFC 4648 bit order with Crockford's alphabet") {
  CHECK(coupon::base32(std::string(10, '\0')) == "0000000000000000");
  CHECK(coupon::base32(std::string(5, '\xff')) == "ZZZZZZZZ");
  CHECK(coupon::base32("fooba") == "CSQPYRK1");  // RFC 4648 "MZXW6YTB" mapped to Crockford
  CHECK(coupon::base32("") == "");
}

TEST_CASE("coupon: the README's worked example (computed independently with Python's hmac)") {
  const std::string random("\x3f\x8a\x1c\x5e\x9b\x2d\x70\x46\xe1\xf3", 10);
  const std::string code = coupon::code_from_random(kSecret, "RP", random);
  CHECK(code == "RP-7Y51RQMV5NR4DRFK-BDXXF6TC");
  CHECK(coupon::check_part(kSecret, "RP-7Y51RQMV5NR4DRFK") == "BDXXF6TC");
  CHECK(coupon::verify_code(kSecret, "RP", code));
}

TEST_CASE("coupon: generated codes have the documented shape and verify") {
  const std::string code = coupon::generate_code(kSecret, "RP");
  REQUIRE(code.size() == 2 + 1 + 16 + 1 + 8);
  CHECK(code.substr(0, 3) == "RP-");
  CHECK(code[19] == '-');
  for (std::size_t i = 3; i < code.size(); ++i) {
    if (i == 19) continue;
    CHECK(coupon::kAlphabet.find(code[i]) != std::string_view::npos);
  }
  for (const char c : std::string("ILOU")) CHECK(code.find(c, 3) == std::string::npos);
  CHECK(coupon::verify_code(kSecret, "RP", code));
  CHECK(coupon::verify_failure(kSecret, "RP", code).empty());
}

TEST_CASE("coupon: verify is case-insensitive and ignores surrounding white space") {
  const std::string code = "RP-7Y51RQMV5NR4DRFK-BDXXF6TC";
  CHECK(coupon::verify_code(kSecret, "RP", "rp-7y51rqmv5nr4drfk-bdxxf6tc"));
  CHECK(coupon::verify_code(kSecret, "rp", "Rp-7Y51rqmv5NR4DRFK-bdXXF6TC"));
  CHECK(coupon::verify_code(kSecret, "RP", "  " + code + "\n"));
  CHECK(coupon::normalize_code(" rp-7y51rqmv5nr4drfk-bdxxf6tc ") == code);
}

TEST_CASE("coupon: tampered codes, other secrets and other prefixes fail") {
  const std::string code = "RP-7Y51RQMV5NR4DRFK-BDXXF6TC";
  // Every single-character change of the random or check part is caught.
  int caught = 0, tried = 0;
  for (std::size_t i = 3; i < code.size(); ++i) {
    if (code[i] == '-') continue;
    std::string t = code;
    t[i] = t[i] == 'Z' ? 'Y' : 'Z';
    ++tried;
    caught += coupon::verify_code(kSecret, "RP", t) ? 0 : 1;
  }
  CHECK(tried == 24);
  CHECK(caught == 24);
  CHECK(coupon::verify_failure(kSecret, "RP", "RP-7Y51RQMV5NR4DRFK-BDXXF6TD") ==
        "the check does not match");
  CHECK(coupon::verify_failure("another-secret-of-the-shop", "RP", code) ==
        "the check does not match");
  CHECK(coupon::verify_failure(kSecret, "XX", code) == "the prefix is not XX");
  CHECK(coupon::verify_failure(kSecret, "RP", "RP-7Y51RQMV5NR4DRF-BDXXF6TC") ==
        "the random part is not 16 base32 characters");
  CHECK(coupon::verify_failure(kSecret, "RP", "RP-7Y51RQMV5NR4DRFO-BDXXF6TC") ==
        "the random part is not 16 base32 characters");  // O is not in the alphabet
  CHECK(coupon::verify_failure(kSecret, "RP", "RP-7Y51RQMV5NR4DRFK-BDXXF6T") ==
        "the check part is not 8 base32 characters");
  CHECK(coupon::verify_failure(kSecret, "RP", "RP7Y51RQMV5NR4DRFKBDXXF6TC") ==
        "expected PREFIX-RANDOM-CHECK");
  CHECK_FALSE(coupon::verify_code(kSecret, "RP", ""));
  CHECK_FALSE(coupon::verify_code(kSecret, "RP", "RP-7Y51-RQMV5NR4DRFK-BDXXF6TC"));
}

TEST_CASE("coupon: 10,000 generated codes are distinct and all verify") {
  std::set<std::string> codes;
  std::set<std::string> random_parts;
  int valid = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto code = coupon::generate_code(kSecret, "RP");
    codes.insert(code);
    random_parts.insert(code.substr(3, 16));
    valid += coupon::verify_code(kSecret, "RP", code) ? 1 : 0;
  }
  CHECK(codes.size() == 10000);
  CHECK(random_parts.size() == 10000);
  CHECK(valid == 10000);
}
