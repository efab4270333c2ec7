// RFC 4180 records, parsed in place: quoted fields with commas, doubled quotes and line breaks,
// CRLF or LF line ends. Blanks around a quoted field are tolerated; a quote inside an unquoted
// field is kept as an ordinary character.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace replenish::ingest {

/// Longest record accepted, in bytes.
inline constexpr std::size_t kMaxRecordBytes = 1024 * 1024;

class CsvParser {
 public:
  enum class Status {
    kRecord,    ///< fields() holds one record of consumed() bytes
    kNeedMore,  ///< the record continues past the data given: call again with more
    kError,     ///< error() says why; the record cannot be read
  };

  /// Parses the record at the start of `data`; `eof` says that nothing follows `data`.
  /// Never returns kNeedMore when `eof` is true.
  Status parse(std::string_view data, bool eof);

  /// The fields of the last record, valid until the next parse() and while `data` is.
  /// Quoted fields are unquoted; nothing is trimmed except the CR of a CRLF line end.
  const std::vector<std::string_view>& fields() const { return fields_; }
  /// Bytes of the last record, including its line end.
  std::size_t consumed() const { return consumed_; }
  /// Line feeds inside and at the end of the last record.
  std::int64_t newlines() const { return newlines_; }
  /// Why the last parse failed: "unterminated quoted field", "field longer than 65536 bytes",
  /// "unexpected character after the closing quote of field 3"...
  const std::string& error() const { return error_; }

 private:
  struct Span {
    std::size_t begin;
    std::size_t size;
    bool in_scratch;
  };
  Status fail(std::string reason);
  Status finish(std::string_view data, std::size_t consumed);

  std::vector<Span> spans_;
  std::vector<std::string_view> fields_;
  std::string scratch_;  // unescaped text of quoted fields with doubled quotes
  std::size_t consumed_ = 0;
  std::int64_t newlines_ = 0;
  std::string error_;
};

}  // namespace replenish::ingest
