// UTF-8 text helpers for message fields with limits counted in characters (code points), such as
// WeChat template fields (at most 20 characters, no line breaks).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace replenish::notify::utf8 {

/// The ellipsis truncate() appends: U+2026 "…", one character.
inline constexpr std::string_view kEllipsis = "\xE2\x80\xA6";

/// True when `text` is well-formed UTF-8: no stray continuation bytes, no truncated or overlong
/// sequences, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool valid(std::string_view text);

/// Number of code points. Each byte that does not start a well-formed sequence counts as one.
std::size_t length(std::string_view text);

/// `text` when it has at most `max_chars` code points; otherwise its first `max_chars - 1` code
/// points followed by "…", so that the result has exactly `max_chars`. Never splits a sequence
/// (an ill-formed byte counts as one character and is kept as is). max_chars 0 gives "".
std::string truncate(std::string_view text, std::size_t max_chars);

/// Replaces every line break (LF, CR, CR LF as one, NEL U+0085, LINE SEPARATOR U+2028,
/// PARAGRAPH SEPARATOR U+2029) with `replacement` (by default removes them).
std::string strip_line_breaks(std::string_view text, std::string_view replacement = "");

}  // namespace replenish::notify::utf8
