// Retention: which old attempts and order lines are deleted (retention.* in the config),
// shared by the daemon's timer and `replenishctl retention`.
#pragma once

#include "config/config.hpp"
#include "store/store.hpp"

namespace replenish::plan {

/// The policy in force at `now`: cut-off times from retention.attempts_days / orders_days
/// (0 days = keep: no cut-off).
store::RetentionPolicy retention_policy(const config::RetentionConfig& config,
                                        core::EpochSeconds now);

/// Applies the policy (or only counts, with `dry_run`), logs and counts what went.
store::RetentionCounts apply_retention(store::Store& store, const config::RetentionConfig& config,
                                       core::EpochSeconds now, bool dry_run);

}  // namespace replenish::plan
