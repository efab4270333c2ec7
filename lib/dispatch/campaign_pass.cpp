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
/// The kinds that merge, each only with its own kind: reminders of several categories become
/// one reminder, and their follow-ups (which come due together) one follow-up.
bool merges(const std::string& kind) {
  return kind == "replenish" || kind == "follow_up";
}
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
          : std::map<std::string, std::vector<store::Store::MergeCandidate>>{};

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
    // The user's messages, soonest first: when merging is on, replenish reminders ride together
    // in the first one's message, and so do follow-ups; a win-back is a message of its own.
    std::vector<std::vector<std::size_t>> messages;
    std::map<std::string, std::size_t> merged_message;  // kind -> index in `messages`
    for (const auto i : idx) {
      if (plan.merge_window_hours > 0 && merges(batch[i].kind)) {
        const auto [it, added] = merged_message.emplace(batch[i].kind, messages.size());
        if (added) messages.push_back({});
        messages[it->second].push_back(i);
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
      const std::size_t carrier = members.front();
      if (plan.merge_window_hours <= 0 || !merges(batch[carrier].kind)) continue;
      // The batch's own reminders first (soonest first), then those claimed for the message.
      for (std::size_t k = 1; k < members.size(); ++k) {
        plans[members[k]].action = SendPlan::Action::kMerged;
        plans[members[k]].carrier = batch[carrier].id;
        plans[carrier].merged.push_back(batch[members[k]]);
      }
      // Planned reminders of the same kind due within the merge window join the message.
      if (const auto it = mergeable.find(user_id); it != mergeable.end()) {
        std::vector<std::int64_t> ids;
        for (const auto& candidate : it->second) {
          if (candidate.kind != batch[carrier].kind) continue;
          const bool in_batch = std::any_of(
              idx.begin(), idx.end(), [&](std::size_t i) { return batch[i].id == candidate.id; });
          if (!in_batch) ids.push_back(candidate.id);
        }
        if (!ids.empty()) {
          for (auto& claimed : store.claim_ids(ids, now, config.dispatch.lease_seconds)) {
            plans[carrier].merged.push_back(std::move(claimed));
          }
        }
      }
    }
  }
  return plans;
}

}  // namespace replenish::dispatch
