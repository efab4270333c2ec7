// The dispatcher: claims due reminders (a lease, in one transaction), looks up their users and
// channel opt-outs for the whole batch, renders each message, sends it through the category's
// channels in fallback order with bounded concurrency, and records the outcome (sent, back to
// planned with backoff, or dead) through the OutcomeWriter, which commits outcomes in groups.
// Every outcome of a tick is committed before the next claim.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "coupon/issuer.hpp"
#include "dispatch/outcome_writer.hpp"
#include "notify/channel.hpp"
#include "notify/consent.hpp"
#include "notify/templates.hpp"
#include "store/store.hpp"

namespace replenish::dispatch {

/// Everything a send needs from the configuration; swapped whole on reload.
struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::map<std::string, std::shared_ptr<notify::Channel>> channels;
  /// Instances with a `concurrency` or `rate_per_second` option, by name.
  std::map<std::string, std::shared_ptr<notify::ChannelLimiter>> limiters;
  std::shared_ptr<const notify::Templates> templates;
  core::TimeZone tz;  ///< the merchant's, for log lines people read
  /// Campaign findings that do not stop the daemon (plan::check_campaigns); logged at start-up
  /// and printed by config checks.
  config::Issues warnings;
};

/// Builds channels and templates for a configuration and checks its campaigns against them
/// (plan::check_campaigns). Throws config::ConfigError. `consents`
/// (the store's ledger in the daemon) is what wechat_subscribe spends; nullptr for checks only.
std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const config::Config> config,
                                            const notify::ChannelRegistry& registry,
                                            notify::ConsentLedger* consents = nullptr,
                                            notify::Pacer& pacer = notify::Pacer::real());

/// The users of one claimed batch and their channel opt-outs, read in one go.
class Recipients {
 public:
  Recipients() = default;
  Recipients(std::map<std::string, store::UserRecord> users,
             std::set<std::pair<std::string, std::string>> optouts)
      : users_(std::move(users)), optouts_(std::move(optouts)) {}
  /// Reads the users of `batch` from the store.
  static Recipients load(store::Store& store, const std::vector<core::Reminder>& batch);

  const store::UserRecord* user(const std::string& user_id) const;
  bool opted_out(const std::string& user_id, const std::string& channel) const;
  /// Remembers an opt-out made during the batch (the store has it too).
  void add_optout(const std::string& user_id, const std::string& channel);

 private:
  std::map<std::string, store::UserRecord> users_;
  mutable std::mutex mu_;  // guards optouts_, which grows while the batch is sent
  std::set<std::pair<std::string, std::string>> optouts_;
};

/// The message for a reminder: recipient, rendered text and template variables. The one place a
/// reminder becomes a message (`user` may be nullptr: a user the store does not know).
notify::Message prepare_message(const Runtime& runtime, const core::Reminder& reminder,
                                const store::UserRecord* user);

/// The template a reminder's message uses before channel variants: the one its campaign rule
/// named, else the one named after its kind, else "replenish".
std::string template_of(const Runtime& runtime, const core::Reminder& reminder);

struct TickResult {
  int claimed = 0;
  int sent = 0;
  int retried = 0;
  int dead = 0;
  int cancelled = 0;
  /// Back to planned, not counted as an attempt: held back by quiet hours, the send window or
  /// the cap, or a channel was over its limits.
  int deferred = 0;
  int merged = 0;  ///< sent as part of another reminder's message
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, const core::Clock& clock, std::shared_ptr<const Runtime> runtime);
  ~Dispatcher();

  void set_runtime(std::shared_ptr<const Runtime> runtime);
  /// Commits every outstanding outcome, claims one batch of due reminders (or takes the one
  /// the previous tick claimed ahead) and sends them; returns when all of them are sent and
  /// recorded. A full batch means more are due: the next batch is then claimed while this one
  /// is sent, leased like any claim (the destructor puts it back if no tick comes for it). Not
  /// to be called from two threads at once.
  TickResult tick();

  /// Sends one rendered test message through channel instance `channel` to `user_id` (the
  /// operator's `channel test`): the variables of the user's latest reminder in `category` (any
  /// category when empty), else sample ones; kind "test", a fresh key, nothing stored. Returns
  /// {"channel", "type", "outcome", "provider_id", "detail", "ms", "message": {key, user_id,
  /// category, kind, has_openid, text}}. Throws std::out_of_range for an unknown channel and
  /// std::invalid_argument for an unknown category.
  nlohmann::json send_test(const std::string& channel, const std::string& user_id,
                           const std::string& category = "");

  /// Delay before retry number `attempt` (1-based): initial x 2^(attempt-1), capped.
  static std::int64_t backoff_seconds(const config::DispatchConfig& cfg, int attempt);
  /// How long a send may wait for its channel's concurrency or rate limit before the reminder
  /// is deferred: 5 s, or a quarter of the lease when that is shorter.
  static std::chrono::milliseconds max_limit_wait(const config::DispatchConfig& cfg);

 private:
  std::shared_ptr<const Runtime> runtime() const;
  /// Sends one claimed reminder through its channels, with the reminders merged into its
  /// message; returns the attempts to record (the reminder's first, then the merged ones').
  std::vector<store::AttemptRecord> deliver(const Runtime& rt, coupon::Issuer* issuer,
                                            const core::Reminder& reminder,
                                            const std::vector<core::Reminder>& merged,
                                            Recipients& recipients);
  /// The record that puts a reminder back because `channel` had no room within the wait.
  store::AttemptRecord deferral(const core::Reminder& reminder, const std::string& channel,
                                std::chrono::nanoseconds retry_in) const;

  /// Claims up to a batch of due reminders for the next tick, in small steps.
  void prefetch(const config::DispatchConfig& dc);
  /// Puts the reminders claimed for a tick that will not come back in the queue.
  void release_prefetched();

  store::Store& store_;
  const core::Clock& clock_;
  std::vector<core::Reminder> prefetched_;  ///< claimed by the last tick for the next one
  mutable std::mutex mu_;
  std::shared_ptr<const Runtime> runtime_;
  std::shared_ptr<coupon::Issuer> issuer_;  ///< for runtime_'s coupon rules
  std::unique_ptr<OutcomeWriter> writer_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  int pool_size_ = 0;
};

}  // namespace replenish::dispatch
