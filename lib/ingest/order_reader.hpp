// Streaming import of order files: CSV with a header or JSON Lines, plain or gzip, validated
// row by row with the shared field rules (fields.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "ingest/input.hpp"

namespace replenish::ingest {

enum class Format { kAuto, kCsv, kJsonl };

/// One rejected row.
struct RowError {
  std::int64_t line_no = 0;  ///< 1-based physical line (of the decompressed data; CSV header = 1;
                             ///< a record spanning lines gives its first line)
  std::string reason;        ///< "quantity: must be a positive number, got '-2'"
};

struct ReadStats {
  std::int64_t rows = 0;  ///< records read, blank lines and the header not counted
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::vector<std::string> unknown_columns;  ///< ignored columns or keys, each once, in order seen
                                             ///< (JSON keys of one line in sorted order)
  std::string format;                        ///< "csv", "jsonl", "csv.gz" or "jsonl.gz"
};

using OnLine = std::function<void(core::OrderLine&&)>;
using OnError = std::function<void(const RowError&)>;
/// Like OnLine, with the row's 1-based line number as in RowError (for reports that point back
/// into the file, such as conflicts found when the line is stored).
using OnNumberedLine = std::function<void(core::OrderLine&&, std::int64_t line_no)>;

/// The format a file name implies (".csv", ".jsonl", ".ndjson", each optionally with ".gz",
/// ASCII case-insensitive), else kAuto.
Format format_from_name(std::string_view name);

/// Reads orders from `in`, calling `on_line` for every valid row and `on_error` (when set) for
/// every rejected one, in file order. gzip data is recognised by its magic bytes. With kAuto the
/// format comes from `name` (format_from_name), else from the first non-blank byte ('{' means
/// JSON Lines). A UTF-8 byte order mark is skipped.
///
/// CSV: RFC 4180 with a header that must name every required field (order_id, line, user_id,
/// sku, category, quantity, ordered_at; optional: subcategory, pack_size, unit_price,
/// coupon_code; ASCII case-insensitive); other columns are reported in `unknown_columns` and
/// ignored. After an unterminated quoted field or an over-long field, reading resumes at the line
/// after the record's first line. JSON Lines: one object per line with the same keys.
///
/// Throws ReadError (a std::runtime_error) naming `name` on a read error, corrupt or truncated
/// gzip data (naming the line being read: "'x.csv.gz': truncated gzip data (reading line 812)"),
/// a CSV header that misses required columns or names one twice. Rows before such an error have
/// already been delivered. Exceptions thrown by the callbacks propagate.
ReadStats read_orders(std::istream& in, const std::string& name, Format format,
                      const OnLine& on_line, const OnError& on_error);
ReadStats read_orders(std::istream& in, const std::string& name, Format format,
                      const OnNumberedLine& on_line, const OnError& on_error);

/// read_orders() on a file, or on standard input when `path` is "-". Throws ReadError
/// "cannot open 'x': <reason>" when the file cannot be opened.
ReadStats read_order_file(const std::string& path, Format format, const OnLine& on_line,
                          const OnError& on_error);
ReadStats read_order_file(const std::string& path, Format format, const OnNumberedLine& on_line,
                          const OnError& on_error);

}  // namespace replenish::ingest
