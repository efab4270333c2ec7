// What happens to a claimed batch before any channel is tried, per user, in order:
//   1. quiet hours and the send window, in the user's time zone: outside them the reminder is
//      deferred to the next allowed minute (a retry that lands at night waits for the morning);
//   2. merging (plan.merge_window_hours > 0): the user's replenish reminders in the batch, and
//      their planned replenish reminders due within the merge window (claimed here), ride in
//      the soonest one's message, which lists their categories (template "digest"); the same
//      for follow-ups, among themselves (their own template, listing the categories); a
//      win-back is always a message of its own;
//   3. the cap, message by message, soonest first: with caps.max_messages messages in the last
//      caps.period_days days a message is deferred until the rolling window frees a slot,
//      moved into the send window. A merged message counts once.
// A deferral is not an attempt. Held-out reminders are never claimed, so never reach this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/types.hpp"
#include "store/store.hpp"

namespace replenish::dispatch {

class Recipients;

struct SendPlan {
  enum class Action { kSend, kDefer, kMerged };
  Action action = Action::kSend;
  core::EpochSeconds defer_until = 0;  ///< kDefer
  std::string reason;                  ///< kDefer: why, for the record and the log
  std::int64_t carrier = 0;            ///< kMerged: the reminder whose message lists this one
  /// kSend: reminders whose categories this message lists too (claimed, in 'sending').
  std::vector<core::Reminder> merged;
};

/// One SendPlan per reminder of `batch` (same order). Reads the users' recent messages and
/// mergeable reminders with one query each; claims the planned reminders it merges.
std::vector<SendPlan> plan_batch(store::Store& store, const config::Config& config,
                                 const Recipients& recipients,
                                 const std::vector<core::Reminder>& batch, core::EpochSeconds now);

/// The slot the cap frees: with `sends` (ascending) in the rolling window, the time at which
/// fewer than `max_messages` remain in it; `now` when there is room already.
core::EpochSeconds cap_frees_at(const std::vector<core::EpochSeconds>& sends, int max_messages,
                                int period_days, core::EpochSeconds now);

}  // namespace replenish::dispatch
