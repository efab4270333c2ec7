#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ingest/pack_size.hpp"

using replenish::ingest::find_pack_size_in_text;
using replenish::ingest::PackSize;
using replenish::ingest::parse_pack_size;
using replenish::ingest::Unit;

namespace {

constexpr double kOz = 28.349523125;
constexpr double kFlOz = 29.5735295625;
constexpr double kLb = 453.59237;
constexpr double kGal = 3785.411784;

struct Case {
  const char* text;
  double value;  // 0 = not parseable
  Unit unit;
};

void check_table(const std::vector<Case>& cases, bool in_text) {
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const auto got = in_text ? find_pack_size_in_text(c.text) : parse_pack_size(c.text);
    if (c.value == 0) {
      CHECK_FALSE(got.has_value());
      continue;
    }
    REQUIRE(got.has_value());
    CHECK(got->value == doctest::Approx(c.value).epsilon(1e-12));
    CHECK(got->unit == c.unit);
  }
}

}  // namespace

TEST_CASE("ingest: pack sizes from the pack_size field") {
  const Unit g = Unit::kGram, ml = Unit::kMillilitre, pc = Unit::kPiece;
  check_table(
      {
          // the brief's examples
          {"50 OZ", 50 * kOz, g},
          {"1.5 LT", 1500, ml},
          {"1 GA", kGal, ml},
          {"1 GAL", kGal, ml},
          {"24 CT", 24, pc},
          {"12 PK", 12, pc},
          {"2 x 400g", 800, g},
          {"4/6 OZ", 24 * kOz, g},
          {"3公斤", 3000, g},
          {"500克", 500, g},
          {"64片", 64, pc},
          {"2L", 2000, ml},
          {"750ml", 750, ml},
          {"1 LB", kLb, g},
          {"10 CT 1.5 OZ", 10, pc},
          // spellings seen in completejourney
          {"16OZ", 16 * kOz, g},
          {"2 LTR", 2000, ml},
          {"1 DZ", 12, pc},
          {"DZ", 12, pc},
          {"PINT", 473.176473, ml},
          {"GAL", kGal, ml},
          {"1/2 GAL", kGal / 2, ml},
          {"3/4 LTR", 750, ml},
          {"3/4 OZ", 0.75 * kOz, g},
          {"8 1/2 OZ", 8.5 * kOz, g},
          {"L16 5/8 OZ", 16.625 * kOz, g},
          {"L      8OZ", 8 * kOz, g},
          {".75 OZ", 0.75 * kOz, g},
          {"10. OZ", 10 * kOz, g},
          {"1.25 OZ.", 1.25 * kOz, g},
          {"13 FL OZ", 13 * kFlOz, ml},
          {".50 FL OZ", 0.5 * kFlOz, ml},
          {"10/6.75 OZ", 67.5 * kOz, g},
          {"6/4 OZ", 24 * kOz, g},
          {"4/187 ML", 748, ml},
          {"2/20CT", 40, pc},
          {"12PK/12OZ", 144 * kOz, g},
          {"12OZ/12PK", 144 * kOz, g},
          {"4 PK/4 OZ", 16 * kOz, g},
          {"6 PK 8 OZ", 48 * kOz, g},
          {"3PK/100 CT", 300, pc},
          {"160CT 3 PK", 480, pc},
          {"12PK/16.9Z", 12 * 16.9 * kOz, g},
          {"4PK/10.75O", 43 * kOz, g},
          {"10-1OZ", 10 * kOz, g},
          {"2 - 7.5 OZ", 15 * kOz, g},
          {"48-54 CT", 51, pc},
          {"30CT/30GAL", 30, pc},
          {"2LB(32 OZ)", 2 * kLb, g},
          {"(600) 4LB", 4 * kLb, g},
          {"253419 8OZ", 8 * kOz, g},
          {"2T-3T/44CT", 44, pc},
          {"EACH 56 CT", 56, pc},
          {"32 LOAD", 32, pc},
          {"1 GALLON", kGal, ml},
          {"3 LBS", 3 * kLb, g},
          {"45 GRAM", 45, g},
          {"500g×2", 1000, g},
          {"2袋×500g", 1000, g},
          {"1.5升", 1500, ml},
          {"2斤", 1000, g},
          {"12入", 12, pc},
          // not amounts
          {"", 0, pc},
          {"CTN", 0, pc},
          {"PK", 0, pc},
          {"LARGE", 0, pc},
          {"83.5 SQ FT", 0, pc},
          {"75 FT", 0, pc},
          {"18 INCH", 0, pc},
          {"2X22.2 YD", 0, pc},
          {"974246  PK", 0, pc},
          {"13 GOING O", 0, pc},
          {"0 OZ", 0, pc},
          {"1 KIT", 0, pc},
      },
      false);
}

TEST_CASE("ingest: pack sizes inside product names") {
  const Unit g = Unit::kGram, ml = Unit::kMillilitre, pc = Unit::kPiece;
  check_table(
      {
          {"ColorGuard HE Turbo Clean Liquid Laundry Detergent, 92 oz, 48 loads Laundry", 92 * kOz,
           g},
          {"Free & Clear Liquid Detergent 46 oz, 24 loads", 46 * kOz, g},
          {"Sensitive Baby Wipes 72 count", 72, pc},
          {"Ultra Soft Bath Tissue, 24 Rolls", 24, pc},
          {"Spring Water 24 x 16.9 fl oz", 24 * 16.9 * kFlOz, ml},
          {"Whole Bean Coffee 1.5 lb", 1.5 * kLb, g},
          {"2X Ultra Liquid Laundry Detergent for Sensitive Skin, 50 Loads", 50, pc},
          {"3-in-1 Laundry Detergent Pods, Fragrance Free", 0, pc},
          {"2 In 1 Laundry Detergent", 0, pc},
          {"Vitamin B12 Gummies", 0, pc},
          {"100% Pure Grade A Maple Syrup", 0, pc},
          {"Lemon Dish Soap", 0, pc},
          {"Half Gallon Milk", 0, pc},
      },
      true);
}

TEST_CASE("ingest: pack size never throws on odd input") {
  const std::vector<std::string> odd{
      std::string(1000, '9'),
      "1e999 OZ",
      "///",
      "1/0 OZ",
      "0/0 CT",
      "\xFF\xFE OZ",
      "x x x 2",
      std::string(200, '/') + "1 OZ",
      "9999999999999999999999 CT",
      "\xE5\x85",
      "1-",
  };
  for (const auto& text : odd) {
    CAPTURE(text);
    CHECK_NOTHROW(parse_pack_size(text));
    CHECK_NOTHROW(find_pack_size_in_text(text));
  }
  CHECK(parse_pack_size("9999999999999999999999 CT") == std::nullopt);  // an item code
}
