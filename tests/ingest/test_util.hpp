// Helpers shared by the ingest tests.
#pragma once

#include <zlib.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ingest/order_reader.hpp"

namespace replenish::ingest::test {

struct ReadResult {
  ReadStats stats;
  std::vector<core::OrderLine> lines;
  std::vector<RowError> errors;
};

inline ReadResult read_text(const std::string& data, const std::string& name = "test.csv",
                            Format format = Format::kAuto) {
  ReadResult r;
  std::istringstream in(data);
  r.stats = read_orders(
      in, name, format, [&](core::OrderLine&& line) { r.lines.push_back(std::move(line)); },
      [&](const RowError& e) { r.errors.push_back(e); });
  return r;
}

/// "3: reason\n4: reason\n" — readable in a failed CHECK.
inline std::string describe(const std::vector<RowError>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::to_string(e.line_no) + ": " + e.reason + "\n";
  return out;
}

/// One gzip member holding `data`.
inline std::string gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

}  // namespace replenish::ingest::test
