// Dispatcher::send_test: one message through one channel instance, for `replenishctl channel
// test`, with the daemon's live channels and secrets.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "dispatch/dispatcher.hpp"
#include "plan/engine.hpp"

namespace replenish::dispatch {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("dispatch");
    return l ? l : spdlog::default_logger()->clone("dispatch");
  }();
  return log;
}

/// Variables for a user without a reminder: today's dates around a 30-day cycle.
nlohmann::json sample_vars(const config::Config& cfg, const config::CategoryConfig& cat,
                           const std::string& user_id, core::EpochSeconds now,
                           const core::TimeZone& tz) {
  const auto day = core::kSecondsPerDay;
  return {{"shop_name", cfg.merchant.name},
          {"user_id", user_id},
          {"category", cat.slug},
          {"category_name", cat.name.empty() ? cat.slug : cat.name},
          {"last_purchase_date", plan::chinese_date(now - 28 * day, tz)},
          {"days_since_last", 28},
          {"predicted_date", plan::chinese_date(now + cat.lead_days * day, tz)},
          {"due_date", plan::chinese_date(now, tz)},
          {"kind", "test"},
          {"coupon_code", ""},
          {"coupon_value", ""},
          {"coupon_expiry", ""}};
}

}  // namespace

nlohmann::json Dispatcher::send_test(const std::string& channel, const std::string& user_id,
                                     const std::string& category) {
  const auto rt = runtime();
  const auto it = rt->channels.find(channel);
  if (it == rt->channels.end()) throw std::out_of_range("no channel named '" + channel + "'");
  const auto& cfg = *rt->config;
  if (!category.empty() && !cfg.category(category)) {
    throw std::invalid_argument("unknown category '" + category + "'");
  }
  const auto now = clock_.now();

  core::Reminder r;  // never stored
  store::ReminderFilter f;
  f.user_id = user_id;
  f.category = category;
  f.limit = 10000;
  const auto existing = store_.list_reminders(f);
  if (!existing.empty()) {
    r.category = existing.back().category;  // the latest
    r.payload = existing.back().payload;
  } else {
    const auto* cat = category.empty() ? &cfg.categories.front() : cfg.category(category);
    r.category = cat->slug;
    r.payload = nlohmann::json{{"vars", sample_vars(cfg, *cat, user_id, now, rt->tz)}}.dump();
  }
  r.key = fmt::format("test-{}-{}", channel,
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
  r.user_id = user_id;
  r.kind = "test";
  r.due_at = now;
  const auto user = store_.user(user_id);
  const notify::Message msg = prepare_message(*rt, r, user ? &*user : nullptr);

  notify::Outcome outcome;
  const auto start = std::chrono::steady_clock::now();
  notify::ChannelLimiter::Permit permit;
  const auto lim = rt->limiters.find(channel);
  if (lim != rt->limiters.end()) permit = lim->second->acquire(max_limit_wait(cfg.dispatch));
  if (lim != rt->limiters.end() && !permit) {
    outcome = notify::Outcome::retryable(
        "not sent: the channel is at its concurrency or rate "
        "limit; try again");
  } else {
    outcome = it->second->send(msg);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  logger()->info("event=channel_test channel={} user={} key={} outcome={} ms={}", channel, user_id,
                 msg.key, notify::to_string(outcome.kind), ms);
  nlohmann::json out = {{"channel", channel},
                        {"type", it->second->type()},
                        {"outcome", notify::to_string(outcome.kind)},
                        {"provider_id", outcome.provider_id},
                        {"detail", outcome.detail},
                        {"ms", ms},
                        {"message",
                         {{"key", msg.key},
                          {"user_id", msg.user_id},
                          {"category", msg.category},
                          {"kind", msg.kind},
                          {"has_openid", !msg.openid.empty()},
                          {"text", msg.text}}}};
  if (outcome.retry_after_seconds) out["retry_after_seconds"] = *outcome.retry_after_seconds;
  return out;
}

}  // namespace replenish::dispatch
