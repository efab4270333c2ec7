// Shared by the libFuzzer targets: a check that aborts (so libFuzzer keeps the input) and the
// properties every accepted order line must have, whichever parser produced it.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/time.hpp"
#include "core/types.hpp"
#include "ingest/category_mapper.hpp"
#include "ingest/fields.hpp"
#include "ingest/pack_size.hpp"

namespace replenish::fuzz {

/// Aborts with `what` when `ok` is false. Unlike assert() it stays on in optimised builds.
inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

/// A field the rules of ingest::validate_order() let through: trimmed, valid UTF-8, no NUL byte,
/// at most kMaxFieldBytes long; non-empty when required.
inline void check_text(const std::string& text, bool required, const char* what) {
  check(!required || !text.empty(), what);
  check(text.size() <= ingest::kMaxFieldBytes, what);
  check(text.find('\0') == std::string::npos, what);
  check(ingest::is_valid_utf8(text), what);
  check(ingest::trim_blanks(text).size() == text.size(), what);
}

/// Every member of an accepted order line obeys the documented field rules.
inline void check_order_line(const core::OrderLine& l) {
  check_text(l.order_id, true, "order_id");
  check_text(l.user_id, true, "user_id");
  check_text(l.sku, true, "sku");
  check_text(l.category, true, "category");
  check_text(l.subcategory, false, "subcategory");
  check_text(l.pack_size, false, "pack_size");
  check_text(l.coupon_code, false, "coupon_code");
  check(l.line > 0, "line > 0");
  check(std::isfinite(l.quantity) && l.quantity > 0, "quantity finite and > 0");
  check(l.ordered_at >= core::kMinTime && l.ordered_at < core::kMaxTime, "ordered_at in range");
  check(!l.unit_price || (std::isfinite(*l.unit_price) && *l.unit_price >= 0),
        "unit_price finite and >= 0");
}

/// What the engine does next with an accepted line: map it to a periodic category (patterns
/// with ".*" included) and parse its pack sizes, which must be positive amounts.
inline void check_mapping_and_pack_size(const core::OrderLine& l) {
  static const ingest::CategoryMapper mapper = [] {
    const auto cfg = config::parse_config(R"yaml(
categories:
  - slug: diapers
    match: [{category: [母婴], include: "(纸尿裤|拉拉裤).*(码|片)", exclude: "湿巾"}]
  - slug: detergent
    match: [{include: "laundry.*(detergent|liquid)|洗衣液", exclude: "sheet|柔顺"}]
  - slug: coffee
    match: [{category: [COFFEE], subcategory: [GROUND COFFEE, WHOLE BEAN]}]
channels:
  log: {type: log}
)yaml",
                                          "fuzz.yaml");
    return ingest::CategoryMapper(cfg.categories);
  }();
  const int idx = mapper.map(l.category, l.subcategory);
  check(idx >= -1 && idx < 3, "mapped category index");
  check(mapper.map(l.category, l.subcategory) == idx, "mapping is stable");
  for (const auto& size :
       {ingest::parse_pack_size(l.pack_size), ingest::find_pack_size_in_text(l.subcategory)}) {
    if (size) check(std::isfinite(size->value) && size->value > 0, "pack size positive");
  }
}

}  // namespace replenish::fuzz
