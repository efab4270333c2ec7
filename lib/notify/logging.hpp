// The notify module's logger and the helpers that keep its key=value lines safe: recipient ids
// that identify a person outside the shop (openids) are hashed, free text is quoted.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace replenish::notify {

/// The logger named "notify"; created on first use with the default logger's sinks and level
/// when the daemon has not registered one.
std::shared_ptr<spdlog::logger> logger();

/// A stable, non-reversible stand-in for an identifier that must not be logged in clear:
/// "h:" + the first 12 hex digits of its SHA-256 ("" for an empty id). The same id always gives
/// the same value, so log lines can still be correlated.
std::string hashed_id(std::string_view id);

/// `text` in double quotes with `"` and `\` escaped and control characters as \n, \r, \t or
/// \xNN, so that a value never breaks a key=value log line.
std::string quote_text(std::string_view text);

}  // namespace replenish::notify
