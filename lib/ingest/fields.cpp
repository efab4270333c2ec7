#include "ingest/fields.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/time.hpp"

namespace replenish::ingest {
namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames{
    "order_id",   "line",        "user_id",   "sku",        "category",    "quantity",
    "ordered_at", "subcategory", "pack_size", "unit_price", "coupon_code",
};

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string quoted(std::string_view text) {
  return "'" + printable(text, 60) + "'";
}

/// What a bad value looked like: 'text' for texts, the JSON spelling for anything else.
std::string shown(const FieldValue& v) {
  if (v.kind == FieldValue::Kind::kText) return quoted(trim_blanks(v.text));
  return printable(v.text, 60);
}

/// A text field's trimmed text after the byte checks; nullopt with `error` set when they fail.
std::optional<std::string_view> checked_text(Field field, const FieldValue& v,
                                             std::optional<std::string>& error) {
  const std::string_view t = trim_blanks(v.text);
  if (std::memchr(t.data(), '\0', t.size()) != nullptr) {
    error = fmt::format("{}: contains a NUL byte", field_name(field));
    return std::nullopt;
  }
  if (!is_valid_utf8(t)) {
    error = fmt::format("{}: invalid UTF-8", field_name(field));
    return std::nullopt;
  }
  return t;
}

/// Resolves a text or JSON value that must be a string. Returns the reason on failure.
/// `allow_integer` lets ids arrive as JSON integers.
std::optional<std::string> take_string(Field field, const FieldValue& v, bool allow_integer,
                                       std::string& out) {
  const std::string_view name = field_name(field);
  switch (v.kind) {
    case FieldValue::Kind::kAbsent:
      out.clear();
      break;
    case FieldValue::Kind::kText: {
      std::optional<std::string> error;
      const auto t = checked_text(field, v, error);
      if (!t) return error;
      if (t->size() > kMaxFieldBytes) {
        return fmt::format("{}: longer than {} bytes", name, kMaxFieldBytes);
      }
      out.assign(*t);
      break;
    }
    case FieldValue::Kind::kNumber:
      if (allow_integer && v.integer) {
        out = std::to_string(*v.integer);
        break;
      }
      return fmt::format("{}: expected {}, got {}", name,
                         allow_integer ? "a string or an integer" : "a string", shown(v));
    case FieldValue::Kind::kOther:
      return fmt::format("{}: expected {}, got {}", name,
                         allow_integer ? "a string or an integer" : "a string", shown(v));
  }
  if (out.empty() && is_required(field)) return fmt::format("{}: is required", name);
  return std::nullopt;
}

bool parse_double(std::string_view t, double& out) {
  if (t.empty()) return false;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

bool parse_int(std::string_view t, std::int64_t& out) {
  if (t.empty()) return false;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

/// Whether a numeric field is empty (absent, or blank text).
bool is_empty(const FieldValue& v) {
  return v.kind == FieldValue::Kind::kAbsent ||
         (v.kind == FieldValue::Kind::kText && trim_blanks(v.text).empty());
}

std::optional<std::string> take_line(const FieldValue& v, std::int64_t& out) {
  if (is_empty(v)) return std::string("line: is required");
  bool ok = false;
  if (v.kind == FieldValue::Kind::kText) {
    std::optional<std::string> error;
    const auto t = checked_text(Field::kLine, v, error);
    if (!t) return error;
    ok = parse_int(*t, out);
  } else if (v.kind == FieldValue::Kind::kNumber) {
    if (v.integer) {
      out = *v.integer;
      ok = true;
    } else if (std::isfinite(v.number) && v.number == std::floor(v.number) && v.number < 9e18 &&
               v.number > -9e18) {
      out = static_cast<std::int64_t>(v.number);
      ok = true;
    }
  }
  if (!ok || out <= 0) return fmt::format("line: expected a positive integer, got {}", shown(v));
  return std::nullopt;
}

/// quantity and unit_price. `positive`: > 0, else >= 0.
std::optional<std::string> take_number(Field field, const FieldValue& v, bool positive,
                                       double& out) {
  bool ok = false;
  if (v.kind == FieldValue::Kind::kText) {
    std::optional<std::string> error;
    const auto t = checked_text(field, v, error);
    if (!t) return error;
    ok = parse_double(*t, out);
  } else if (v.kind == FieldValue::Kind::kNumber) {
    out = v.number;
    ok = true;
  }
  if (ok && std::isfinite(out) && (positive ? out > 0 : out >= 0)) return std::nullopt;
  return fmt::format("{}: must be a {} number, got {}", field_name(field),
                     positive ? "positive" : "non-negative", shown(v));
}

std::optional<std::string> take_time(const FieldValue& v, core::EpochSeconds& out) {
  if (is_empty(v)) return std::string("ordered_at: is required");
  if (v.kind == FieldValue::Kind::kText) {
    std::optional<std::string> error;
    const auto t = checked_text(Field::kOrderedAt, v, error);
    if (!t) return error;
    std::string why;
    const auto parsed = core::parse_timestamp(*t, &why);
    if (!parsed) return fmt::format("ordered_at: {}, got {}", why, shown(v));
    out = *parsed;
  } else if (v.kind == FieldValue::Kind::kNumber) {
    if (v.integer) {
      out = *v.integer;
    } else if (std::isfinite(v.number) && v.number > -9e18 && v.number < 9e18) {
      out = static_cast<core::EpochSeconds>(std::floor(v.number));
    } else if (std::isfinite(v.number)) {
      out = v.number < 0 ? core::kMinTime - 1 : core::kMaxTime;  // out of range: said below
    } else {
      return fmt::format("ordered_at: expected epoch seconds, got {}", shown(v));
    }
  } else {
    return fmt::format("ordered_at: expected an ISO-8601 date-time or epoch seconds, got {}",
                       shown(v));
  }
  if (out < core::kMinTime || out >= core::kMaxTime) {
    return fmt::format("ordered_at: must be from {} up to {}, got {}",
                       core::format_utc(core::kMinTime), core::format_utc(core::kMaxTime),
                       shown(v));
  }
  return std::nullopt;
}

const FieldValue& at(const RecordFields& fields, Field f) {
  return fields[static_cast<std::size_t>(f)];
}

}  // namespace

std::string_view field_name(Field field) {
  return kFieldNames[static_cast<std::size_t>(field)];
}

std::optional<Field> field_from_name(std::string_view name) {
  name = trim_blanks(name);
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (iequals_ascii(name, kFieldNames[i])) return static_cast<Field>(i);
  }
  return std::nullopt;
}

std::optional<std::string> validate_order(const RecordFields& fields, core::OrderLine& out) {
  if (auto e = take_string(Field::kOrderId, at(fields, Field::kOrderId), true, out.order_id)) {
    return e;
  }
  if (auto e = take_line(at(fields, Field::kLine), out.line)) return e;
  if (auto e = take_string(Field::kUserId, at(fields, Field::kUserId), true, out.user_id)) {
    return e;
  }
  if (auto e = take_string(Field::kSku, at(fields, Field::kSku), true, out.sku)) return e;
  if (auto e = take_string(Field::kCategory, at(fields, Field::kCategory), false, out.category)) {
    return e;
  }
  const FieldValue& quantity = at(fields, Field::kQuantity);
  if (is_empty(quantity)) return std::string("quantity: is required");
  if (auto e = take_number(Field::kQuantity, quantity, true, out.quantity)) return e;
  if (auto e = take_time(at(fields, Field::kOrderedAt), out.ordered_at)) return e;
  if (auto e = take_string(Field::kSubcategory, at(fields, Field::kSubcategory), false,
                           out.subcategory)) {
    return e;
  }
  if (auto e = take_string(Field::kPackSize, at(fields, Field::kPackSize), false, out.pack_size)) {
    return e;
  }
  const FieldValue& price = at(fields, Field::kUnitPrice);
  if (is_empty(price)) {
    out.unit_price.reset();
  } else {
    double value = 0;
    if (auto e = take_number(Field::kUnitPrice, price, false, value)) return e;
    out.unit_price = value;
  }
  if (auto e =
          take_string(Field::kCouponCode, at(fields, Field::kCouponCode), false, out.coupon_code)) {
    return e;
  }
  return std::nullopt;
}

bool is_valid_utf8(std::string_view text) {
  return valid_utf8_prefix(text) == text.size();
}

std::size_t valid_utf8_prefix(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII runs, eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word = 0;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong forms
      if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return n;
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    if (c >= 0x80) {
      len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (i + len > text.size() || !is_valid_utf8(text.substr(i, len))) len = 0;
    }
    const std::size_t take = len == 0 ? 1 : len;
    if (out.size() + take > max_bytes) {
      out += "...";
      return out;
    }
    if (len == 0 || c < 0x20 || c == 0x7F) {
      out += '?';
    } else {
      out.append(text.substr(i, len));
    }
    i += take;
  }
  return out;
}

}  // namespace replenish::ingest
