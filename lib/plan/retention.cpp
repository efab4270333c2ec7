#include "plan/retention.hpp"

#include <spdlog/spdlog.h>

#include "core/metrics.hpp"

namespace replenish::plan {

store::RetentionPolicy retention_policy(const config::RetentionConfig& c, core::EpochSeconds now) {
  store::RetentionPolicy p;
  if (c.attempts_days > 0) p.attempts_before = now - c.attempts_days * core::kSecondsPerDay;
  if (c.orders_days > 0) p.orders_before = now - c.orders_days * core::kSecondsPerDay;
  p.keep_lines_per_pair = c.keep_lines_per_pair;
  return p;
}

store::RetentionCounts apply_retention(store::Store& store, const config::RetentionConfig& c,
                                       core::EpochSeconds now, bool dry_run) {
  const auto policy = retention_policy(c, now);
  if (policy.attempts_before == 0 && policy.orders_before == 0) return {};
  const auto counts = store.apply_retention(policy, dry_run);
  if (!dry_run) {
    auto& m = core::metrics();
    m.retention_deleted.at({"attempts"}).inc(static_cast<std::uint64_t>(counts.attempts));
    m.retention_deleted.at({"orders"}).inc(static_cast<std::uint64_t>(counts.orders));
    auto log = spdlog::get("plan");
    if (!log) log = spdlog::default_logger();
    log->info("event=retention_applied attempts_deleted={} orders_deleted={}", counts.attempts,
              counts.orders);
  }
  return counts;
}

}  // namespace replenish::plan
