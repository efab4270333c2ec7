// libFuzzer target: CSV order files. The input is a whole file (gzip too, recognised by its magic
// bytes) read through ingest::read_orders() as replenishctl import does; every accepted line must
// obey the field rules, map to a category and give positive pack sizes, if any. The same
// bytes also go through ingest::CsvParser record by record, once whole and once as a stream that
// arrives in small pieces: both must give the same records.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "ingest/csv.hpp"
#include "ingest/order_reader.hpp"

namespace {

using replenish::fuzz::check;
using namespace replenish::ingest;

struct Record {
  CsvParser::Status status;
  std::vector<std::string> fields;
  std::size_t consumed = 0;
  std::int64_t newlines = 0;
  std::string error;

  bool operator==(const Record&) const = default;
};

Record take(const CsvParser& parser, CsvParser::Status status) {
  Record r{status, {}, 0, 0, {}};
  if (status == CsvParser::Status::kRecord) {
    r.fields.assign(parser.fields().begin(), parser.fields().end());
    r.consumed = parser.consumed();
    r.newlines = parser.newlines();
  } else {
    r.error = parser.error();
  }
  return r;
}

/// Records of `data` parsed with everything in view, up to the first error.
std::vector<Record> whole(std::string_view data) {
  std::vector<Record> out;
  CsvParser parser;
  while (!data.empty()) {
    const auto status = parser.parse(data, true);
    check(status != CsvParser::Status::kNeedMore, "no kNeedMore at eof");
    out.push_back(take(parser, status));
    if (status == CsvParser::Status::kError) break;
    check(parser.consumed() > 0 && parser.consumed() <= data.size(), "consumed in range");
    data.remove_prefix(parser.consumed());
  }
  return out;
}

/// The same, as a reader sees it: the data arrives in pieces of 1 to 64 bytes, their sizes
/// taken from the data itself so that the fuzzer steers where the pieces break.
std::vector<Record> streamed(std::string_view data) {
  std::vector<Record> out;
  if (data.empty()) return whole(data);  // no bytes to take piece sizes from
  CsvParser parser;
  const auto step = [&](std::size_t at) {
    return std::size_t{1} + static_cast<unsigned char>(data[at % data.size()]) % 64;
  };
  std::size_t begin = 0;
  std::size_t end = std::min(data.size(), step(0));
  while (begin < data.size()) {
    const bool eof = end == data.size();
    const auto status = parser.parse(data.substr(begin, end - begin), eof);
    if (status == CsvParser::Status::kNeedMore) {
      check(!eof, "no kNeedMore at eof");
      end = std::min(data.size(), end + step(end));
      continue;
    }
    out.push_back(take(parser, status));
    if (status == CsvParser::Status::kError) break;
    begin += parser.consumed();
    end = std::max(end, begin);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  std::istringstream in(text);
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  try {
    const auto stats = read_orders(
        in, "fuzz.csv", Format::kCsv,
        [&](replenish::core::OrderLine&& line) {
          replenish::fuzz::check_order_line(line);
          replenish::fuzz::check_mapping_and_pack_size(line);
          ++accepted;
        },
        [&](const RowError& e) {
          check(e.line_no >= 1, "error line number >= 1");
          check(!e.reason.empty(), "error has a reason");
          ++rejected;
        });
    check(stats.accepted == accepted && stats.rejected == rejected, "stats match the callbacks");
    check(stats.rows == accepted + rejected, "rows = accepted + rejected");
  } catch (const ReadError& e) {
    // A bad header or corrupt gzip data stops the file; the message names it.
    check(std::string_view(e.what()).find("fuzz.csv") != std::string_view::npos,
          "ReadError names the input");
  }

  check(whole(text) == streamed(text), "streamed records equal whole records");
  return 0;
}
