// libFuzzer target: orders as JSON. The input is used twice: as the body of POST /v1/orders
// (ingest::parse_orders_json: one object, an array, or {"orders": [...]}) and as a JSON Lines
// file read through ingest::read_orders() as replenishctl import does. Every accepted line must
// obey the field rules; a batch accounts for every element once; nothing but ReadError (for
// corrupt gzip data) may escape.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "ingest/json_orders.hpp"
#include "ingest/order_reader.hpp"

namespace {

using replenish::fuzz::check;
using namespace replenish::ingest;

void body(std::string_view text) {
  const JsonOrders parsed = parse_orders_json(text);
  for (const auto& line : parsed.lines) {
    replenish::fuzz::check_order_line(line);
    replenish::fuzz::check_mapping_and_pack_size(line);
  }
  for (const auto& e : parsed.errors) {
    check(!e.reason.empty(), "batch error has a reason");
    check(is_valid_utf8(e.reason), "batch error is valid UTF-8");
  }
  // The route answers with these in JSON; nlohmann::json::dump() throws on invalid UTF-8.
  for (const auto& key : parsed.unknown_keys) check(is_valid_utf8(key), "unknown key is UTF-8");
  const bool body_error = parsed.errors.size() == 1 && parsed.errors[0].index < 0;
  if (body_error) {
    check(parsed.lines.empty(), "a wrong body stores nothing");
    return;
  }
  // Every element of a list is either a line or an error, in order.
  const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  check(!doc.is_discarded(), "a body parse_orders_json accepted is JSON");
  const nlohmann::json* list = doc.is_array()                              ? &doc
                               : doc.is_object() && doc.contains("orders") ? &doc["orders"]
                                                                           : nullptr;
  const std::size_t elements = list != nullptr ? list->size() : 1;
  check(parsed.lines.size() + parsed.errors.size() == elements, "every element accounted for");
  std::int64_t previous = -1;
  for (const auto& e : parsed.errors) {
    check(e.index > previous && e.index < static_cast<std::int64_t>(elements), "error index");
    previous = e.index;
  }
}

void jsonl(const std::string& text) {
  std::istringstream in(text);
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  try {
    const auto stats = read_orders(
        in, "fuzz.jsonl", Format::kJsonl,
        [&](replenish::core::OrderLine&& line) {
          replenish::fuzz::check_order_line(line);
          ++accepted;
        },
        [&](const RowError& e) {
          check(e.line_no >= 1, "error line number >= 1");
          check(is_valid_utf8(e.reason), "row error is valid UTF-8");
          ++rejected;
        });
    check(stats.accepted == accepted && stats.rejected == rejected, "stats match the callbacks");
    check(stats.rows == accepted + rejected, "rows = accepted + rejected");
  } catch (const ReadError& e) {
    check(std::string_view(e.what()).find("fuzz.jsonl") != std::string_view::npos,
          "ReadError names the input");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  body(text);
  jsonl(text);
  return 0;
}
