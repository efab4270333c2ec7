// `log` channel: writes the rendered message to the "notify" logger instead of sending it.
// The demo and dry runs use it; it always delivers.
//
//   channels:
//     console:
//       type: log
//       level: info   # optional: info (default) or warn
//       # concurrency, rate_per_second: as for every type (notify/limits.hpp)
//
// One line per message:
//   event=reminder_delivered channel=console kind=replenish reminder=KEY user=U category=C
//   openid=h:… text="…"
// (openid only when the message has one, and then hashed.) Provider id: "log-" + key.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "notify/channel.hpp"

namespace replenish::notify {

class LogChannel final : public Channel {
 public:
  static constexpr const char* kType = "log";

  LogChannel(std::string name, spdlog::level::level_enum level);

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Outcome send(const Message& message) override;

 private:
  std::string name_;
  std::string type_ = kType;
  spdlog::level::level_enum level_;
  std::shared_ptr<spdlog::logger> logger_;
};

/// ChannelFactory for `type: log`.
std::unique_ptr<Channel> make_log_channel(const std::string& name, config::Reader& options,
                                          const ChannelContext& context);

}  // namespace replenish::notify
