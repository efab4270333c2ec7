#include "ingest/json_orders.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace replenish::ingest {
namespace {

using nlohmann::json;

constexpr std::string_view kExpectedShape =
    "expected an order object, an array of order objects, or {\"orders\": [...]}";

/// "an object", "an array", "true", "null"... for messages.
std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::null:
      return "null";
    default:
      return value.dump();
  }
}

/// The parser's reason without its exception id: "line 1, column 9: syntax error while parsing
/// value - invalid literal; last read: 'x'", "number overflow parsing '1e400'" (made printable).
std::string exception_reason(const json::exception& e) {
  std::string_view what = e.what();
  const auto at = what.find("parse error at ");
  if (at != std::string_view::npos) {
    what.remove_prefix(at + std::string_view("parse error at ").size());
  } else if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string_view::npos) {
    what.remove_prefix(what.find("] ") + 2);
  }
  return printable(what, 200);
}

}  // namespace

std::string json_syntax_error(std::string_view text) {
  // Parse again with exceptions for the reason; only bad input pays for it.
  try {
    const json parsed = json::parse(text.begin(), text.end());
    static_cast<void>(parsed);
  } catch (const json::parse_error& e) {
    // The parser takes a NUL byte outside a string for the end of the input; say what it is.
    if (e.byte >= 1 && e.byte <= text.size() && text[e.byte - 1] == '\0') {
      const std::string_view before = text.substr(0, e.byte - 1);
      const auto line_start = before.rfind('\n');
      return fmt::format(
          "line {}, column {}: unexpected NUL byte",
          std::count(before.begin(), before.end(), '\n') + 1,
          before.size() - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1);
    }
    return exception_reason(e);
  } catch (const json::exception& e) {
    return exception_reason(e);
  }
  return {};
}

std::optional<std::string> fields_from_json(
    const json& object, RecordFields& fields, JsonFieldStorage& storage,
    const std::function<void(const std::string&)>& on_unknown) {
  fields.fill(FieldValue{});
  if (!object.is_object()) return "expected an order object, got " + describe(object);
  std::array<const std::string*, kFieldCount> seen{};
  for (auto it = object.begin(); it != object.end(); ++it) {
    const auto field = field_from_name(it.key());
    if (!field) {
      if (on_unknown) on_unknown(it.key());
      continue;
    }
    const auto index = static_cast<std::size_t>(*field);
    if (seen[index] != nullptr) {
      return fmt::format("{}: given twice (as '{}' and '{}')", field_name(*field),
                         printable(*seen[index]), printable(it.key()));
    }
    seen[index] = &it.key();
    const json& value = it.value();
    FieldValue& out = fields[index];
    std::string& text = storage.texts[index];
    switch (value.type()) {
      case json::value_t::null:
        break;
      case json::value_t::string:
        out.kind = FieldValue::Kind::kText;
        out.text = value.get_ref<const std::string&>();
        break;
      case json::value_t::number_integer:
        out.kind = FieldValue::Kind::kNumber;
        out.integer = value.get<std::int64_t>();
        out.number = static_cast<double>(*out.integer);
        text = value.dump();
        out.text = text;
        break;
      case json::value_t::number_unsigned: {
        const auto u = value.get<std::uint64_t>();
        out.kind = FieldValue::Kind::kNumber;
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          out.integer = static_cast<std::int64_t>(u);
        }
        out.number = static_cast<double>(u);
        text = value.dump();
        out.text = text;
        break;
      }
      case json::value_t::number_float:
        out.kind = FieldValue::Kind::kNumber;
        out.number = value.get<double>();
        text = value.dump();
        out.text = text;
        break;
      default:
        out.kind = FieldValue::Kind::kOther;
        text = describe(value);
        out.text = text;
        break;
    }
  }
  return std::nullopt;
}

JsonOrders parse_orders_json(std::string_view body) {
  JsonOrders result;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    result.errors.push_back(BatchError{-1, fmt::format("body is not valid JSON ({}): {}",
                                                       json_syntax_error(body), kExpectedShape)});
    return result;
  }

  const json* list = nullptr;
  if (doc.is_array()) {
    list = &doc;
  } else if (doc.is_object() && doc.contains("orders")) {
    list = &doc.at("orders");
    if (!list->is_array()) {
      result.errors.push_back(
          BatchError{-1, fmt::format("\"orders\" is {}: {}", describe(*list), kExpectedShape)});
      return result;
    }
  } else if (!doc.is_object()) {
    result.errors.push_back(
        BatchError{-1, fmt::format("body is {}: {}", describe(doc), kExpectedShape)});
    return result;
  }

  std::unordered_set<std::string> unknown_seen;
  const auto on_unknown = [&](const std::string& key) {
    if (unknown_seen.insert(key).second) result.unknown_keys.push_back(key);
  };
  if (list != nullptr && list != &doc) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it.key() != "orders") on_unknown(it.key());
    }
  }

  RecordFields fields;
  JsonFieldStorage storage;
  const auto one = [&](const json& object, std::int64_t index, const std::string& prefix) {
    core::OrderLine line;
    auto error = fields_from_json(object, fields, storage, on_unknown);
    if (!error) error = validate_order(fields, line);
    if (error) {
      // A wrong element type has no field name: "orders[2]: expected an order object, ...".
      const bool whole = !object.is_object();
      result.errors.push_back(
          BatchError{index, prefix.empty() ? *error : prefix + (whole ? ": " : ".") + *error});
      return;
    }
    result.lines.push_back(std::move(line));
  };

  if (list == nullptr) {
    one(doc, 0, "");
  } else {
    std::int64_t index = 0;
    for (const json& object : *list) {
      one(object, index, fmt::format("orders[{}]", index));
      ++index;
    }
  }
  return result;
}

}  // namespace replenish::ingest
