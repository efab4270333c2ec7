#include "notify/channels/log.hpp"

#include <fmt/format.h>

#include "notify/logging.hpp"
#include "notify/options.hpp"

namespace replenish::notify {

LogChannel::LogChannel(std::string name, spdlog::level::level_enum level)
    : name_(std::move(name)), level_(level), logger_(logger()) {}

Outcome LogChannel::send(const Message& message) {
  std::string line = fmt::format(
      "event=reminder_delivered channel={} kind={} reminder={} user={} "
      "category={}",
      name_, message.kind, message.key, message.user_id, message.category);
  if (!message.openid.empty()) line += " openid=" + hashed_id(message.openid);
  line += " text=" + quote_text(message.text);
  logger_->log(level_, line);
  return Outcome::delivered("log-" + message.key);
}

std::unique_ptr<Channel> make_log_channel(const std::string& name, config::Reader& options,
                                          const ChannelContext& /*context*/) {
  const std::string level = given(options, "level") ? options.get_string("level", "info") : "info";
  if (level != "info" && level != "warn") {
    options.error("level", "must be info or warn, got '" + level + "'");
    return nullptr;
  }
  return std::make_unique<LogChannel>(name,
                                      level == "warn" ? spdlog::level::warn : spdlog::level::info);
}

}  // namespace replenish::notify
