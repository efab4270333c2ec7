#include "notify/utf8.hpp"

namespace replenish::notify::utf8 {
namespace {

bool in(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

/// Byte length of the well-formed sequence starting at `i` (Unicode Table 3-7), 0 when the
/// bytes there are ill-formed.
std::size_t sequence_at(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

/// Bytes of the character at `i`: the sequence, or 1 for an ill-formed byte.
std::size_t step_at(std::string_view s, std::size_t i) {
  const std::size_t n = sequence_at(s, i);
  return n == 0 ? 1 : n;
}

}  // namespace

bool valid(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sequence_at(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); i += step_at(text, i)) ++count;
  return count;
}

std::string truncate(std::string_view text, std::size_t max_chars) {
  if (max_chars == 0) return {};
  std::size_t count = 0;
  std::size_t keep_end = 0;  // byte offset after the first max_chars - 1 characters
  for (std::size_t i = 0; i < text.size(); i += step_at(text, i)) {
    if (count == max_chars - 1) keep_end = i;
    if (++count > max_chars) {
      std::string out(text.substr(0, keep_end));
      out += kEllipsis;
      return out;
    }
  }
  return std::string(text);
}

std::string strip_line_breaks(std::string_view text, std::string_view replacement) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\r') {
      out += replacement;
      i += (i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
    } else if (c == '\n') {
      out += replacement;
      ++i;
    } else if (text.compare(i, 2, "\xC2\x85") == 0) {
      out += replacement;
      i += 2;
    } else if (text.compare(i, 3, "\xE2\x80\xA8") == 0 || text.compare(i, 3, "\xE2\x80\xA9") == 0) {
      out += replacement;
      i += 3;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace replenish::notify::utf8
