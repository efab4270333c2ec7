// The one plug point for delivery: a Channel sends one rendered Message and says what happened.
//
// Error contract: send() never throws for an expected outcome. A gateway that answered with a
// success is kDelivered (with the provider's id when it gives one); an error that may pass
// (timeout, connection reset, rate limit, 5xx) is kRetryable, with a retry_after hint when the
// gateway gives one; an error that will not pass by retrying (bad recipient, rejected content,
// 4xx) is kPermanent with the reason; a channel that cannot be used for this user (no consent,
// no openid, opted out) is kSkipped, so that the dispatcher tries the next channel in the
// fallback order. Exceptions are only for bugs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "core/clock.hpp"
#include "core/types.hpp"
#include "notify/limits.hpp"

namespace replenish::notify {

class ConsentLedger;

/// What a channel delivers: the reminder's identity, recipient and rendered content.
struct Message {
  std::int64_t reminder_id = 0;
  std::string key;  ///< stable idempotency key of the reminder
  std::string user_id;
  std::string openid;  ///< WeChat openid when known (never logged in clear)
  /// WeChat openids by appid, when the user has several: an Official Account and a mini-program
  /// give the same person different openids. A WeChat channel uses the one of its appid, else
  /// `openid`.
  std::map<std::string, std::string> openids;
  std::string category;  ///< slug
  std::string kind;      ///< replenish, follow_up, win_back, test
  core::EpochSeconds due_at = 0;
  std::string text;     ///< rendered care message (UTF-8)
  nlohmann::json vars;  ///< the variables the text was rendered from
};

struct Outcome {
  enum class Kind { kDelivered, kRetryable, kPermanent, kSkipped };
  Kind kind = Kind::kPermanent;
  std::string provider_id;                          ///< delivered: the gateway's message id
  std::string detail;                               ///< human-readable reason or status
  std::optional<std::int64_t> retry_after_seconds;  ///< retryable: the gateway's hint

  static Outcome delivered(std::string provider_id = {}, std::string detail = "ok");
  static Outcome retryable(std::string detail, std::optional<std::int64_t> after = std::nullopt);
  static Outcome permanent(std::string detail);
  static Outcome skipped(std::string detail);
};

const char* to_string(Outcome::Kind kind);

class Channel {
 public:
  virtual ~Channel() = default;
  /// Instance name from the config ("shop_webhook").
  virtual const std::string& name() const = 0;
  /// Registered type name ("webhook").
  virtual const std::string& type() const = 0;
  /// Sends one message; safe to call from several threads at once.
  virtual Outcome send(const Message& message) = 0;
};

/// Shared services a channel may use.
struct ChannelContext {
  /// Wall-clock time for protocol timestamps (webhook signatures, token expiry). Pass the real
  /// clock even when reminders run on simulated time: a receiver compares these timestamps
  /// with its own clock. nullptr = the system clock.
  const core::Clock* clock = nullptr;
  /// Folder that relative paths in options (secret_file, ca_file) are resolved against: the
  /// configuration file's folder.
  std::string base_dir = ".";
  /// Users' one-time consents to subscribe messages (see consent.hpp); wechat_subscribe spends a
  /// credit per message and refuses to be built without a ledger. Must outlive the channels.
  /// nullptr = none.
  ConsentLedger* consents = nullptr;
};

/// Builds a channel instance from its YAML options; reports problems through `options`
/// (Reader::error) and returns nullptr when it cannot build one. The registry has already read
/// `type`, and reports every key the factory did not read as unknown once it returns, so a
/// factory reads each key it accepts and does not call `options.finish()` itself (nested
/// readers it opens with `child()` it finishes itself).
using ChannelFactory = std::function<std::unique_ptr<Channel>(
    const std::string& name, config::Reader& options, const ChannelContext& context)>;

class ChannelRegistry {
 public:
  /// Registers a type; a second registration of one name throws std::logic_error.
  void add(const std::string& type, ChannelFactory factory);
  bool has(const std::string& type) const;
  std::vector<std::string> types() const;
  /// Builds every configured instance. Throws config::ConfigError listing every problem
  /// (unknown type with the known ones, bad or unknown options, duplicate names) with its key
  /// path; builds nothing unless every instance is valid. The options every type accepts
  /// (`concurrency`, `rate_per_second`; see limits.hpp) are read here, before the type's
  /// factory runs, and returned in `limits` (when given) for the instances that set them.
  std::map<std::string, std::shared_ptr<Channel>> build(
      const std::vector<config::ChannelSpec>& specs, const ChannelContext& context,
      std::map<std::string, ChannelLimits>* limits = nullptr) const;

 private:
  std::map<std::string, ChannelFactory> factories_;
};

/// Registers the built-in channel types (log, webhook, …). Called once from main.
void register_builtin_channels(ChannelRegistry& registry);

}  // namespace replenish::notify
