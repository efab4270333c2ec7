#include <doctest/doctest.h>

#include <string>

#include "ingest/json_orders.hpp"

using replenish::ingest::BatchError;
using replenish::ingest::parse_orders_json;

namespace {

std::string describe(const std::vector<BatchError>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::to_string(e.index) + ": " + e.reason + "\n";
  return out;
}

const std::string kValid =
    R"({"order_id":"o1","line":1,"user_id":"u1","sku":"k1","category":"COFFEE",)"
    R"("subcategory":"GROUND COFFEE","pack_size":"12 OZ","quantity":2,"unit_price":4.5,)"
    R"("ordered_at":"2017-10-25T17:32:00-05:00","coupon_code":"C10"})";

}  // namespace

TEST_CASE("ingest: json batch, a single order object") {
  const auto r = parse_orders_json(kValid);
  CHECK(r.errors.empty());
  REQUIRE(r.lines.size() == 1);
  const auto& l = r.lines[0];
  CHECK(l.order_id == "o1");
  CHECK(l.line == 1);
  CHECK(l.user_id == "u1");
  CHECK(l.sku == "k1");
  CHECK(l.category == "COFFEE");
  CHECK(l.subcategory == "GROUND COFFEE");
  CHECK(l.pack_size == "12 OZ");
  CHECK(l.quantity == 2);
  CHECK(l.unit_price == 4.5);
  CHECK(l.ordered_at == 1508970720);
  CHECK(l.coupon_code == "C10");

  const auto bad = parse_orders_json(R"({"order_id":"o1","line":1,"user_id":"u1","sku":"k1",)"
                                     R"("category":"c","quantity":0,"ordered_at":1})");
  CHECK(bad.lines.empty());
  CHECK(describe(bad.errors) == "0: quantity: must be a positive number, got 0\n");
}

TEST_CASE("ingest: json batch, an array and the orders wrapper, with error indices") {
  const std::string items =
      "[" + kValid + "," +  // 0
      R"({"order_id":"o1","line":2,"user_id":"u1","sku":"k2","category":"c",)"
      R"("quantity":"1.5","unit_price":"0.99","ordered_at":1508970720},)" +  // 1
      R"("not an object",)" +                                                // 2
      R"({"order_id":"o2","line":1,"user_id":"u1","sku":"k3","category":"c",)"
      R"("quantity":-1,"ordered_at":1508970720},)" +  // 3
      R"({"order_id":"o2","line":0,"user_id":"u1","sku":"k3","category":"c",)"
      R"("quantity":1,"ordered_at":1508970720},)" +  // 4
      R"({"order_id":"o2","line":2,"user_id":"u1","category":"c","quantity":1,)"
      R"("ordered_at":"2017-10-25"},)" +  // 5
      R"({"order_id":"o2","line":3,"user_id":"u1","sku":"k3","category":"c","quantity":1,)"
      R"("ordered_at":"2017-10-25T10:00:00","unit_price":-0.5},)" +  // 6
      R"({"order_id":"o3","line":1,"user_id":"u1","sku":"k4","category":"c","quantity":1,)"
      R"("ordered_at":5000000000},)" +  // 7
      R"({"order_id":"o3","line":2,"user_id":"u1","sku":"k4","category":"c","quantity":1,)"
      R"("ordered_at":[2017]},)" +  // 8
      R"({"order_id":"o3","line":3,"user_id":"u1","sku":"k4","category":"c","quantity":1,)"
      R"("ordered_at":1508970720,"unit_price":false,"note":"x"}])";  // 9
  const std::string expected =
      "2: orders[2]: expected an order object, got a string\n"
      "3: orders[3].quantity: must be a positive number, got -1\n"
      "4: orders[4].line: expected a positive integer, got 0\n"
      "5: orders[5].sku: is required\n"
      "6: orders[6].ordered_at: missing UTC offset (add Z or ±HH:MM), got '2017-10-25T10:00:00'\n"
      "7: orders[7].ordered_at: must be from 1970-01-01T00:00:00Z up to 2100-01-01T00:00:00Z, "
      "got 5000000000\n"
      "8: orders[8].ordered_at: expected an ISO-8601 date-time or epoch seconds, got an array\n"
      "9: orders[9].unit_price: must be a non-negative number, got false\n";

  for (const std::string& body : {items, R"({"source":"pos","orders":)" + items + "}"}) {
    CAPTURE(body);
    const auto r = parse_orders_json(body);
    CHECK(describe(r.errors) == expected);
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0].order_id == "o1");
    CHECK(r.lines[1].line == 2);
    CHECK(r.lines[1].quantity == 1.5);
    CHECK(r.lines[1].unit_price == 0.99);
    CHECK(r.lines[1].ordered_at == 1508970720);
  }
  CHECK(parse_orders_json(items).unknown_keys == std::vector<std::string>{"note"});
  CHECK(parse_orders_json(R"({"source":"pos","orders":)" + items + "}").unknown_keys ==
        std::vector<std::string>{"source", "note"});
}

TEST_CASE("ingest: json batch, bodies of the wrong shape") {
  const std::string shape =
      "expected an order object, an array of order objects, or {\"orders\": [...]}";
  auto r = parse_orders_json("order_id=1");
  CHECK(r.lines.empty());
  CHECK(describe(r.errors) ==
        "-1: body is not valid JSON (line 1, column 1: syntax error while parsing value - invalid "
        "literal; last read: 'o'): " +
            shape + "\n");
  r = parse_orders_json("");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].index == -1);
  r = parse_orders_json("42");
  CHECK(describe(r.errors) == "-1: body is 42: " + shape + "\n");
  r = parse_orders_json(R"({"orders":{"order_id":"o1"}})");
  CHECK(describe(r.errors) == "-1: \"orders\" is an object: " + shape + "\n");
  r = parse_orders_json("[]");
  CHECK(r.errors.empty());
  CHECK(r.lines.empty());
  r = parse_orders_json(R"({"orders":[]})");
  CHECK(r.errors.empty());
}
