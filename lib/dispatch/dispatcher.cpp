#include "dispatch/dispatcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <latch>

#include "notify/channels/wechat_template.hpp"

namespace replenish::dispatch {
namespace {

using core::EpochSeconds;
using core::ReminderState;
using notify::Outcome;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("dispatch");
    return l ? l : spdlog::default_logger()->clone("dispatch");
  }();
  return log;
}

}  // namespace

std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const config::Config> config,
                                            const notify::ChannelRegistry& registry,
                                            notify::ConsentLedger* consents) {
  auto rt = std::make_shared<Runtime>();
  notify::ChannelContext ctx;  // wall-clock time for signatures, even on a simulated clock
  ctx.base_dir = config->base_dir;
  ctx.consents = consents;
  rt->channels = registry.build(config->channels, ctx);
  rt->templates = std::make_shared<const notify::Templates>(
      notify::Templates::with_defaults(config->templates));
  rt->tz = core::TimeZone::locate(config->merchant.timezone);
  rt->config = std::move(config);
  return rt;
}

Dispatcher::Dispatcher(store::Store& store, const core::Clock& clock,
                       std::shared_ptr<const Runtime> runtime)
    : store_(store), clock_(clock) {
  set_runtime(std::move(runtime));
}

Dispatcher::~Dispatcher() {
  if (pool_) pool_->join();
}

void Dispatcher::set_runtime(std::shared_ptr<const Runtime> runtime) {
  std::lock_guard lock(mu_);
  const int wanted = runtime->config->dispatch.concurrency;
  if (!pool_ || wanted != pool_size_) {
    if (pool_) pool_->join();
    pool_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(wanted));
    pool_size_ = wanted;
  }
  runtime_ = std::move(runtime);
}

std::shared_ptr<const Runtime> Dispatcher::runtime() const {
  std::lock_guard lock(mu_);
  return runtime_;
}

std::int64_t Dispatcher::backoff_seconds(const config::DispatchConfig& cfg, int attempt) {
  double delay = cfg.backoff_initial_seconds;
  for (int i = 1; i < attempt && delay < cfg.backoff_max_seconds; ++i) delay *= 2;
  return std::min<std::int64_t>(static_cast<std::int64_t>(delay), cfg.backoff_max_seconds);
}

TickResult Dispatcher::tick() {
  const auto rt = runtime();
  const auto& dc = rt->config->dispatch;
  TickResult result;
  const auto batch = store_.claim_due(clock_.now(), dc.batch, dc.lease_seconds);
  result.claimed = static_cast<int>(batch.size());
  if (batch.empty()) return result;

  // Each outcome is recorded as soon as its send returns, so that a crash can only repeat the
  // sends that were in flight at that moment.
  std::vector<core::ReminderState> states(batch.size(), ReminderState::kDead);
  std::latch done(static_cast<std::ptrdiff_t>(batch.size()));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    boost::asio::post(*pool_, [&, i] {
      store::AttemptRecord rec;
      try {
        rec = deliver(*rt, batch[i]);
      } catch (const std::exception& e) {
        // A bug in a channel must not lose the reminder: retry it later.
        rec.reminder_id = batch[i].id;
        rec.outcome = "retryable";
        rec.detail = std::string("internal error: ") + e.what();
        rec.new_state = ReminderState::kPlanned;
        rec.at = clock_.now();
        rec.next_attempt_at = rec.at + backoff_seconds(dc, batch[i].attempts);
      }
      try {
        store_.finish_attempt(rec);
        states[i] = rec.new_state;
      } catch (const std::exception& e) {
        // Left 'sending': the lease runs out and the reminder is claimed again.
        logger()->error("event=record_failed id={} reason=\"{}\"", rec.reminder_id, e.what());
        states[i] = ReminderState::kSending;
      }
      done.count_down();
    });
  }
  done.wait();

  for (const auto state : states) {
    switch (state) {
      case ReminderState::kSent:
        ++result.sent;
        break;
      case ReminderState::kPlanned:
        ++result.retried;
        break;
      case ReminderState::kCancelled:
        ++result.cancelled;
        break;
      case ReminderState::kSending:
        break;
      default:
        ++result.dead;
        break;
    }
  }
  return result;
}

store::AttemptRecord Dispatcher::deliver(const Runtime& rt, const core::Reminder& r) {
  const auto& cfg = *rt.config;
  store::AttemptRecord rec;
  rec.reminder_id = r.id;

  const auto user = store_.user(r.user_id);
  if (user && user->opted_out) {
    rec.at = clock_.now();
    rec.outcome = "skipped";
    rec.detail = "user opted out";
    rec.new_state = ReminderState::kCancelled;
    logger()->info("event=reminder_cancelled id={} reason=opted_out", r.id);
    return rec;
  }

  notify::Message msg;
  msg.reminder_id = r.id;
  msg.key = r.key;
  msg.user_id = r.user_id;
  msg.openid = user ? user->openid : std::string();
  msg.category = r.category;
  msg.kind = r.kind;
  msg.due_at = r.due_at;
  const auto payload = nlohmann::json::parse(r.payload, nullptr, false);
  msg.vars =
      payload.is_object() && payload.contains("vars") ? payload["vars"] : nlohmann::json::object();
  msg.text = rt.templates->render(rt.templates->has(r.kind) ? r.kind : "replenish", msg.vars);

  const auto* cat = cfg.category(r.category);
  const auto& order = cat && !cat->channels.empty() ? cat->channels : cfg.default_channels;
  std::string tried;
  Outcome outcome = Outcome::permanent("no channel configured");
  std::string used;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& name : order) {
    const auto it = rt.channels.find(name);
    if (it == rt.channels.end()) continue;
    used = name;
    if (store_.channel_opted_out(r.user_id, name)) {
      outcome = Outcome::skipped("user opted out of this channel");
    } else {
      outcome = it->second->send(msg);
    }
    if (outcome.kind == Outcome::Kind::kDelivered || outcome.kind == Outcome::Kind::kRetryable) {
      break;
    }
    if (notify::is_user_blocked(outcome)) {
      // The user blocked us there: nothing more goes out on this channel.
      store_.set_channel_optout(r.user_id, name, outcome.detail, clock_.now());
      logger()->info("event=channel_optout user={} channel={} reason=user_blocked", r.user_id,
                     name);
    }
    tried += fmt::format("{}: {} ({}); ", name, notify::to_string(outcome.kind), outcome.detail);
  }
  rec.ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
               .count();
  rec.at = clock_.now();
  rec.channel = used;
  rec.outcome = notify::to_string(outcome.kind);
  const bool settled =
      outcome.kind == Outcome::Kind::kDelivered || outcome.kind == Outcome::Kind::kRetryable;
  if (settled || tried.empty()) {
    rec.detail = tried + outcome.detail;
  } else {
    rec.detail = tried.substr(0, tried.size() - 2);  // every channel's reason is in `tried`
  }
  switch (outcome.kind) {
    case Outcome::Kind::kDelivered:
      rec.new_state = ReminderState::kSent;
      rec.provider_id = outcome.provider_id;
      rec.detail = outcome.detail;
      logger()->info("event=reminder_sent id={} key={} channel={} attempt={} ms={} due=\"{}\"",
                     r.id, r.key, used, r.attempts, rec.ms, rt.tz.format_local(r.due_at));
      break;
    case Outcome::Kind::kRetryable:
      if (r.attempts >= cfg.dispatch.max_attempts) {
        rec.new_state = ReminderState::kDead;
        rec.detail = fmt::format("gave up after {} attempts: {}", r.attempts, rec.detail);
        logger()->warn("event=reminder_dead id={} key={} channel={} reason=\"{}\"", r.id, r.key,
                       used, rec.detail);
      } else {
        rec.new_state = ReminderState::kPlanned;
        std::int64_t delay = backoff_seconds(cfg.dispatch, r.attempts);
        if (outcome.retry_after_seconds) delay = std::max(delay, *outcome.retry_after_seconds);
        rec.next_attempt_at = rec.at + delay;
        logger()->warn(
            "event=reminder_retry id={} key={} channel={} attempt={} in_s={} reason=\"{}\"", r.id,
            r.key, used, r.attempts, delay, outcome.detail);
      }
      break;
    case Outcome::Kind::kPermanent:
    case Outcome::Kind::kSkipped:
      rec.new_state = ReminderState::kDead;
      logger()->warn("event=reminder_dead id={} key={} reason=\"{}\"", r.id, r.key, rec.detail);
      break;
  }
  return rec;
}

}  // namespace replenish::dispatch
