#include "api/log_format.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>

#include <chrono>
#include <string_view>

namespace replenish::api {
namespace {

void put(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

/// Appends `s` as a JSON string body (without quotes): quotes, backslashes and control
/// characters escaped; UTF-8 passes through.
void append_escaped(spdlog::memory_buf_t& dest, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '"':
        put(dest, "\\\"");
        break;
      case '\\':
        put(dest, "\\\\");
        break;
      case '\n':
        put(dest, "\\n");
        break;
      case '\r':
        put(dest, "\\r");
        break;
      case '\t':
        put(dest, "\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<int>(c));
        } else {
          dest.push_back(c);
        }
    }
  }
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto since_epoch = msg.time.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
  const std::time_t t = secs.count();
  fmt::format_to(std::back_inserter(dest), R"({{"ts":"{:%Y-%m-%dT%H:%M:%S}.{:03d}Z","level":")",
                 fmt::gmtime(t), millis);
  const auto level = spdlog::level::to_string_view(msg.level);
  put(dest, std::string_view(level.data(), level.size()));
  put(dest, R"(","logger":")");
  append_escaped(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
  dest.push_back('"');
  const std::string_view text(msg.payload.data(), msg.payload.size());
  if (text.rfind("event=", 0) == 0) {
    const auto end = text.find(' ');
    put(dest, R"(,"event":")");
    append_escaped(dest, text.substr(6, end == std::string_view::npos ? end : end - 6));
    dest.push_back('"');
  }
  put(dest, R"(,"msg":")");
  append_escaped(dest, text);
  put(dest, "\"}\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

std::unique_ptr<spdlog::formatter> make_log_formatter(const std::string& format) {
  if (format == "json") return std::make_unique<JsonLogFormatter>();
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %-10n %v");
}

}  // namespace replenish::api
