// The dispatcher: claims due reminders (a lease, in one transaction), renders each message,
// sends it through the category's channels in fallback order with bounded concurrency, and
// records the outcome: sent, back to planned with backoff, or dead.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "notify/channel.hpp"
#include "notify/consent.hpp"
#include "notify/templates.hpp"
#include "store/store.hpp"

namespace replenish::dispatch {

/// Everything a send needs from the configuration; swapped whole on reload.
struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::map<std::string, std::shared_ptr<notify::Channel>> channels;
  std::shared_ptr<const notify::Templates> templates;
  core::TimeZone tz;  ///< the merchant's, for log lines people read
};

/// Builds channels and templates for a configuration. Throws config::ConfigError. `consents`
/// (the store's ledger in the daemon) is what wechat_subscribe spends; nullptr for checks only.
std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const config::Config> config,
                                            const notify::ChannelRegistry& registry,
                                            notify::ConsentLedger* consents = nullptr);

struct TickResult {
  int claimed = 0;
  int sent = 0;
  int retried = 0;
  int dead = 0;
  int cancelled = 0;
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, const core::Clock& clock, std::shared_ptr<const Runtime> runtime);
  ~Dispatcher();

  void set_runtime(std::shared_ptr<const Runtime> runtime);
  /// Claims one batch of due reminders and sends them; returns what happened.
  TickResult tick();

  /// Delay before retry number `attempt` (1-based): initial x 2^(attempt-1), capped.
  static std::int64_t backoff_seconds(const config::DispatchConfig& cfg, int attempt);

 private:
  std::shared_ptr<const Runtime> runtime() const;
  store::AttemptRecord deliver(const Runtime& rt, const core::Reminder& reminder);

  store::Store& store_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const Runtime> runtime_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  int pool_size_ = 0;
};

}  // namespace replenish::dispatch
