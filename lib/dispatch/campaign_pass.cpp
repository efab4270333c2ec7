#include "dispatch/campaign_pass.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "dispatch/dispatcher.hpp"
#include "plan/engine.hpp"
#include "plan/timing.hpp"

namespace replenish::dispatch {

using core::EpochSeconds;
using core::kSecondsPerDay;

namespace {
constexpr const char* kReplenish = "replenish";  ///< the only kind that merges
}  // namespace

EpochSeconds cap_frees_at(const std::vector<EpochSeconds>& sends, int max_messages, int period_days,
                          EpochSeconds now) {
  const auto n = static_cast<std::ptrdiff_t>(sends.size());
  if (n < max_messages) return now;
  // The window must drop n - max + 1 sends; the last of those leaves it one period after it
  // was sent (the window is (now - period, now]).
  return std::max(now, sends[static_cast<std::size_t>(n - max_messages)] +
                           static_cast<EpochSeconds>(period_days) * kSecondsPerDay);
}

std::vector<SendPlan> plan_batch(store::Store& store, const config::Config& config,
                                 const Recipients& recipients,
                                 const std::vector<core::Reminder>& batch, EpochSeconds now) {
  std::vector<SendPlan> plans(batch.size());
  const auto& plan = config.plan;
  const auto merchant_tz = core::TimeZone::locate(config.merchant.timezone);

  // The batch by user, each user's reminders soonest first.
  std::map<std::string, std::vector<std::size_t>> by_user;
  for (std::size_t i = 0; i < batch.size(); ++i) by_user[batch[i].user_id].push_back(i);
  std::vector<std::string> users;
  for (auto& [user, idx] : by_user) {
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return batch[a].due_at < batch[b].due_at;
    });
    users.push_back(user);
  }
  const EpochSeconds window = static_cast<EpochSeconds>(config.caps.period_days) * kSecondsPerDay;
  const auto sends = store.recent_sends(users, now - window);
  const auto mergeable =
      plan.merge_window_hours > 0
          ? store.merge_candidates(users,
                                   now + static_cast<EpochSeconds>(plan.merge_window_hours) * 3600)
          : std::map<std::string, std::vector<std::int64_t>>{};

  for (const auto& entry : by_user) {
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    const std::string& user_id = entry.first;
    const std::vector<std::size_t>& idx = entry.second;
    const auto* user = recipients.user(user_id);
    if (user && user->opted_out) continue;  // the sender cancels each of them
    const core::TimeZone tz = plan::user_time_zone(
        user ? std::optional<store::UserRecord>(*user) : std::nullopt, merchant_tz);
    const auto defer_all = [&](EpochSeconds until, const std::string& reason) {
      for (const auto i : idx) {
        plans[i].action = SendPlan::Action::kDefer;
        plans[i].defer_until = until;
        plans[i].reason = reason;
      }
    };
    if (!plan::allowed_at(now, plan, tz)) {
      defer_all(plan::next_allowed(now, plan, tz),
                fmt::format("deferred: outside the send window or in quiet hours ({})", tz.name()));
      continue;
    }
    std::vector<EpochSeconds> recent;
    if (const auto it = sends.find(user_id); it != sends.end()) recent = it->second;
    const auto cap_reason = fmt::format("deferred: cap of {} messages in {} days",
                                        config.caps.max_messages, config.caps.period_days);
    // The user's messages, soonest first: replenish reminders ride together in the first one's
    // (when merging is on); a follow-up or win-back is a message of its own.
    std::vector<std::vector<std::size_t>> messages;
    std::ptrdiff_t digest = -1;  // index in `messages` of the replenish message
    for (const auto i : idx) {
      if (plan.merge_window_hours > 0 && batch[i].kind == kReplenish) {
        if (digest < 0) {
          digest = static_cast<std::ptrdiff_t>(messages.size());
          messages.push_back({});
        }
        messages[static_cast<std::size_t>(digest)].push_back(i);
      } else {
        messages.push_back({i});
      }
    }
    for (std::size_t m = 0; m < messages.size(); ++m) {
      const auto& members = messages[m];
      const EpochSeconds frees =
          cap_frees_at(recent, config.caps.max_messages, config.caps.period_days, now);
      if (frees > now) {
        for (const auto i : members) {
          plans[i].action = SendPlan::Action::kDefer;
          plans[i].defer_until = plan::next_allowed(frees, plan, tz);
          plans[i].reason = cap_reason;
        }
        continue;
      }
      recent.push_back(now);  // the message counts once, however many categories it lists
      if (static_cast<std::ptrdiff_t>(m) != digest) continue;
      const std::size_t carrier = members.front();
      for (std::size_t k = 1; k < members.size(); ++k) {
        plans[members[k]].action = SendPlan::Action::kMerged;
        plans[members[k]].carrier = batch[carrier].id;
      }
      // Planned replenish reminders due within the merge window join the message.
      if (const auto it = mergeable.find(user_id); it != mergeable.end()) {
        std::vector<std::int64_t> ids;
        for (const auto id : it->second) {
          const bool in_batch =
              std::any_of(idx.begin(), idx.end(), [&](std::size_t i) { return batch[i].id == id; });
          if (!in_batch) ids.push_back(id);
        }
        if (!ids.empty()) {
          plans[carrier].merged = store.claim_ids(ids, now, config.dispatch.lease_seconds);
        }
      }
      for (std::size_t k = 1; k < members.size(); ++k) {
        plans[carrier].merged.push_back(batch[members[k]]);
      }
    }
  }
  return plans;
}

}  // namespace replenish::dispatch
