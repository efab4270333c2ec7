#include "plan/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "model/model.hpp"

namespace replenish::plan {
namespace {

using core::EpochSeconds;
using core::kSecondsPerDay;
using core::ReminderState;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("plan");
    return l ? l : spdlog::default_logger()->clone("plan");
  }();
  return log;
}

}  // namespace

std::string reminder_key(const std::string& user_id, const std::string& category,
                         const std::string& kind, EpochSeconds based_on) {
  const std::string material =
      fmt::format("{}\x1f{}\x1f{}\x1f{}", user_id, category, kind, based_on);
  return "rmd_" + core::sha256_hex(material).substr(0, 24);
}

EpochSeconds send_slot(std::int64_t day, const config::PlanConfig& plan, const core::TimeZone& tz,
                       EpochSeconds now) {
  const int at = plan.send_hour * 3600 + plan.send_minute * 60;
  EpochSeconds slot = tz.at_local(day, at);
  if (slot >= now) return slot;
  const std::int64_t today = tz.local_day(now);
  slot = tz.at_local(today, at);
  return slot >= now ? slot : tz.at_local(today + 1, at);
}

std::string chinese_date(EpochSeconds t, const core::TimeZone& tz) {
  const auto d = tz.local_date(t);
  return fmt::format("{}月{}日", d.month, d.day);
}

Engine::Engine(std::shared_ptr<const config::Config> config, store::Store& store,
               const core::Clock& clock)
    : store_(store), clock_(clock) {
  set_config(std::move(config));
}

void Engine::set_config(std::shared_ptr<const config::Config> config) {
  Snapshot s;
  s.tz = core::TimeZone::locate(config->merchant.timezone);
  s.mapper = std::make_shared<const ingest::CategoryMapper>(config->categories);
  s.config = std::move(config);
  std::lock_guard lock(mu_);
  snap_ = std::move(s);
}

std::shared_ptr<const config::Config> Engine::config() const {
  return snapshot().config;
}

Engine::Snapshot Engine::snapshot() const {
  std::lock_guard lock(mu_);
  return snap_;
}

std::string Engine::periodic_of(const core::OrderLine& line) const {
  const auto s = snapshot();
  const int idx = s.mapper->map(line.category, line.subcategory);
  return idx < 0 ? std::string() : s.config->categories[static_cast<std::size_t>(idx)].slug;
}

IngestSummary Engine::ingest(const std::vector<core::OrderLine>& lines, bool plan) {
  const auto s = snapshot();
  IngestSummary summary;
  summary.received = static_cast<std::int64_t>(lines.size());
  std::vector<store::LineRecord> records;
  records.reserve(lines.size());
  for (const auto& l : lines) {
    store::LineRecord r;
    r.line = l;
    const int idx = s.mapper->map(l.category, l.subcategory);
    if (idx >= 0) r.periodic = s.config->categories[static_cast<std::size_t>(idx)].slug;
    r.amount = l.quantity;
    records.push_back(std::move(r));
  }
  const EpochSeconds now = clock_.now();
  store_.with_transaction([&] {
    auto added = store_.add_orders(records, now);
    summary.stored = added.stored;
    summary.duplicates = added.duplicates;
    summary.conflicts = added.conflicts;
    summary.conflict_rows = std::move(added.conflict_rows);
    for (const auto& r : records) summary.periodic += r.periodic.empty() ? 0 : 1;
    if (!plan) {
      summary.touched.insert(added.touched_pairs.begin(), added.touched_pairs.end());
      return;
    }
    for (const auto& [user, category] : added.touched_pairs) {
      const auto o = replan(user, category);
      ++summary.pairs_updated;
      summary.planned += o.planned;
      summary.cancelled += o.cancelled;
      summary.converted += o.converted;
    }
  });
  return summary;
}

void Engine::replan_pairs(const std::set<PairKey>& pairs, IngestSummary& summary, int batch) {
  auto it = pairs.begin();
  while (it != pairs.end()) {
    store_.with_transaction([&] {
      for (int i = 0; i < batch && it != pairs.end(); ++i, ++it) {
        const auto o = replan(it->first, it->second);
        ++summary.pairs_updated;
        summary.planned += o.planned;
        summary.cancelled += o.cancelled;
        summary.converted += o.converted;
      }
    });
  }
}

PairOutcome Engine::replan(const std::string& user_id, const std::string& category) {
  const auto s = snapshot();
  const config::CategoryConfig* cat = s.config->category(category);
  PairOutcome out;
  if (!cat) return out;  // category removed from the config: keep the history, plan nothing
  const EpochSeconds now = clock_.now();

  std::vector<model::LineEvent> events;
  for (const auto& l : store_.pair_lines(user_id, category)) {
    events.push_back(model::LineEvent{l.at, l.amount});
  }
  const auto purchases = model::to_purchases(std::move(events), s.tz);
  if (purchases.empty()) return out;
  model::Params params;
  params.interval_level = s.config->model.interval_level;
  const auto prediction =
      model::predict(purchases, model::default_prior(cat->default_cycle_days), params, now);
  const auto& last = purchases.back();
  const bool lapsed =
      prediction.lapsed ||
      now > prediction.hi + static_cast<EpochSeconds>(prediction.cycle_days * kSecondsPerDay);

  store::PairState state;
  state.user_id = user_id;
  state.category = category;
  state.purchases = static_cast<int>(purchases.size());
  state.last_at = last.at;
  state.last_amount = last.amount;
  state.cycle_days = prediction.cycle_days;
  state.next_at = prediction.next_at;
  state.lo = prediction.lo;
  state.hi = prediction.hi;
  state.intervals = prediction.intervals;
  state.lapsed = lapsed;
  state.updated_at = now;
  store_.save_pair(state);

  // Earlier reminders: a purchase after a sent one is a conversion; a planned one based on an
  // older purchase is superseded by this purchase.
  bool current_exists = false;
  for (const auto& r : store_.pair_reminders(user_id, category)) {
    if (r.based_on == last.at && r.kind == "replenish") {
      current_exists = true;
      continue;
    }
    if (r.based_on >= last.at) continue;
    if (r.state == ReminderState::kPlanned) {
      if (store_.transition(r.id, ReminderState::kPlanned, ReminderState::kCancelled,
                            "superseded: bought on " + s.tz.format_local(last.at), now)) {
        ++out.cancelled;
        logger()->info("event=reminder_cancelled id={} user={} category={} reason=repurchase", r.id,
                       user_id, category);
      }
    } else if (r.state == ReminderState::kSent && last.at >= r.due_at) {
      if (store_.transition(r.id, ReminderState::kSent, ReminderState::kConverted,
                            "bought on " + s.tz.format_local(last.at), now)) {
        ++out.converted;
        logger()->info("event=reminder_converted id={} user={} category={}", r.id, user_id,
                       category);
      }
    }
  }
  if (current_exists || lapsed) return out;

  const std::int64_t need_day = s.tz.local_day(prediction.next_at);
  const EpochSeconds due = send_slot(need_day - cat->lead_days, s.config->plan, s.tz, now);
  const auto days_since = static_cast<std::int64_t>((due - last.at) / kSecondsPerDay);
  nlohmann::json vars = {
      {"shop_name", s.config->merchant.name},
      {"user_id", user_id},
      {"category", category},
      {"category_name", cat->name},
      {"last_purchase_date", chinese_date(last.at, s.tz)},
      {"days_since_last", days_since},
      {"predicted_date", chinese_date(prediction.next_at, s.tz)},
      {"due_date", chinese_date(due, s.tz)},
      {"kind", "replenish"},
      {"coupon_code", ""},
      {"coupon_value", ""},
      {"coupon_expiry", ""},
  };
  core::Reminder r;
  r.key = reminder_key(user_id, category, "replenish", last.at);
  r.user_id = user_id;
  r.category = category;
  r.kind = "replenish";
  r.based_on = last.at;
  r.due_at = due;
  r.state = ReminderState::kPlanned;
  r.payload = nlohmann::json{{"vars", vars}}.dump();
  r.next_attempt_at = due;
  r.created_at = now;
  out.reminder_id = store_.insert_reminder(r);
  if (out.reminder_id != 0) {
    ++out.planned;
    logger()->info(
        "event=reminder_planned id={} key={} user={} category={} due=\"{}\" need=\"{}\" "
        "cycle_days={:.1f} intervals={}",
        out.reminder_id, r.key, user_id, category, s.tz.format_local(due),
        s.tz.format_local(prediction.next_at), prediction.cycle_days, prediction.intervals);
  }
  return out;
}

}  // namespace replenish::plan
