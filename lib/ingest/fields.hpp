// The field rules shared by every way orders arrive (CSV, JSON Lines, JSON over HTTP): the
// fields of one record go in, one validated core::OrderLine or one reason comes out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.hpp"

namespace replenish::ingest {

/// The fields of an order line. The first kRequiredFieldCount are required.
enum class Field : std::uint8_t {
  kOrderId,
  kLine,
  kUserId,
  kSku,
  kCategory,
  kQuantity,
  kOrderedAt,
  kSubcategory,
  kPackSize,
  kUnitPrice,
  kCouponCode,
};
inline constexpr std::size_t kFieldCount = 11;
inline constexpr std::size_t kRequiredFieldCount = 7;

/// Longest accepted text of one field, in bytes.
inline constexpr std::size_t kMaxFieldBytes = 65536;

/// "order_id", "line", ... as in CSV headers and JSON keys.
std::string_view field_name(Field field);
constexpr bool is_required(Field field) {
  return static_cast<std::size_t>(field) < kRequiredFieldCount;
}
/// The field a CSV column or JSON key names (ASCII case-insensitive, surrounding blanks ignored).
std::optional<Field> field_from_name(std::string_view name);

/// One field of one record as it arrived, before any check.
struct FieldValue {
  enum class Kind : std::uint8_t {
    kAbsent,  ///< not given (or JSON null)
    kText,    ///< text; `text` is the raw value, surrounding blanks included
    kNumber,  ///< a JSON number; `text` is how it was written, for messages
    kOther,   ///< any other JSON value; `text` describes it ("true", "an object")
  };
  Kind kind = Kind::kAbsent;
  std::string_view text;
  double number = 0;                    ///< kNumber
  std::optional<std::int64_t> integer;  ///< kNumber written as an integer that fits
};

/// The fields of one record, indexed by Field.
using RecordFields = std::array<FieldValue, kFieldCount>;

/// Checks one record and fills every member of `out`. Returns nullopt when the record is valid,
/// else the first problem (in Field order) as "<field>: <problem>", e.g.
/// "quantity: must be a positive number, got '-2'"; `out` is then unspecified.
///
/// Rules: texts are trimmed of surrounding blanks and must be valid UTF-8 without NUL bytes and at
/// most kMaxFieldBytes long; an empty text counts as absent. order_id, user_id and sku may also be
/// JSON integers. line is a positive integer; quantity a finite number > 0; unit_price (optional)
/// a finite number >= 0; ordered_at an ISO-8601 date-time with UTC offset or epoch seconds (text
/// or JSON number, fractions dropped) in [core::kMinTime, core::kMaxTime).
std::optional<std::string> validate_order(const RecordFields& fields, core::OrderLine& out);

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// Length of the longest well-formed UTF-8 prefix of `text`: where the first bad byte sequence
/// starts, or text.size() when there is none.
std::size_t valid_utf8_prefix(std::string_view text);

/// `text` without surrounding spaces, tabs, carriage returns and line feeds.
std::string_view trim_blanks(std::string_view text);

/// `text` made safe to show in a message: invalid UTF-8 bytes and control characters become '?',
/// and text past `max_bytes` is cut at a character boundary and marked with "...".
std::string printable(std::string_view text, std::size_t max_bytes = 80);

}  // namespace replenish::ingest
