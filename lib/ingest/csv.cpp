#include "ingest/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "ingest/fields.hpp"

namespace replenish::ingest {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

/// Index of the first ',' or '\n' in data[from, limit), or limit.
std::size_t find_separator(std::string_view data, std::size_t from, std::size_t limit) {
  const char* p = data.data() + from;
  const char* end = data.data() + limit;
  while (p < end && *p != ',' && *p != '\n') ++p;
  return static_cast<std::size_t>(p - data.data());
}

}  // namespace

CsvParser::Status CsvParser::fail(std::string reason) {
  error_ = std::move(reason);
  return Status::kError;
}

CsvParser::Status CsvParser::finish(std::string_view data, std::size_t consumed) {
  consumed_ = consumed;
  fields_.clear();
  for (const Span& s : spans_) {
    fields_.emplace_back(s.in_scratch ? std::string_view(scratch_).substr(s.begin, s.size)
                                      : data.substr(s.begin, s.size));
  }
  return Status::kRecord;
}

CsvParser::Status CsvParser::parse(std::string_view data, bool eof) {
  spans_.clear();
  scratch_.clear();
  newlines_ = 0;
  const std::size_t n = data.size();
  std::size_t p = 0;
  for (;;) {
    if (p > kMaxRecordBytes)
      return fail(fmt::format("record longer than {} bytes", kMaxRecordBytes));
    std::size_t q = p;
    while (q < n && is_space(data[q])) ++q;
    if (q < n && data[q] == '"') {
      // Quoted field: runs to the next quote that is not doubled.
      const std::size_t start = q + 1;
      std::size_t i = start;
      bool escaped = false;
      const std::size_t scratch_begin = scratch_.size();
      std::size_t close = 0;
      for (;;) {
        const void* hit = std::memchr(data.data() + i, '"', n - i);
        const std::size_t at =
            hit != nullptr ? static_cast<std::size_t>(static_cast<const char*>(hit) - data.data())
                           : n;
        if (at - start > kMaxFieldBytes) {
          return fail(fmt::format("field longer than {} bytes", kMaxFieldBytes));
        }
        newlines_ += std::count(data.data() + i, data.data() + at, '\n');
        if (escaped) scratch_.append(data.substr(i, at - i));
        if (at == n) return eof ? fail("unterminated quoted field") : Status::kNeedMore;
        if (at + 1 == n && !eof) return Status::kNeedMore;  // a doubled quote may follow
        if (at + 1 < n && data[at + 1] == '"') {
          if (!escaped) {
            escaped = true;
            scratch_.append(data.substr(start, at - start));
          }
          scratch_.push_back('"');
          i = at + 2;
          continue;
        }
        close = at;
        break;
      }
      if (escaped) {
        spans_.push_back(Span{scratch_begin, scratch_.size() - scratch_begin, true});
      } else {
        spans_.push_back(Span{start, close - start, false});
      }
      p = close + 1;
      while (p < n && is_space(data[p])) ++p;
      if (p == n) {
        if (!eof) return Status::kNeedMore;
        return finish(data, p);
      }
      if (data[p] == ',') {
        ++p;
        continue;
      }
      if (data[p] == '\n') {
        ++newlines_;
        return finish(data, p + 1);
      }
      if (data[p] == '\r') {
        if (p + 1 == n) return eof ? finish(data, p + 1) : Status::kNeedMore;
        if (data[p + 1] == '\n') {
          ++newlines_;
          return finish(data, p + 2);
        }
      }
      return fail(
          fmt::format("unexpected character after the closing quote of field {}", spans_.size()));
    }

    // Unquoted field: runs to the next comma or line feed.
    const std::size_t limit = std::min(n, p + kMaxFieldBytes + 2);
    const std::size_t e = find_separator(data, p, limit);
    std::size_t end = e;
    if (end > p && data[end - 1] == '\r' && (e == n || data[e] == '\n')) --end;  // CRLF
    if (end - p > kMaxFieldBytes) {
      return fail(fmt::format("field longer than {} bytes", kMaxFieldBytes));
    }
    if (e == n && !eof) return Status::kNeedMore;
    spans_.push_back(Span{p, end - p, false});
    if (e == n) return finish(data, n);
    if (data[e] == ',') {
      p = e + 1;
      continue;
    }
    ++newlines_;
    return finish(data, e + 1);
  }
}

}  // namespace replenish::ingest
