#include "ingest/order_reader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "ingest/csv.hpp"
#include "ingest/fields.hpp"
#include "ingest/json_orders.hpp"

namespace replenish::ingest {
namespace {

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// Skips a UTF-8 byte order mark at the start of the data.
void skip_bom(InputBuffer& buf) {
  buf.fill_to(3);
  if (buf.view().substr(0, 3) == "\xEF\xBB\xBF") buf.consume(3);
}

/// '{' as the first non-blank byte means JSON Lines.
Format sniff(InputBuffer& buf) {
  constexpr std::size_t kLimit = 1024 * 1024;
  std::size_t checked = 0;
  for (;;) {
    const std::string_view v = buf.view();
    for (; checked < v.size(); ++checked) {
      if (!is_blank(v[checked])) return v[checked] == '{' ? Format::kJsonl : Format::kCsv;
    }
    if (checked > kLimit || !buf.fill()) return Format::kCsv;
  }
}

/// A CSV header that cannot be used; the message names the problem and the line.
class HeaderError : public ReadError {
 public:
  using ReadError::ReadError;
};

/// Counts rows and hands them out; remembers unknown column names.
class Sink {
 public:
  Sink(ReadStats& stats, const OnNumberedLine& on_line, const OnError& on_error)
      : stats_(stats), on_line_(on_line), on_error_(on_error) {}

  void reject(std::int64_t line_no, std::string reason) {
    ++stats_.rows;
    ++stats_.rejected;
    if (on_error_) on_error_(RowError{line_no, std::move(reason)});
  }

  void validate(std::int64_t line_no, const RecordFields& fields) {
    core::OrderLine line;
    if (auto error = validate_order(fields, line)) {
      reject(line_no, std::move(*error));
      return;
    }
    ++stats_.rows;
    ++stats_.accepted;
    on_line_(std::move(line), line_no);
  }

  void unknown(const std::string& name) {
    if (unknown_seen_.insert(name).second) stats_.unknown_columns.push_back(name);
  }

 private:
  ReadStats& stats_;
  const OnNumberedLine& on_line_;
  const OnError& on_error_;
  std::unordered_set<std::string> unknown_seen_;
};

/// Parses the next CSV record, reading more input as needed. Returns false at the end of input.
/// On a parse error, reports it, skips to the line after the record's first line and goes on.
bool next_csv_record(InputBuffer& buf, CsvParser& parser, std::int64_t& line_no,
                     std::int64_t& record_line, Sink* sink, const std::string& name) {
  for (;;) {
    if (buf.empty() && !buf.fill()) return false;
    const auto status = parser.parse(buf.view(), buf.eof());
    if (status == CsvParser::Status::kNeedMore) {
      buf.fill();
      continue;
    }
    record_line = line_no;
    if (status == CsvParser::Status::kError) {
      if (sink == nullptr) {
        throw HeaderError(fmt::format("'{}': cannot read the header (line {}): {}", name, line_no,
                                      parser.error()));
      }
      sink->reject(record_line, parser.error());
      ++line_no;
      if (!buf.skip_line()) return false;
      continue;
    }
    line_no += parser.newlines();
    buf.consume(parser.consumed());
    return true;
  }
}

bool is_blank_record(const std::vector<std::string_view>& fields) {
  return fields.size() == 1 && trim_blanks(fields[0]).empty();
}

/// ReadError `e` again, naming the line being read when it happened.
[[noreturn]] void rethrow_at(const ReadError& e, std::int64_t line_no) {
  throw ReadError(fmt::format("{} (reading line {})", e.what(), line_no));
}

void read_csv_records(InputBuffer& buf, const std::string& name, Sink& sink, std::int64_t& line_no);

void read_csv(InputBuffer& buf, const std::string& name, Sink& sink) {
  std::int64_t line_no = 1;
  try {
    read_csv_records(buf, name, sink, line_no);
  } catch (const HeaderError&) {
    throw;  // names its line already
  } catch (const ReadError& e) {
    rethrow_at(e, line_no);
  }
}

void read_csv_records(InputBuffer& buf, const std::string& name, Sink& sink,
                      std::int64_t& line_no) {
  CsvParser parser;
  std::int64_t record_line = 0;

  // Header: the first non-blank record.
  do {
    if (!next_csv_record(buf, parser, line_no, record_line, nullptr, name)) return;
  } while (is_blank_record(parser.fields()));

  const std::vector<std::string_view>& header = parser.fields();
  const std::size_t columns = header.size();
  std::vector<int> column_field(columns, -1);
  std::array<bool, kFieldCount> present{};
  std::string names;
  for (std::size_t i = 0; i < columns; ++i) {
    const std::string_view column = trim_blanks(header[i]);
    names += (i == 0 ? "" : ", ") + printable(column, 40);
    const auto field = field_from_name(column);
    if (!field) {
      sink.unknown(column.empty() ? fmt::format("(column {} has no name)", i + 1)
                                  : printable(column, 200));
      continue;
    }
    const auto index = static_cast<std::size_t>(*field);
    if (present[index]) {
      throw HeaderError(
          fmt::format("'{}': the header names column '{}' twice", name, field_name(*field)));
    }
    present[index] = true;
    column_field[i] = static_cast<int>(index);
  }
  std::string missing;
  for (std::size_t f = 0; f < kRequiredFieldCount; ++f) {
    if (!present[f]) {
      missing += (missing.empty() ? "" : ", ") + std::string(field_name(static_cast<Field>(f)));
    }
  }
  if (!missing.empty()) {
    throw HeaderError(fmt::format("'{}': the header lacks required columns: {} (header: {})", name,
                                  missing, printable(names, 300)));
  }

  RecordFields fields;
  while (next_csv_record(buf, parser, line_no, record_line, &sink, name)) {
    const auto& values = parser.fields();
    if (is_blank_record(values)) continue;
    if (values.size() != columns) {
      sink.reject(record_line,
                  fmt::format("row has {} fields, header has {}", values.size(), columns));
      continue;
    }
    for (std::size_t i = 0; i < columns; ++i) {
      if (column_field[i] < 0) continue;
      FieldValue& v = fields[static_cast<std::size_t>(column_field[i])];
      v.kind = FieldValue::Kind::kText;
      v.text = values[i];
    }
    sink.validate(record_line, fields);
  }
}

/// "invalid JSON at column 9: syntax error while parsing value - ..."
std::string json_error(std::string_view line) {
  std::string why = json_syntax_error(line);
  if (why.rfind("line 1, ", 0) == 0) return "invalid JSON at " + why.substr(8);
  return "invalid JSON: " + why;
}

void read_jsonl_lines(InputBuffer& buf, Sink& sink, std::int64_t& line_no);

void read_jsonl(InputBuffer& buf, Sink& sink) {
  std::int64_t line_no = 1;
  try {
    read_jsonl_lines(buf, sink, line_no);
  } catch (const ReadError& e) {
    rethrow_at(e, line_no);
  }
}

void read_jsonl_lines(InputBuffer& buf, Sink& sink, std::int64_t& line_no) {
  RecordFields fields;
  JsonFieldStorage storage;
  const std::function<void(const std::string&)> on_unknown = [&sink](const std::string& key) {
    sink.unknown(printable(key, 200));
  };
  for (;;) {
    std::string_view v = buf.view();
    auto end = v.find('\n');
    std::size_t consumed = end + 1;
    if (end == std::string_view::npos) {
      if (!buf.eof()) {
        if (v.size() > kMaxRecordBytes) {
          sink.reject(line_no, fmt::format("line longer than {} bytes", kMaxRecordBytes));
          ++line_no;
          if (!buf.skip_line()) return;
        } else {
          buf.fill();
        }
        continue;
      }
      if (v.empty()) return;
      end = v.size();
      consumed = v.size();
    }
    std::string_view line = v.substr(0, end);
    const std::int64_t record_line = line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim_blanks(line).empty()) {
      buf.consume(consumed);
      continue;
    }
    if (line.size() > kMaxRecordBytes) {
      sink.reject(record_line, fmt::format("line longer than {} bytes", kMaxRecordBytes));
    } else if (const std::size_t valid = valid_utf8_prefix(line); valid != line.size()) {
      sink.reject(record_line, fmt::format("invalid UTF-8 at column {}", valid + 1));
    } else {
      const auto object = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
      if (object.is_discarded()) {
        sink.reject(record_line, json_error(line));
      } else if (auto error = fields_from_json(object, fields, storage, on_unknown)) {
        sink.reject(record_line, std::move(*error));
      } else {
        sink.validate(record_line, fields);
      }
    }
    buf.consume(consumed);
  }
}

}  // namespace

Format format_from_name(std::string_view name) {
  if (ends_with_icase(name, ".gz")) name.remove_suffix(3);
  if (ends_with_icase(name, ".csv")) return Format::kCsv;
  if (ends_with_icase(name, ".jsonl") || ends_with_icase(name, ".ndjson")) return Format::kJsonl;
  return Format::kAuto;
}

ReadStats read_orders(std::istream& in, const std::string& name, Format format,
                      const OnLine& on_line, const OnError& on_error) {
  const OnNumberedLine numbered = [&on_line](core::OrderLine&& line, std::int64_t) {
    on_line(std::move(line));
  };
  return read_orders(in, name, format, numbered, on_error);
}

ReadStats read_orders(std::istream& in, const std::string& name, Format format,
                      const OnNumberedLine& on_line, const OnError& on_error) {
  InputSource source(in, name);
  InputBuffer buf(source);
  skip_bom(buf);
  if (format == Format::kAuto) format = format_from_name(name);
  if (format == Format::kAuto) format = sniff(buf);

  ReadStats stats;
  stats.format = format == Format::kJsonl ? "jsonl" : "csv";
  if (source.gzip()) stats.format += ".gz";
  Sink sink(stats, on_line, on_error);
  if (format == Format::kJsonl) {
    read_jsonl(buf, sink);
  } else {
    read_csv(buf, name, sink);
  }
  return stats;
}

ReadStats read_order_file(const std::string& path, Format format, const OnLine& on_line,
                          const OnError& on_error) {
  const OnNumberedLine numbered = [&on_line](core::OrderLine&& line, std::int64_t) {
    on_line(std::move(line));
  };
  return read_order_file(path, format, numbered, on_error);
}

ReadStats read_order_file(const std::string& path, Format format, const OnNumberedLine& on_line,
                          const OnError& on_error) {
  if (path == "-") return read_orders(std::cin, path, format, on_line, on_error);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ReadError("cannot open '" + path + "': is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ReadError("cannot open '" + path + "': " + std::strerror(errno));
  return read_orders(in, path, format, on_line, on_error);
}

}  // namespace replenish::ingest
