// The bad-input corpus (tests/data/bad_input/, described in its README.md): every file goes
// through the real import path (`replenishctl import` into a fresh SQLite store) and must give
// exactly the expected errors (line number and reason), conflicts and read failure, and store
// exactly the valid rows of the same file, in file order, with their text unchanged.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using nlohmann::json;

namespace {

const std::string kCorpus = std::string(REPLENISH_TEST_DATA_DIR) + "/bad_input/";
const std::string kConfig = std::string(REPLENISH_SOURCE_DIR) + "/config/demo.yaml";

struct Imported {
  int exit_code = -1;
  std::string err;
  json file;                        ///< the file's entry of `import --json`
  std::vector<std::string> stored;  ///< "order_id/line" of every stored row, in insertion order
};

Imported import(const testing::TempDir& dir, const std::string& path) {
  const auto db = dir.file("r.db");
  std::filesystem::remove(db);
  const auto r =
      testing::run(REPLENISHCTL_PATH, {"--config", kConfig, "--db", db, "--json", "import", path},
                   dir.path().string());
  Imported out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  const auto doc = json::parse(r.out, nullptr, false);
  REQUIRE_MESSAGE(doc.is_object(), r.out << r.err);
  out.file = doc["files"][0];
  store::Connection c(db, true, false);
  auto st = c.prepare("SELECT order_id, line FROM orders ORDER BY rowid");
  while (st.step()) out.stored.push_back(st.text(0) + "/" + std::to_string(st.int64(1)));
  return out;
}

/// "3: reason\n…" of a list of {line, reason}, readable in a failed CHECK.
std::string lines_of(const json& list) {
  std::string out;
  for (const auto& e : list) {
    out += std::to_string(e["line"].get<std::int64_t>()) + ": " + e["reason"].get<std::string>() +
           "\n";
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

/// The files the test cases below cover; a new corpus file must be added here and tested.
const std::set<std::string> kCovered{
    "README.md",        "conflicts.csv",      "conflicts.jsonl", "dates.csv",
    "huge_numbers.csv", "huge_numbers.jsonl", "malformed.csv",   "malformed.jsonl",
    "nul_and_utf8.csv", "nul_and_utf8.jsonl", "sql_strings.csv", "sql_strings.jsonl",
    "truncated.csv.gz", "truncated.jsonl.gz", "types.csv",       "types.jsonl",
};

}  // namespace

TEST_CASE("bad input: every corpus file has its expectations") {
  std::set<std::string> present;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    present.insert(entry.path().filename().string());
  }
  CHECK(joined({present.begin(), present.end()}) == joined({kCovered.begin(), kCovered.end()}));
}

TEST_CASE("bad input: truncated and malformed CSV lines") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "malformed.csv");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "3: row has 5 fields, header has 9\n"
        "4: row has 10 fields, header has 9\n"
        "6: unexpected character after the closing quote of field 5\n"
        "10: row has 7 fields, header has 9\n"
        "11: order_id: is required\n"
        "13: unterminated quoted field\n"
        "15: row has 8 fields, header has 9\n");
  // Line 7 is blank; lines 8-9 are one record (a quoted line break); after the unterminated
  // quote of line 13 reading resumes at line 14.
  CHECK(r.file["rows"] == 12);
  CHECK(joined(r.stored) == "m1/1 m4/1 m6/1 m8/1 m10/1");
}

TEST_CASE("bad input: wrong types in CSV") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "types.csv");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "3: line: expected a positive integer, got 'one'\n"
        "4: line: expected a positive integer, got '1.5'\n"
        "5: quantity: must be a positive number, got 'two'\n"
        "6: quantity: must be a positive number, got '0x10'\n"
        "7: ordered_at: expected ISO-8601 date-time with offset or epoch seconds, got "
        "'yesterday'\n"
        "8: ordered_at: day out of range, got '2024-02-30T10:00:00+08:00'\n"
        "9: ordered_at: missing UTC offset (add Z or ±HH:MM), got '2024-02-01 10:00'\n"
        "10: unit_price: must be a non-negative number, got 'free'\n"
        "11: quantity: must be a positive number, got '-1'\n"
        "12: quantity: must be a positive number, got 'NaN'\n"
        "13: ordered_at: expected ISO-8601 date-time with offset or epoch seconds, got 'true'\n"
        "15: unit_price: must be a non-negative number, got '-0.01'\n");
  CHECK(joined(r.stored) == "t1/1 t13/2");  // blanks around values are trimmed
}

TEST_CASE("bad input: wrong types in JSON Lines") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "types.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "2: line: expected a positive integer, got 'one'\n"
        "3: line: expected a positive integer, got 1.5\n"
        "4: line: expected a positive integer, got true\n"
        "5: quantity: must be a positive number, got 'two'\n"
        "6: quantity: must be a positive number, got an array\n"
        "7: ordered_at: expected an ISO-8601 date-time or epoch seconds, got an object\n"
        "8: order_id: expected a string or an integer, got an object\n"
        "9: category: expected a string, got 7\n"
        "11: unit_price: must be a non-negative number, got 'free'\n"
        "12: user_id: is required\n");
  // Line 10: integer ids and numeric strings are accepted.
  CHECK(joined(r.stored) == "k1/1 10/2");
}

TEST_CASE("bad input: truncated and malformed JSON Lines") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "malformed.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "2: invalid JSON at column 41: syntax error while parsing object - unexpected end of "
        "input; expected '}'\n"
        "3: expected an order object, got an array\n"
        "4: invalid JSON at column 27: syntax error while parsing object key - unexpected '}'; "
        "expected string literal\n"
        "7: line: given twice (as 'LINE' and 'line')\n"
        "8: invalid JSON at column 1: syntax error while parsing value - invalid literal; last "
        "read: 'o'\n"
        "10: invalid JSON at column 145: syntax error while parsing value - unexpected '{'; "
        "expected end of input\n"
        "12: invalid JSON at column 42: syntax error while parsing object - unexpected end of "
        "input; expected '}'\n");
  CHECK(r.file["unknown_columns"] == json::array({"gift_wrap"}));
  CHECK(joined(r.stored) == "j1/1 j5/1 j8/1 j10/1");
}

TEST_CASE("bad input: huge numbers in CSV") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "huge_numbers.csv");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "3: quantity: must be a positive number, got '1e400'\n"
        "4: unit_price: must be a non-negative number, got '1e400'\n"
        "5: line: expected a positive integer, got '9223372036854775808'\n"
        "7: ordered_at: epoch seconds out of range, got '9223372036854775808'\n"
        "8: quantity: must be a positive number, got '1e-400'\n"
        "10: ordered_at: epoch seconds out of range, got '-9223372036854775809'\n"
        "11: unit_price: must be a non-negative number, got "
        "'999999999999999999999999999999999999999999999999999999999999...'\n");
  // 2^63 - 1 is a valid line number; a quantity of 2^63 is a (silly) valid amount.
  CHECK(joined(r.stored) == "h1/1 h5/9223372036854775807 h8/1");
  store::Connection c(dir.file("r.db"), true, false);
  auto st = c.prepare("SELECT quantity FROM orders WHERE order_id = 'h8'");
  REQUIRE(st.step());
  CHECK(st.real(0) == 9223372036854775808.0);
}

TEST_CASE("bad input: huge numbers in JSON Lines") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "huge_numbers.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "2: line: expected a positive integer, got 9223372036854775808\n"
        "4: invalid JSON: number overflow parsing '1e400'\n"
        "5: ordered_at: must be from 1970-01-01T00:00:00Z up to 2100-01-01T00:00:00Z, got "
        "9223372036854775808\n"
        "6: quantity: must be a positive number, got 0.0\n"  // 1e-400 underflows to 0
        "7: ordered_at: must be from 1970-01-01T00:00:00Z up to 2100-01-01T00:00:00Z, got "
        "-1e+30\n"
        "8: order_id: expected a string or an integer, got 1.8446744073709552e+19\n");
  CHECK(joined(r.stored) == "x1/1 x3/9223372036854775807 x9/1");
}

TEST_CASE("bad input: dates before 1970 and from 2100 on") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "dates.csv");
  CHECK(r.exit_code == 0);
  const std::string range =
      "ordered_at: must be from 1970-01-01T00:00:00Z up to 2100-01-01T00:00:00Z, got ";
  CHECK(lines_of(r.file["errors"]) ==
        "3: " + range + "'1969-12-31T23:59:59Z'\n" + "5: " + range +
            "'1970-01-01T07:59:59+08:00'\n" + "7: " + range + "'2100-01-01T00:00:00Z'\n" +
            "8: " + range + "'2099-12-31T20:00:00-05:00'\n" + "9: " + range + "'-1'\n" +
            "10: " + range + "'4102444800'\n" + "11: " + range + "'1900-01-01T00:00:00Z'\n" +
            "12: " + range + "'9999-12-31T23:59:59Z'\n");
  // The first and the last second of the range are valid, in any offset.
  CHECK(joined(r.stored) == "d1/1 d3/1 d5/1 d12/1 d13/1");
  store::Connection c(dir.file("r.db"), true, false);
  auto st = c.prepare("SELECT ordered_at FROM orders WHERE order_id IN ('d3', 'd5') ORDER BY 1");
  REQUIRE(st.step());
  CHECK(st.int64(0) == 0);
  REQUIRE(st.step());
  CHECK(st.int64(0) == 4102444799);
}

TEST_CASE("bad input: NUL bytes and invalid UTF-8 in CSV") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "nul_and_utf8.csv");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "3: category: contains a NUL byte\n"
        "4: user_id: contains a NUL byte\n"
        "5: subcategory: invalid UTF-8\n"  // C3 28
        "6: subcategory: invalid UTF-8\n"  // C0 AF, an overlong '/'
        "7: subcategory: invalid UTF-8\n"  // ED A0 80, a surrogate
        "8: subcategory: invalid UTF-8\n"  // E7 BA, cut short
        "9: sku: invalid UTF-8\n"          // FF
        "10: unit_price: contains a NUL byte\n");
  CHECK(joined(r.stored) == "n1/1 n10/1 n11/1");
  store::Connection c(dir.file("r.db"), true, false);
  auto st = c.prepare("SELECT subcategory FROM orders WHERE order_id = 'n11'");
  REQUIRE(st.step());
  CHECK(st.text(0) == "😀 emoji 纸尿裤");
}

TEST_CASE("bad input: NUL bytes and invalid UTF-8 in JSON Lines") {
  testing::TempDir dir;
  const auto r = import(dir, kCorpus + "nul_and_utf8.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["errors"]) ==
        "2: user_id: contains a NUL byte\n"  // escaped as \u0000
        "3: invalid UTF-8 at column 50\n"
        "4: invalid JSON at column 71: syntax error while parsing value - invalid string: "
        "surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '\"\\ud800\"'\n"
        "5: invalid JSON at column 17: unexpected NUL byte\n");
  CHECK(joined(r.stored) == "y1/1 y6/1 y7/1");
  store::Connection c(dir.file("r.db"), true, false);
  auto st = c.prepare("SELECT user_id, category, subcategory FROM orders WHERE order_id = 'y7'");
  REQUIRE(st.step());
  CHECK(st.text(0) == "用户");
  CHECK(st.text(1) == "母婴");
  CHECK(st.text(2) == "😀纸尿裤");
}

TEST_CASE("bad input: SQL-looking strings are stored verbatim, nothing dropped") {
  testing::TempDir dir;
  auto r = import(dir, kCorpus + "sql_strings.csv");
  CHECK(r.exit_code == 0);
  CHECK(r.file["errors"].empty());
  CHECK(r.file["stored"] == 6);
  {
    store::Connection c(dir.file("r.db"), true, false);
    auto st = c.prepare(
        "SELECT order_id, user_id, sku, category, subcategory FROM orders ORDER BY rowid");
    std::vector<std::string> rows;
    while (st.step()) {
      rows.push_back(st.text(0) + " | " + st.text(1) + " | " + st.text(2) + " | " + st.text(3) +
                     " | " + st.text(4));
    }
    CHECK(rows == std::vector<std::string>{
                      "s1 | u1'; DROP TABLE orders; -- | S1 | 母婴 | 纸尿裤",
                      "s2\" OR \"1\"=\"1 | u2 | S1 | 母婴 | 纸尿裤",
                      "s3 | u3 | Robert'); DELETE FROM orders WHERE ('1'='1 | 母婴 | 纸尿裤",
                      "s4 | u4 | S1 | 母婴 | 纸尿裤 %' UNION SELECT * FROM reminders; --",
                      "s5 | u5 | S1 | 母婴 | \\\\x00 ?1 :name @p $1 _%",
                      "s6 | u6 | S1 | 母婴\"; | 纸尿裤",
                  });
  }

  r = import(dir, kCorpus + "sql_strings.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(r.file["errors"].empty());
  store::Connection c(dir.file("r.db"), true, false);
  auto st = c.prepare("SELECT order_id, user_id, coupon_code FROM orders ORDER BY rowid");
  std::vector<std::string> rows;
  while (st.step()) rows.push_back(st.text(0) + " | " + st.text(1) + " | " + st.text(2));
  CHECK(rows == std::vector<std::string>{
                    "q1'; DROP TABLE orders; -- | u1 | ",
                    "q2 | \" OR 1=1 -- | ",
                    "q3 | u3 | X'); UPDATE reminders SET state='sent'; --",
                });
  // The reminders planned for these users are there too: nothing was executed.
  auto reminders = c.prepare("SELECT count(*) FROM reminders WHERE state = 'planned'");
  REQUIRE(reminders.step());
  CHECK(reminders.int64(0) == 3);
}

TEST_CASE("bad input: duplicate order ids with other content are conflicts, the first is kept") {
  testing::TempDir dir;
  auto r = import(dir, kCorpus + "conflicts.csv");
  CHECK(r.exit_code == 0);
  CHECK(r.file["errors"].empty());
  const std::string kept = " was stored before with other content; the first version is kept\n";
  CHECK(lines_of(r.file["conflict_rows"]) ==
        "5: order c1 line 1" + kept + "6: order c1 line 2" + kept + "8: order c2 line 1" + kept);
  CHECK(r.file["duplicates"] == 1);  // line 4 repeats line 2 exactly
  CHECK(r.file["conflicts"] == 3);
  CHECK(joined(r.stored) == "c1/1 c1/2 c2/1");
  {
    store::Connection c(dir.file("r.db"), true, false);
    auto st = c.prepare("SELECT user_id, quantity, ordered_at FROM orders ORDER BY rowid");
    std::vector<std::string> rows;
    while (st.step()) {
      rows.push_back(st.text(0) + " " + std::to_string(st.real(1)) + " " +
                     std::to_string(st.int64(2)));
    }
    CHECK(rows == std::vector<std::string>{"u1 1.000000 1706752800", "u1 1.000000 1706752800",
                                           "u1 1.000000 1706752800"});
  }

  r = import(dir, kCorpus + "conflicts.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.file["conflict_rows"]) ==
        "3: order c1 line 1" + kept + "4: order c1 line 1" + kept);
  CHECK(r.file["duplicates"] == 1);
  CHECK(joined(r.stored) == "c1/1 c1/2");
}

TEST_CASE("bad input: gzip data cut off mid-stream keeps the rows before the cut") {
  testing::TempDir dir;
  for (const auto& [name, last_line, rows] :
       {std::tuple{"truncated.csv.gz", 1280, 1278}, std::tuple{"truncated.jsonl.gz", 1311, 1310}}) {
    CAPTURE(name);
    const auto r = import(dir, kCorpus + name);
    CHECK(r.exit_code == 1);
    CHECK(r.file["error"] == "'" + kCorpus + name + "': truncated gzip data (reading line " +
                                 std::to_string(last_line) + ")");
    CHECK(r.file["rows"] == rows);
    CHECK(r.file["stored"] == rows);
    REQUIRE(r.stored.size() == static_cast<std::size_t>(rows));
    CHECK(r.stored.front() == "g1/1");
    CHECK(r.stored.back() == "g" + std::to_string(rows) + "/1");
  }
  // Without --json the failure is on stderr.
  const auto r = testing::run(
      REPLENISHCTL_PATH,
      {"--config", kConfig, "--db", dir.file("plain.db"), "import", kCorpus + "truncated.csv.gz"},
      dir.path().string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("truncated gzip data (reading line 1280)") != std::string::npos);
  CHECK(r.out.find("1278 rows: 1278 stored") != std::string::npos);
}

TEST_CASE("bad input: a 10 MB field is refused, the rows around it are stored") {
  testing::TempDir dir;
  const std::string big(10 * 1024 * 1024, 'x');
  const std::string header = "order_id,line,user_id,sku,category,subcategory,quantity,ordered_at\n";
  const auto row = [](const std::string& id, const std::string& subcategory) {
    return id + ",1,u1,S1,母婴," + subcategory + ",1,2024-02-01T10:00:00+08:00\n";
  };
  SUBCASE("csv, unquoted and quoted") {
    const auto path =
        dir.write("big.csv", header + row("b1", "纸尿裤") + row("b2", big) + row("b3", "纸尿裤") +
                                 row("b4", "\"" + big + "\"") + row("b5", "纸尿裤"));
    const auto r = import(dir, path);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.file["errors"]) ==
          "3: field longer than 65536 bytes\n"
          "5: field longer than 65536 bytes\n");
    CHECK(joined(r.stored) == "b1/1 b3/1 b5/1");
  }
  SUBCASE("jsonl") {
    const auto line = [](const std::string& id, const std::string& subcategory) {
      return R"({"order_id":")" + id +
             R"(","line":1,"user_id":"u1","sku":"S1","category":"母婴","subcategory":")" +
             subcategory + R"(","quantity":1,"ordered_at":"2024-02-01T10:00:00+08:00"})" + "\n";
    };
    const auto path =
        dir.write("big.jsonl", line("b1", "纸尿裤") + line("b2", big) + line("b3", "纸尿裤"));
    const auto r = import(dir, path);
    CHECK(r.exit_code == 0);
    CHECK(lines_of(r.file["errors"]) == "2: line longer than 1048576 bytes\n");
    CHECK(joined(r.stored) == "b1/1 b3/1");
  }
}
