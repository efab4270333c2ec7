// Pack sizes ("50 OZ", "4/6 OZ", "2 x 400g", "3公斤", "24 CT") as an amount in a base unit per
// dimension, so that purchases of one category can be compared by how much was bought.
//
// Decisions, for US grocery data where "OZ" is written for solids and liquids alike:
//  - "OZ" (and "OUNCE", "Z") is an ounce of mass, 28.349523125 g; only "FL OZ" is volume,
//    29.5735295625 ml. A category mixes bottles and boxes rarely, and then this keeps one
//    dimension per spelling.
//  - US units: LB 453.59237 g; GAL 3785.411784 ml, QT 946.352946 ml, PT 473.176473 ml,
//    CUP 236.5882365 ml. Chinese: 斤 500 g, 公斤/千克 1000 g, 克 g, 升 l, 毫升 ml.
//  - Counts (CT, COUNT, PK, PACK, PC, EA, LOAD, ROLL, SHEET, POD, 片, 个, 包...) are pieces;
//    DZ/DOZEN is 12 pieces.
//  - Multipacks are multiplied out: "4/6 OZ", "2 x 400g", "10-1OZ", "12PK/12OZ", "12OZ/12PK",
//    "6 PK 8 OZ" (a pack count on either side of an amount). "A/B" with A < B, A and B coprime
//    and B one of 2, 3, 4, 8, 16 is a fraction instead ("1/2 GAL", "3/4 LTR"); "8 1/2 OZ" is a
//    mixed number.
//  - "A-B" with A < B <= 2A is a range ("48-54 CT", a diaper pack's count by size): its middle.
//  - Two different measures ("10 CT 1.5 OZ", "30CT/30GAL", "2LB(32 OZ)"): the first one.
//  - Length and area ("75 FT", "83.5 SQ FT", "18 IN") are not amounts: skipped. A leading
//    number of six or more digits is an item code, not an amount ("253419 8OZ" is 8 oz).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace replenish::ingest {

/// Base unit of each dimension.
enum class Unit : std::uint8_t {
  kGram,        ///< mass
  kMillilitre,  ///< volume
  kPiece,       ///< count
};

/// "g", "ml" or "pc".
std::string_view unit_name(Unit unit);

struct PackSize {
  double value = 0;  ///< > 0, in `unit`
  Unit unit = Unit::kPiece;
};

/// Parses a pack-size field ("50 OZ", "1.5 LT", "4/6 OZ", "3公斤", "L   16 OZ", "GAL"). A bare
/// unit of mass or volume means one of it ("PINT", "LB"). Unparseable text gives nullopt; never
/// throws.
std::optional<PackSize> parse_pack_size(std::string_view text);

/// Finds the first pack size inside free text such as a product name ("Free & Clear Liquid
/// Laundry Detergent, 46 oz, 24 loads" gives 46 oz). Stricter than parse_pack_size(): a number
/// glued to a preceding letter ("B12") is not an amount, bare units count for nothing, and
/// truncated spellings ("16.9Z") are not recognised.
std::optional<PackSize> find_pack_size_in_text(std::string_view text);

}  // namespace replenish::ingest
