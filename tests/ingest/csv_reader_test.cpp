#include <doctest/doctest.h>

#include <string>

#include "ingest/csv.hpp"
#include "ingest/test_util.hpp"

using replenish::ingest::CsvParser;
using replenish::ingest::Format;
using replenish::ingest::ReadError;
using replenish::ingest::test::describe;
using replenish::ingest::test::read_text;

using namespace std::string_literals;

namespace {

const std::string kHeader =
    "order_id,line,user_id,sku,category,subcategory,pack_size,quantity,unit_price,ordered_at\n";

}  // namespace

TEST_CASE("ingest: csv quoted fields with commas, quotes, line breaks and CRLF") {
  const std::string data =
      "order_id,line,user_id,sku,category,subcategory,pack_size,quantity,unit_price,ordered_at\r\n"
      "o1,1,u1,s1,\"LAUNDRY, DETERGENTS\",\"Tide \"\"Free\"\" 50 oz\",50 OZ,2,9.99,"
      "2017-10-25T17:32:00-05:00\r\n"
      "o1,2,u1,s2,COFFEE,\"line one\r\nline two\",,1,,2017-10-25T17:32:00Z\r\n"
      "o2,1,u2,s3,  CAT FOOD  , \"quoted\" ,,1.5,,1458000000\r\n";
  const auto r = read_text(data);
  CHECK(r.errors.empty());
  REQUIRE(r.lines.size() == 3);
  CHECK(r.stats.rows == 3);
  CHECK(r.stats.accepted == 3);
  CHECK(r.stats.rejected == 0);
  CHECK(r.stats.format == "csv");
  CHECK(r.stats.unknown_columns.empty());

  const auto& a = r.lines[0];
  CHECK(a.order_id == "o1");
  CHECK(a.line == 1);
  CHECK(a.user_id == "u1");
  CHECK(a.sku == "s1");
  CHECK(a.category == "LAUNDRY, DETERGENTS");
  CHECK(a.subcategory == "Tide \"Free\" 50 oz");
  CHECK(a.pack_size == "50 OZ");
  CHECK(a.quantity == 2);
  REQUIRE(a.unit_price.has_value());
  CHECK(*a.unit_price == doctest::Approx(9.99));
  CHECK(a.ordered_at == 1508970720);  // 2017-10-25T22:32:00Z
  CHECK(a.coupon_code.empty());

  CHECK(r.lines[1].subcategory == "line one\r\nline two");
  CHECK(r.lines[1].pack_size.empty());
  CHECK_FALSE(r.lines[1].unit_price.has_value());
  CHECK(r.lines[1].ordered_at == 1508952720);

  CHECK(r.lines[2].category == "CAT FOOD");
  CHECK(r.lines[2].subcategory == "quoted");
  CHECK(r.lines[2].quantity == 1.5);
  CHECK(r.lines[2].ordered_at == 1458000000);
}

TEST_CASE("ingest: csv parser edge cases") {
  CsvParser p;
  SUBCASE("a record split over the end of the data asks for more") {
    CHECK(p.parse("a,\"b", false) == CsvParser::Status::kNeedMore);
    CHECK(p.parse("a,\"b\"", false) == CsvParser::Status::kNeedMore);  // "" may follow
    CHECK(p.parse("a,b", false) == CsvParser::Status::kNeedMore);
    REQUIRE(p.parse("a,b", true) == CsvParser::Status::kRecord);
    CHECK(p.fields() == std::vector<std::string_view>{"a", "b"});
    CHECK(p.consumed() == 3);
    CHECK(p.newlines() == 0);
  }
  SUBCASE("empty fields and a trailing comma") {
    REQUIRE(p.parse(",,\n", false) == CsvParser::Status::kRecord);
    CHECK(p.fields() == std::vector<std::string_view>{"", "", ""});
    CHECK(p.consumed() == 3);
    CHECK(p.newlines() == 1);
  }
  SUBCASE("doubled quotes and line breaks inside quotes") {
    REQUIRE(p.parse("\"x\"\"y\",\"1\n2\n3\"\nnext", false) == CsvParser::Status::kRecord);
    CHECK(p.fields() == std::vector<std::string_view>{"x\"y", "1\n2\n3"});
    CHECK(p.newlines() == 3);
    CHECK(p.consumed() == 15);
  }
  SUBCASE("a quote inside an unquoted field is kept") {
    REQUIRE(p.parse("5\" pan,b\r\n", false) == CsvParser::Status::kRecord);
    CHECK(p.fields() == std::vector<std::string_view>{"5\" pan", "b"});
  }
  SUBCASE("errors") {
    CHECK(p.parse("\"abc", true) == CsvParser::Status::kError);
    CHECK(p.error() == "unterminated quoted field");
    CHECK(p.parse("\"a\"b,c\n", true) == CsvParser::Status::kError);
    CHECK(p.error() == "unexpected character after the closing quote of field 1");
    CHECK(p.parse(std::string(70000, 'x') + "\n", false) == CsvParser::Status::kError);
    CHECK(p.error() == "field longer than 65536 bytes");
  }
}

TEST_CASE("ingest: csv with BOM and LF line ends") {
  const auto r = read_text("\xEF\xBB\xBF" + kHeader + "o1,1,u1,s1,c,,,1,,2017-01-01T00:00:00Z\n");
  CHECK(r.errors.empty());
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].order_id == "o1");
  CHECK(r.lines[0].ordered_at == 1483228800);
}

TEST_CASE("ingest: csv header names columns in any order and case, unknown columns reported once") {
  const std::string data =
      "Quantity,ORDERED_AT,store,order_id,line,user_id,sku,category,note,coupon_code\n"
      "2,2017-01-01T00:00:00+08:00,s-1,o1,1,u1,k1,c,hello,SAVE5\n"
      "3,2017-01-01T00:00:00+08:00,s-2,o1,2,u1,k2,c,,\n";
  const auto r = read_text(data);
  CHECK(r.errors.empty());
  REQUIRE(r.lines.size() == 2);
  CHECK(r.stats.unknown_columns == std::vector<std::string>{"store", "note"});
  CHECK(r.lines[0].quantity == 2);
  CHECK(r.lines[0].coupon_code == "SAVE5");
  CHECK(r.lines[0].ordered_at == 1483200000);
  CHECK(r.lines[1].coupon_code.empty());
  CHECK(r.lines[1].subcategory.empty());
}

TEST_CASE("ingest: csv header missing required columns is fatal") {
  const std::string data = "order_id,line,user_id,sku,category,subcategory\no1,1,u,s,c,d\n";
  try {
    read_text(data, "bad.csv");
    FAIL("expected ReadError");
  } catch (const ReadError& e) {
    CHECK(std::string(e.what()) ==
          "'bad.csv': the header lacks required columns: quantity, ordered_at (header: order_id, "
          "line, user_id, sku, category, subcategory)");
  }
  CHECK_THROWS_WITH_AS(
      read_text("order_id,line,user_id,sku,category,quantity,ordered_at,SKU\n", "dup.csv"),
      "'dup.csv': the header names column 'sku' twice", ReadError);
  CHECK_THROWS_WITH_AS(read_text("order_id,\"line\n", "q.csv"),
                       "'q.csv': cannot read the header (line 1): unterminated quoted field",
                       ReadError);
}

TEST_CASE("ingest: csv empty input and header only give no rows") {
  auto r = read_text("");
  CHECK(r.stats.rows == 0);
  CHECK(r.stats.format == "csv");
  r = read_text(kHeader);
  CHECK(r.stats.rows == 0);
  CHECK(r.errors.empty());
}

TEST_CASE("ingest: csv validation reasons with their line numbers, valid rows around are kept") {
  const std::string long_field(70000, 'y');
  const std::string data = kHeader +                                          // 1
                           "o1,1,u1,s1,c,,,1,,2017-10-25T17:32:00Z\n"         // 2 ok
                           "o1,x,u1,s1,c,,,1,,2017-10-25T17:32:00Z\n"         // 3
                           "o1,3,u1,s1,c,,,-2,,2017-10-25T17:32:00Z\n"        // 4
                           "o1,4,u1,s1,c,,,0,,2017-10-25T17:32:00Z\n"         // 5
                           "o1,5,,s1,c,,,1,,2017-10-25T17:32:00Z\n"           // 6
                           "o1,6,u1,s1,c,,,1,,2017-10-25T17:32:00\n"          // 7
                           "o1,7,u1,s1,c\n"                                   // 8
                           "o2,1,u2,s2,c,\"two\nlines\",,1,,1458000000\n"     // 9-10 ok
                           "o2,2,u2,s2,c,,,1,-1,1458000000\n"                 // 11
                           "o2,3,u2,s2,c,bad \xC3\x28 byte,,1,,1458000000\n"  // 12
                           + "o2,4,u2,s\0x,c,,,1,,1458000000\n"s +            // 13
                           "o2,5,u2,s2,c,,,1,,2100-01-01T00:00:00Z\n"         // 14
                           "o2,6,u2,s2,c,,,nan,,1458000000\n"                 // 15
                           "\n"                                               // 16 blank
                           "o2,7,u2,s2,c,,,1,,1458000000\n"                   // 17 ok
                           "o2,8,u2,s2,\"c\"x,,,1,,1458000000\n"              // 18
                           "o2,9,u2,s2,c,,,1,,1458000000,extra\n"             // 19
                           "o3,1,u3,s3,c," +
                           long_field +
                           ",,1,,1458000000\n"                     // 20
                           "o3,2,u3,s3,c,,,1,,1458000000\n"        // 21 ok
                           "o3,3,u3,s3,c,\"oops,,1,,1458000000\n"  // 22
                           "o3,4,u3,s3,c,,,1,,1458000000\n";       // 23 ok
  const auto r = read_text(data);

  // Line 22 opens a quote that never closes: reading resumes at line 23.
  const std::string expected = describe({
      {3, "line: expected a positive integer, got 'x'"},
      {4, "quantity: must be a positive number, got '-2'"},
      {5, "quantity: must be a positive number, got '0'"},
      {6, "user_id: is required"},
      {7, "ordered_at: missing UTC offset (add Z or ±HH:MM), got '2017-10-25T17:32:00'"},
      {8, "row has 5 fields, header has 10"},
      {11, "unit_price: must be a non-negative number, got '-1'"},
      {12, "subcategory: invalid UTF-8"},
      {13, "sku: contains a NUL byte"},
      {14,
       "ordered_at: must be from 1970-01-01T00:00:00Z up to 2100-01-01T00:00:00Z, got "
       "'2100-01-01T00:00:00Z'"},
      {15, "quantity: must be a positive number, got 'nan'"},
      {18, "unexpected character after the closing quote of field 5"},
      {19, "row has 11 fields, header has 10"},
      {20, "field longer than 65536 bytes"},
      {22, "unterminated quoted field"},
  });
  CHECK(describe(r.errors) == expected);

  std::vector<std::string> kept;
  for (const auto& l : r.lines) kept.push_back(l.order_id + "/" + std::to_string(l.line));
  CHECK(kept == std::vector<std::string>{"o1/1", "o2/1", "o2/7", "o3/2", "o3/4"});
  CHECK(r.lines[1].subcategory == "two\nlines");
  CHECK(r.stats.rows == 20);
  CHECK(r.stats.accepted == 5);
  CHECK(r.stats.rejected == 15);
}

TEST_CASE("ingest: csv records larger than the read buffer") {
  // Rows big enough that several of them cross the 256 KiB buffer boundary.
  std::string data = kHeader;
  const std::string name(30000, 'n');
  for (int i = 1; i <= 20; ++i) {
    data += "o," + std::to_string(i) + ",u,s,c,\"" + name + "\n" + name + "\",,1,,1458000000\n";
  }
  const auto r = read_text(data);
  CHECK(r.errors.empty());
  REQUIRE(r.lines.size() == 20);
  CHECK(r.lines[19].line == 20);
  CHECK(r.lines[19].subcategory.size() == 60001);
}

TEST_CASE("ingest: csv line numbers after a quoted field too long") {
  // A stray quote swallows the following lines until the field is too long; reading resumes at
  // the line after the record's first line.
  std::string data = kHeader + "o,1,u,s,\"c\n";
  for (int i = 0; i < 3000; ++i) data += "o,2,u,s,c,,,1,,1458000000\n";
  const auto r = read_text(data);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line_no == 2);
  CHECK(r.errors[0].reason == "field longer than 65536 bytes");
  CHECK(r.lines.size() == 3000);
}

TEST_CASE("ingest: csv format forced over a misleading name") {
  const auto r =
      read_text(kHeader + "o1,1,u1,s1,c,,,1,,1458000000\n", "orders.jsonl", Format::kCsv);
  CHECK(r.stats.format == "csv");
  CHECK(r.lines.size() == 1);
}
