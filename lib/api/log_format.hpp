// Log line formats for replenishd: `text` (a pattern for people) or `json` (one JSON object per
// line for log shippers: ts, level, logger, event when the message starts with event=, msg).
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace replenish::api {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

/// The formatter for logging.format ("text" or "json").
std::unique_ptr<spdlog::formatter> make_log_formatter(const std::string& format);

}  // namespace replenish::api
