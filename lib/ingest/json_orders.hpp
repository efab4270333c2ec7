// Orders as JSON: the body of POST /v1/orders, and the bridge from one JSON object to the shared
// field rules (also used for JSON Lines files).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "ingest/fields.hpp"

namespace replenish::ingest {

/// One rejected order of a batch.
struct BatchError {
  std::int64_t index = -1;  ///< 0-based position in the batch; -1 when the body itself is wrong
  std::string reason;       ///< "orders[3].quantity: must be a positive number, got -1"
};

struct JsonOrders {
  std::vector<core::OrderLine> lines;  ///< the valid orders, in body order
  std::vector<BatchError> errors;
  std::vector<std::string> unknown_keys;  ///< keys that were ignored, each once, first seen first
};

/// Parses a request body: one order object, an array of order objects, or {"orders": [...]}.
/// Field rules are those of validate_order(); `line`, `quantity` and `unit_price` may be JSON
/// numbers or numeric strings, `ordered_at` a string or epoch seconds. A body of another shape
/// gives a single error (index -1) that explains the expected shapes. Never throws on bad input.
/// Reasons of a single object name the field alone ("quantity: ..."); those of a list are
/// prefixed with the position ("orders[3].quantity: ...").
JsonOrders parse_orders_json(std::string_view body);

/// Why `text` is not valid JSON, from the parser: "line 1, column 9: syntax error while parsing
/// value - invalid literal; last read: 'x'" (made printable). Empty when it is valid.
std::string json_syntax_error(std::string_view text);

/// Texts that a RecordFields filled from JSON points into; keep it alive while they are used.
struct JsonFieldStorage {
  std::array<std::string, kFieldCount> texts;
};

/// Fills `fields` from one JSON order object (keys matched like CSV headers). Keys that name no
/// field go to `on_unknown` when it is set. Returns the reason when `object` is not an object or
/// names a field twice.
std::optional<std::string> fields_from_json(
    const nlohmann::json& object, RecordFields& fields, JsonFieldStorage& storage,
    const std::function<void(const std::string&)>& on_unknown);

}  // namespace replenish::ingest
