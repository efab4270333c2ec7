#include "dispatch/dispatcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <optional>
#include <set>

#include "core/metrics.hpp"
#include "dispatch/campaign_pass.hpp"
#include "notify/channels/wechat_template.hpp"
#include "plan/campaigns.hpp"
#include "plan/engine.hpp"
#include "plan/segments.hpp"

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

/// A merged reminder whose message did not go out: back to wait for its own time, not charged
/// an attempt.
store::AttemptRecord released_record(const core::Reminder& m, EpochSeconds at,
                                     const std::string& why) {
  store::AttemptRecord back;
  back.reminder_id = m.id;
  back.at = at;
  back.outcome = "released";
  back.detail = why;
  back.new_state = ReminderState::kPlanned;
  back.next_attempt_at = std::max(at, m.due_at);
  back.refund_attempt = true;
  return back;
}

}  // namespace

std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const config::Config> config,
                                            const notify::ChannelRegistry& registry,
                                            notify::ConsentLedger* consents, notify::Pacer& pacer) {
  auto rt = std::make_shared<Runtime>();
  notify::ChannelContext ctx;  // wall-clock time for signatures, even on a simulated clock
  ctx.base_dir = config->base_dir;
  ctx.consents = consents;
  std::map<std::string, notify::ChannelLimits> limits;
  rt->channels = registry.build(config->channels, ctx, &limits);
  for (const auto& [name, limit] : limits) {
    rt->limiters[name] = std::make_shared<notify::ChannelLimiter>(limit, pacer);
  }
  rt->templates = std::make_shared<const notify::Templates>(
      notify::Templates::with_defaults(config->templates));
  rt->tz = core::TimeZone::locate(config->merchant.timezone);
  auto check = plan::check_campaigns(*config, *rt->templates);
  if (!check.errors.empty()) throw config::ConfigError(std::move(check.errors));
  rt->warnings = std::move(check.warnings);
  rt->config = std::move(config);
  return rt;
}

Recipients Recipients::load(store::Store& store, const std::vector<core::Reminder>& batch) {
  std::vector<std::string> ids;
  ids.reserve(batch.size());
  for (const auto& r : batch) ids.push_back(r.user_id);
  return Recipients(store.users(ids), store.channel_optouts(ids));
}

const store::UserRecord* Recipients::user(const std::string& user_id) const {
  const auto it = users_.find(user_id);
  return it == users_.end() ? nullptr : &it->second;
}

bool Recipients::opted_out(const std::string& user_id, const std::string& channel) const {
  std::lock_guard lock(mu_);
  return optouts_.count({user_id, channel}) > 0 || optouts_.count({user_id, "*"}) > 0;
}

void Recipients::add_optout(const std::string& user_id, const std::string& channel) {
  std::lock_guard lock(mu_);
  optouts_.emplace(user_id, channel);
}

Dispatcher::Dispatcher(store::Store& store, const core::Clock& clock,
                       std::shared_ptr<const Runtime> runtime)
    : store_(store), clock_(clock) {
  const auto& dc = runtime->config->dispatch;
  writer_ =
      std::make_unique<OutcomeWriter>(store_, std::chrono::milliseconds(dc.commit_interval_ms),
                                      static_cast<std::size_t>(dc.commit_max));
  set_runtime(std::move(runtime));
}

Dispatcher::~Dispatcher() {
  if (pool_) pool_->join();
  release_prefetched();
  writer_.reset();  // commits what the last sends recorded
}

void Dispatcher::set_runtime(std::shared_ptr<const Runtime> runtime) {
  std::lock_guard lock(mu_);
  const auto& dc = runtime->config->dispatch;
  const int wanted = dc.concurrency;
  if (!pool_ || wanted != pool_size_) {
    if (pool_) pool_->join();
    pool_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(wanted));
    pool_size_ = wanted;
  }
  writer_->set_limits(std::chrono::milliseconds(dc.commit_interval_ms),
                      static_cast<std::size_t>(dc.commit_max));
  static const core::SystemClock wall;  // signs coupon service requests
  issuer_ = std::make_shared<coupon::Issuer>(runtime->config, store_, wall);
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

std::chrono::milliseconds Dispatcher::max_limit_wait(const config::DispatchConfig& cfg) {
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(5),
                                             std::chrono::milliseconds(cfg.lease_seconds * 250));
}

TickResult Dispatcher::tick() {
  std::shared_ptr<const Runtime> rt;
  std::shared_ptr<coupon::Issuer> issuer;
  {
    std::lock_guard lock(mu_);
    rt = runtime_;
    issuer = issuer_;
  }
  const auto& dc = rt->config->dispatch;
  TickResult result;
  // Whatever an earlier tick recorded is durable before anything can be claimed again.
  writer_->flush();
  const EpochSeconds now = clock_.now();
  // The batch the previous tick claimed while it was sending, else one claimed now.
  std::vector<core::Reminder> batch;
  batch.swap(prefetched_);
  if (batch.empty()) batch = store_.claim_due(now, dc.batch, dc.lease_seconds);
  result.claimed = static_cast<int>(batch.size());
  if (batch.empty()) return result;
  auto recipients = Recipients::load(store_, batch);
  // Quiet hours, the send window, the cap and merging decide per user what goes out now.
  const auto plans = plan_batch(store_, *rt->config, recipients, batch, now);

  // Each outcome goes to the writer as its send returns and is committed within
  // dispatch.commit_interval_ms: a crash repeats only the sends in flight and the outcomes not
  // yet committed.
  const auto before = writer_->counts();
  int campaign_deferred = 0;
  std::vector<std::size_t> to_send;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& p = plans[i];
    if (p.action == SendPlan::Action::kSend) {
      to_send.push_back(i);
    } else if (p.action == SendPlan::Action::kDefer) {
      store::AttemptRecord rec;
      rec.reminder_id = batch[i].id;
      rec.at = now;
      rec.outcome = "deferred";
      rec.detail = p.reason;
      rec.new_state = ReminderState::kPlanned;
      rec.next_attempt_at = p.defer_until;
      rec.refund_attempt = true;
      ++campaign_deferred;
      logger()->info("event=reminder_deferred id={} until=\"{}\" reason=\"{}\"", batch[i].id,
                     rt->tz.format_local(p.defer_until), p.reason);
      writer_->add(std::move(rec));
    }
  }
  // One task per sender, each taking the next message until none is left: no hand-off through
  // the pool's queue per message.
  std::atomic<int> merged_sent{0}, released{0};
  const std::size_t senders =
      std::min<std::size_t>(static_cast<std::size_t>(dc.concurrency), to_send.size());
  std::atomic<std::size_t> next{0};
  std::latch done(static_cast<std::ptrdiff_t>(senders));
  for (std::size_t s = 0; s < senders; ++s) {
    boost::asio::post(*pool_, [&] {
      for (std::size_t n = next++; n < to_send.size(); n = next++) {
        const std::size_t i = to_send[n];
        std::vector<store::AttemptRecord> recs;
        try {
          recs = deliver(*rt, issuer.get(), batch[i], plans[i].merged, recipients);
        } catch (const std::exception& e) {
          // A bug in a channel must not lose the reminder: retry it later.
          store::AttemptRecord rec;
          rec.reminder_id = batch[i].id;
          rec.outcome = "retryable";
          rec.detail = std::string("internal error: ") + e.what();
          rec.new_state = ReminderState::kPlanned;
          rec.at = clock_.now();
          rec.next_attempt_at = rec.at + backoff_seconds(dc, batch[i].attempts);
          logger()->error("event=reminder_retry id={} key={} attempt={} reason=\"{}\"",
                          rec.reminder_id, batch[i].key, batch[i].attempts, rec.detail);
          recs = {rec};
          for (const auto& m : plans[i].merged)
            recs.push_back(released_record(m, rec.at, rec.detail));
        }
        for (std::size_t k = 1; k < recs.size(); ++k) {
          if (recs[k].merged_into != 0) ++merged_sent;
          if (recs[k].new_state == ReminderState::kPlanned) ++released;
        }
        for (auto& rec : recs) writer_->add(std::move(rec));
      }
      done.count_down();
    });
  }
  // A full batch means that more are due: the next batch is claimed while this one is sent,
  // so that the senders do not wait for the claim. It is planned by the next tick, once this
  // batch's outcomes are committed, so the caps and merges see them.
  if (senders > 0 && batch.size() >= static_cast<std::size_t>(dc.batch)) prefetch(dc);
  done.wait();
  writer_->flush();
  const auto after = writer_->counts();
  const auto delta = [&](ReminderState s) { return static_cast<int>(after.of(s) - before.of(s)); };
  result.sent = delta(ReminderState::kSent);
  result.merged = merged_sent;
  result.retried = delta(ReminderState::kPlanned) - campaign_deferred - released;
  result.cancelled = delta(ReminderState::kCancelled);
  result.dead = delta(ReminderState::kDead);
  result.deferred = campaign_deferred + static_cast<int>(after.deferred - before.deferred);
  return result;
}

void Dispatcher::prefetch(const config::DispatchConfig& dc) {
  // In steps: one long claim would hold the store, and so the outcome writer's commits and the
  // senders waiting on them, for its whole length.
  constexpr int kStep = 100;
  while (prefetched_.size() < static_cast<std::size_t>(dc.batch)) {
    const int want = std::min(kStep, dc.batch - static_cast<int>(prefetched_.size()));
    auto part = store_.claim_due(clock_.now(), want, dc.lease_seconds);
    const bool more = static_cast<int>(part.size()) == want;
    prefetched_.insert(prefetched_.end(), std::make_move_iterator(part.begin()),
                       std::make_move_iterator(part.end()));
    if (!more) break;
  }
  // In id order, as one claim returns them.
  std::sort(prefetched_.begin(), prefetched_.end(),
            [](const core::Reminder& a, const core::Reminder& b) { return a.id < b.id; });
}

void Dispatcher::release_prefetched() {
  // Claimed but never tried: back to the queue, due at once, not charged an attempt.
  const EpochSeconds now = clock_.now();
  for (const auto& r : prefetched_) {
    store::AttemptRecord rec;
    rec.reminder_id = r.id;
    rec.deferred = true;
    rec.at = now;
    rec.outcome = "deferred";
    rec.new_state = ReminderState::kPlanned;
    rec.next_attempt_at = now;
    writer_->add(std::move(rec));
  }
  prefetched_.clear();
}

namespace {

/// The template a campaign rule names for when no coupon could be issued ("" = none).
std::string fallback_template(const config::Config& cfg, const core::Reminder& r) {
  const auto* campaign = plan::campaign_named(cfg, r.campaign);
  if (!campaign) return {};
  std::vector<const config::CampaignRule*> rules;
  for (const auto& rule : campaign->rules) rules.push_back(&rule);
  if (campaign->follow_up.enabled) rules.push_back(&campaign->follow_up.rule);
  if (campaign->win_back.enabled) rules.push_back(&campaign->win_back.rule);
  for (const auto* rule : rules) {
    if (rule->template_name == r.template_name && rule->coupon == r.coupon_rule &&
        !rule->fallback_template.empty()) {
      return rule->fallback_template;
    }
  }
  return {};
}

/// The channels a reminder tries, in order: its campaign's, else its category's, else the
/// defaults.
std::vector<std::string> channels_for(const config::Config& cfg, const core::Reminder& r) {
  const auto* cat = cfg.category(r.category);
  const auto* campaign = plan::campaign_named(cfg, r.campaign);
  if (!campaign && cat) campaign = plan::campaign_for(cfg, r.category);
  if (cat && campaign) return plan::channel_order(cfg, *cat, *campaign);
  return cat && !cat->channels.empty() ? cat->channels : cfg.default_channels;
}

}  // namespace

notify::Message prepare_message(const Runtime& rt, const core::Reminder& r,
                                const store::UserRecord* user) {
  notify::Message msg;
  msg.reminder_id = r.id;
  msg.key = r.key;
  msg.user_id = r.user_id;
  msg.openid = user ? user->openid : std::string();
  msg.category = r.category;
  msg.kind = r.kind;
  msg.due_at = r.due_at;
  auto payload = nlohmann::json::parse(r.payload, nullptr, false);
  msg.vars = payload.is_object() && payload.contains("vars") ? std::move(payload["vars"])
                                                             : nlohmann::json::object();
  msg.text = rt.templates->render(template_of(rt, r), msg.vars);
  return msg;
}

std::string template_of(const Runtime& rt, const core::Reminder& r) {
  if (!r.template_name.empty() && rt.templates->has(r.template_name)) return r.template_name;
  return rt.templates->has(r.kind) ? r.kind : "replenish";
}

store::AttemptRecord Dispatcher::deferral(const core::Reminder& r, const std::string& channel,
                                          std::chrono::nanoseconds retry_in) const {
  store::AttemptRecord rec;
  rec.reminder_id = r.id;
  rec.deferred = true;
  rec.at = clock_.now();
  rec.channel = channel;
  rec.outcome = "deferred";
  rec.new_state = ReminderState::kPlanned;
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(retry_in).count();
  rec.next_attempt_at = rec.at + std::max<std::int64_t>(1, seconds);
  rec.detail = fmt::format("channel {} is at its concurrency or rate limit", channel);
  logger()->debug("event=reminder_deferred id={} channel={} in_s={}", r.id, channel,
                  rec.next_attempt_at - rec.at);
  return rec;
}

std::vector<store::AttemptRecord> Dispatcher::deliver(const Runtime& rt, coupon::Issuer* issuer,
                                                      const core::Reminder& r,
                                                      const std::vector<core::Reminder>& merged,
                                                      Recipients& recipients) {
  const auto& cfg = *rt.config;
  std::vector<store::AttemptRecord> out(1);
  // `rec` must stay valid while the merged reminders' records are appended: no reallocation.
  out.reserve(1 + merged.size());
  store::AttemptRecord& rec = out.front();
  rec.reminder_id = r.id;
  // What becomes of the merged reminders once the message's fate is known.
  const auto settle_merged = [&](ReminderState carrier_state, const std::string& channel) {
    for (const auto& m : merged) {
      store::AttemptRecord mr;
      mr.reminder_id = m.id;
      mr.at = rec.at;
      mr.channel = channel;
      if (carrier_state == ReminderState::kSent) {
        mr.outcome = "merged";
        mr.detail = fmt::format("listed in the message of reminder {}", r.id);
        mr.new_state = ReminderState::kSent;
        mr.merged_into = r.id;
      } else if (carrier_state == ReminderState::kCancelled) {
        mr.outcome = "skipped";
        mr.detail = rec.detail;
        mr.new_state = ReminderState::kCancelled;
      } else {
        mr = released_record(
            m, rec.at,
            fmt::format("the message of reminder {} was not sent: {}", r.id, rec.detail));
      }
      out.push_back(std::move(mr));
    }
  };

  const auto* user = recipients.user(r.user_id);
  if (user && user->opted_out) {
    rec.at = clock_.now();
    rec.outcome = "skipped";
    rec.detail = "user opted out";
    rec.new_state = ReminderState::kCancelled;
    logger()->info("event=reminder_cancelled id={} reason=opted_out", r.id);
    settle_merged(ReminderState::kCancelled, "");
    return out;
  }

  // The message is prepared here, once per reminder, before any channel is tried.
  notify::Message msg = prepare_message(rt, r, user);
  std::string base = template_of(rt, r);
  if (!merged.empty()) {
    // One message for several categories lists their names: a reminder in the digest template,
    // a follow-up in its own.
    std::vector<std::string> names;
    names.push_back(r.category);
    for (const auto& m : merged) names.push_back(m.category);
    std::string list;
    std::set<std::string> seen;
    for (const auto& slug : names) {
      if (!seen.insert(slug).second) continue;
      const auto* c = cfg.category(slug);
      list += (list.empty() ? "" : "、") + (c ? c->name : slug);
    }
    msg.vars["category_name"] = list;
    // "N days since you last bought A and B" must hold for each: the most recent purchase.
    const auto days_of = [](const nlohmann::json& vars) -> std::optional<std::int64_t> {
      if (!vars.is_object()) return std::nullopt;
      const auto it = vars.find("days_since_last");
      if (it == vars.end() || !it->is_number_integer()) return std::nullopt;
      return it->get<std::int64_t>();
    };
    if (auto fewest = days_of(msg.vars)) {
      for (const auto& m : merged) {
        const auto payload = nlohmann::json::parse(m.payload, nullptr, false);
        if (!payload.is_object() || !payload.contains("vars")) continue;
        if (const auto days = days_of(payload["vars"]); days && *days < *fewest) fewest = days;
      }
      msg.vars["days_since_last"] = *fewest;
    }
    if (r.kind == "replenish") base = plan::kDigestTemplate;
    logger()->info("event=reminders_merged id={} merged={}", r.id, merged.size());
  }
  if (!r.coupon_rule.empty() && issuer) {
    const EpochSeconds now = clock_.now();
    const auto day = rt.tz.local_day(now);
    const auto result =
        issuer->issue(r.coupon_rule, coupon::IssueRequest{r.id, r.key, r.user_id, r.category}, now,
                      rt.tz.at_local(day, 0), rt.tz.at_local(day + 1, 0));
    if (result.has_coupon()) {
      const auto coupon_vars = result.coupon.template_vars();
      for (const auto& [k, v] : coupon_vars.items()) msg.vars[k] = v;
      rec.coupon_code = result.coupon.code;
    } else if (result.status == coupon::IssueResult::Status::kRetryableError &&
               r.attempts < cfg.dispatch.max_attempts) {
      // The coupon service may answer later: try the whole message again then.
      rec.at = now;
      rec.outcome = "retryable";
      rec.detail = "coupon: " + result.detail;
      rec.new_state = ReminderState::kPlanned;
      std::int64_t delay = backoff_seconds(cfg.dispatch, r.attempts);
      if (result.retry_after_seconds) delay = std::max(delay, *result.retry_after_seconds);
      rec.next_attempt_at = now + delay;
      logger()->warn("event=reminder_retry id={} key={} attempt={} in_s={} reason=\"{}\"", r.id,
                     r.key, r.attempts, delay, rec.detail);
      settle_merged(ReminderState::kPlanned, "");
      return out;
    } else {
      // Sent without a coupon (budget spent, a live coupon already, the service refused), with
      // the rule's fallback text when it has one, and the reason recorded.
      rec.coupon_note = coupon::to_string(result.status);
      if (!result.detail.empty()) rec.coupon_note += ": " + result.detail;
      if (merged.empty()) {
        const auto fallback = fallback_template(cfg, r);
        if (!fallback.empty() && rt.templates->has(fallback)) base = fallback;
      }
      logger()->info("event=coupon_not_issued id={} rule={} status={}", r.id, r.coupon_rule,
                     coupon::to_string(result.status));
    }
  }

  const auto order = channels_for(cfg, r);
  std::string tried;
  Outcome outcome = Outcome::permanent("no channel configured");
  std::string used;
  std::string rendered;  // the template msg.text was last rendered from
  const auto start = std::chrono::steady_clock::now();
  for (const auto& name : order) {
    const auto it = rt.channels.find(name);
    if (it == rt.channels.end()) continue;
    used = name;
    if (recipients.opted_out(r.user_id, name)) {
      outcome = Outcome::skipped("user opted out of this channel");
    } else {
      notify::ChannelLimiter::Permit permit;  // a slot and a token of the instance's limits
      if (const auto lim = rt.limiters.find(name); lim != rt.limiters.end()) {
        notify::Pacer::Duration retry_in{0};
        permit = lim->second->acquire(max_limit_wait(cfg.dispatch), &retry_in);
        if (!permit) {
          // Back for another try, the merged reminders with it (the coupon stays in the ledger,
          // tied to the reminder, and is reused).
          std::vector<store::AttemptRecord> back{deferral(r, name, retry_in)};
          for (const auto& m : merged) {
            back.push_back(released_record(m, back.front().at, back.front().detail));
          }
          return back;
        }
      }
      // The template of this channel ("name@channel", "name@type" or "name").
      const auto tmpl = plan::resolve_template(*rt.templates, base, name, it->second->type());
      if (tmpl != rendered) {
        msg.text = rt.templates->render(tmpl, msg.vars);
        rendered = tmpl;
      }
      outcome = it->second->send(msg);
    }
    if (outcome.kind == Outcome::Kind::kDelivered || outcome.kind == Outcome::Kind::kRetryable) {
      break;
    }
    if (notify::is_user_blocked(outcome)) {
      // The user blocked us there: nothing more goes out on this channel.
      store_.set_channel_optout(r.user_id, name, outcome.detail, clock_.now());
      recipients.add_optout(r.user_id, name);
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
  core::metrics().count_send(used, rec.outcome, rec.ms);
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
      if (logger()->should_log(spdlog::level::info)) {  // spares the time zone lookup
        logger()->info("event=reminder_sent id={} key={} channel={} attempt={} ms={} due=\"{}\"",
                       r.id, r.key, used, r.attempts, rec.ms, rt.tz.format_local(r.due_at));
      }
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
  settle_merged(rec.new_state, used);
  return out;
}

}  // namespace replenish::dispatch
