#include <doctest/doctest.h>

#include <string>

#include "ingest/test_util.hpp"

using replenish::ingest::Format;
using replenish::ingest::format_from_name;
using replenish::ingest::read_order_file;
using replenish::ingest::ReadError;
using replenish::ingest::RowError;
using replenish::ingest::test::describe;
using replenish::ingest::test::gzip;
using replenish::ingest::test::read_text;

using namespace std::string_literals;

namespace {

/// A JSON order line: user_id, sku, category and ordered_at, plus `fields`.
std::string order(const std::string& fields) {
  return R"({"user_id":"u1","sku":"k1","category":"c","ordered_at":"2017-10-25T17:32:00Z",)" +
         fields + "}\n";
}

const std::string kCsv =
    "order_id,line,user_id,sku,category,quantity,ordered_at\n"
    "o1,1,u1,s1,c,1,1458000000\n"
    "o1,2,u1,s2,c,0,1458000000\n";

}  // namespace

TEST_CASE("ingest: jsonl rows, malformed lines and wrong types") {
  const std::string data =
      order(R"("order_id":"o1","line":1,"quantity":2,"extra":1)") +  // 1
      "\n" +                                                         // 2 blank
      R"({"order_id":"o2",)" + "\n" +                                // 3
      "[1,2]\n" +                                                    // 4
      order(R"("order_id":"o3","line":"x","quantity":1)") +          // 5
      order(R"("order_id":true,"line":1,"quantity":1)") +            // 6
      order(R"("order_id":"o4","line":1.5,"quantity":1)") +          // 7
      R"({"order_id":123,"line":"2","user_id":77,"sku":"k","category":"c","quantity":"3",)"
      R"("unit_price":"1.25","ordered_at":1458000000.9,"pack_size":null,"more":[]})"
      "\n" +                                                // 8
      order(R"("order_id":"o5","line":1,"quantity":-1)") +  // 9
      R"({"order_id":"o6","line":1,"user_id":"u","sku":"k","category":{"a":1},"quantity":1,)"
      R"("ordered_at":"2017-10-25T17:32:00Z"})"
      "\n" +                                                                         // 10
      order(R"("order_id":"o7","line":1,"quantity":1,"SKU":"k2")") +                 // 11
      "{\"order_id\":\"o8\xFF\"}\r\n" +                                              // 12
      order(R"("order_id":"o9","line":2,"quantity":1.5,"unit_price":0)") +           // 13
      order(R"("order_id":"o10","line":1,"quantity":1,"ordered_at2":1,"extra":2)");  // 14
  const auto r = read_text(data, "orders.jsonl");
  CHECK(r.stats.format == "jsonl");

  const std::string expected = describe({
      {3,
       "invalid JSON at column 18: syntax error while parsing object key - unexpected end of "
       "input; expected string literal"},
      {4, "expected an order object, got an array"},
      {5, "line: expected a positive integer, got 'x'"},
      {6, "order_id: expected a string or an integer, got true"},
      {7, "line: expected a positive integer, got 1.5"},
      {9, "quantity: must be a positive number, got -1"},
      {10, "category: expected a string, got an object"},
      {11, "sku: given twice (as 'SKU' and 'sku')"},  // keys come sorted
      {12, "invalid UTF-8 at column 16"},
  });
  CHECK(describe(r.errors) == expected);

  REQUIRE(r.lines.size() == 4);
  CHECK(r.lines[0].order_id == "o1");
  CHECK(r.lines[0].quantity == 2);
  CHECK(r.lines[0].ordered_at == 1508952720);
  const auto& l = r.lines[1];
  CHECK(l.order_id == "123");
  CHECK(l.line == 2);
  CHECK(l.user_id == "77");
  CHECK(l.quantity == 3);
  REQUIRE(l.unit_price.has_value());
  CHECK(*l.unit_price == 1.25);
  CHECK(l.ordered_at == 1458000000);  // fraction dropped
  CHECK(l.pack_size.empty());
  CHECK(r.lines[2].order_id == "o9");
  CHECK(r.lines[2].unit_price == 0.0);
  CHECK(r.lines[3].order_id == "o10");
  CHECK(r.stats.rows == 13);
  CHECK(r.stats.accepted == 4);
  CHECK(r.stats.rejected == 9);
  CHECK(r.stats.unknown_columns == std::vector<std::string>{"extra", "more", "ordered_at2"});
}

TEST_CASE("ingest: format detection by name, by first byte and by gzip magic") {
  CHECK(format_from_name("a.csv") == Format::kCsv);
  CHECK(format_from_name("a.CSV.GZ") == Format::kCsv);
  CHECK(format_from_name("a.jsonl") == Format::kJsonl);
  CHECK(format_from_name("a.ndjson.gz") == Format::kJsonl);
  CHECK(format_from_name("a.json") == Format::kAuto);
  CHECK(format_from_name("-") == Format::kAuto);

  const std::string jsonl = "\n  " + order(R"("order_id":"o1","line":1,"quantity":1)");
  auto r = read_text(jsonl, "-");
  CHECK(r.stats.format == "jsonl");
  CHECK(r.lines.size() == 1);

  r = read_text("\xEF\xBB\xBF" + jsonl, "upload.txt");
  CHECK(r.stats.format == "jsonl");
  CHECK(r.lines.size() == 1);

  r = read_text(kCsv, "-");
  CHECK(r.stats.format == "csv");
  CHECK(r.stats.accepted == 1);

  // gzip is recognised by its magic bytes, whatever the name.
  r = read_text(gzip(kCsv), "upload.bin");
  CHECK(r.stats.format == "csv.gz");
  CHECK(r.stats.accepted == 1);
  CHECK(r.stats.rejected == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line_no == 3);

  r = read_text(gzip(jsonl), "x.gz");
  CHECK(r.stats.format == "jsonl.gz");
  CHECK(r.lines.size() == 1);

  // A name that says .gz but holds plain text is read as plain text.
  r = read_text(kCsv, "orders.csv.gz");
  CHECK(r.stats.format == "csv");
  CHECK(r.stats.accepted == 1);
}

TEST_CASE("ingest: gzip members, truncation and corruption") {
  SUBCASE("concatenated members are read in turn") {
    const std::string second = "o2,1,u2,s3,c,4,1458000000\n";
    const auto r = read_text(gzip(kCsv) + gzip(second), "two.csv.gz");
    CHECK(r.stats.accepted == 2);
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[1].order_id == "o2");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line_no == 3);
  }
  SUBCASE("a large stream") {
    std::string big = "order_id,line,user_id,sku,category,quantity,ordered_at\n";
    for (int i = 1; i <= 50000; ++i) {
      big += "o" + std::to_string(i) + "," + std::to_string(i) + ",u,s,c,1,1458000000\n";
    }
    const auto r = read_text(gzip(big), "big.csv.gz");
    CHECK(r.stats.accepted == 50000);
    CHECK(r.lines.back().line == 50000);
  }
  SUBCASE("truncated") {
    const std::string z = gzip(kCsv);
    CHECK_THROWS_WITH_AS(read_text(z.substr(0, z.size() - 10), "cut.csv.gz"),
                         "'cut.csv.gz': truncated gzip data (reading line 3)", ReadError);
  }
  SUBCASE("corrupt") {
    std::string z = gzip(kCsv);
    z[3] = '\x7f';  // reserved flag bits
    CHECK_THROWS_AS(read_text(z, "bad.csv.gz"), ReadError);
  }
  SUBCASE("garbage after the last member") {
    CHECK_THROWS_WITH_AS(read_text(gzip(kCsv) + "junk", "tail.csv.gz"),
                         "'tail.csv.gz': unexpected data after the end of the gzip stream "
                         "(reading line 4)",
                         ReadError);
  }
}

TEST_CASE("ingest: reading fixture files") {
  const std::string dir = REPLENISH_TEST_DATA_DIR "/ingest/";
  std::vector<replenish::core::OrderLine> lines;
  std::vector<RowError> errors;
  const auto on_line = [&](replenish::core::OrderLine&& l) { lines.push_back(std::move(l)); };
  const auto on_error = [&](const RowError& e) { errors.push_back(e); };

  auto stats = read_order_file(dir + "orders.jsonl.gz", Format::kAuto, on_line, on_error);
  CHECK(stats.format == "jsonl.gz");
  CHECK(stats.accepted == 2);
  CHECK(stats.rejected == 1);
  CHECK(stats.unknown_columns == std::vector<std::string>{"channel"});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line_no == 2);
  CHECK(errors[0].reason == "quantity: must be a positive number, got 0");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].pack_size == "50 OZ");
  CHECK(lines[1].ordered_at == 1508970720);

  // gzip-compressed CSV under a name that says nothing.
  lines.clear();
  stats = read_order_file(dir + "orders-csv.dat", Format::kAuto, on_line, nullptr);
  CHECK(stats.format == "csv.gz");
  CHECK(stats.accepted == 2);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].category == "CAT LITTER");

  CHECK_THROWS_WITH_AS(read_order_file(dir + "missing.csv", Format::kAuto, on_line, on_error),
                       ("cannot open '" + dir + "missing.csv': No such file or directory").c_str(),
                       ReadError);
  CHECK_THROWS_WITH_AS(read_order_file(dir, Format::kAuto, on_line, on_error),
                       ("cannot open '" + dir + "': is a directory").c_str(), ReadError);
}

TEST_CASE("ingest: jsonl line longer than the limit") {
  const std::string data = "{\"order_id\":\"" + std::string(2 * 1024 * 1024, 'a') + "\"}\n" +
                           order(R"("order_id":"o1","line":1,"quantity":1)");
  const auto r = read_text(data, "x.jsonl");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line_no == 1);
  CHECK(r.errors[0].reason == "line longer than 1048576 bytes");
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].order_id == "o1");
}
