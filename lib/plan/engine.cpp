#include "plan/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "ingest/pack_size.hpp"
#include "model/prior.hpp"

namespace replenish::plan {
namespace {

using core::EpochSeconds;
using core::kSecondsPerDay;
using core::ReminderState;

std::optional<model::PackSize> to_model_size(std::optional<double> value, const std::string& unit) {
  if (!value || *value <= 0) return std::nullopt;
  if (unit == "g") return model::PackSize{*value, model::SizeUnit::kGram};
  if (unit == "ml") return model::PackSize{*value, model::SizeUnit::kMillilitre};
  if (unit == "pc") return model::PackSize{*value, model::SizeUnit::kPiece};
  return std::nullopt;
}

const char* unit_name(model::SizeUnit unit) {
  switch (unit) {
    case model::SizeUnit::kGram:
      return "g";
    case model::SizeUnit::kMillilitre:
      return "ml";
    case model::SizeUnit::kPiece:
      return "pc";
  }
  return "";
}

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("plan");
    return l ? l : spdlog::default_logger()->clone("plan");
  }();
  return log;
}

}  // namespace

std::optional<model::PackSize> line_pack_size(const core::OrderLine& line) {
  auto size = ingest::parse_pack_size(line.pack_size);
  if (!size) size = ingest::find_pack_size_in_text(line.subcategory);
  if (!size) return std::nullopt;
  return to_model_size(size->value, std::string(ingest::unit_name(size->unit)));
}

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
    if (idx >= 0) {
      r.periodic = s.config->categories[static_cast<std::size_t>(idx)].slug;
      if (const auto size = line_pack_size(l)) {
        r.pack_value = size->value;
        r.pack_unit = unit_name(size->unit);
      }
    }
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

  const CategoryModel cm = category_model(*cat);
  auto purchases = purchases_of(store_.pair_lines(user_id, category), cm.reference, s.tz);
  // A purchase dated after now (clock skew, a bad feed) does not count until its time comes.
  while (!purchases.empty() && purchases.back().at > now) purchases.pop_back();
  if (purchases.empty()) return out;
  const auto prediction = model::predict(purchases, cm.prior, params_of(*s.config), now, s.tz);
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

model::Params Engine::params_of(const config::Config& config) {
  model::Params p;
  p.interval_level = config.model.interval_level;
  p.min_population = config.model.min_population;
  return p;
}

std::vector<core::Purchase> Engine::purchases_of(const std::vector<store::PairLine>& lines,
                                                 const std::optional<model::PackSize>& reference,
                                                 const core::TimeZone& tz) {
  std::vector<model::LineEvent> events;
  events.reserve(lines.size());
  for (const auto& l : lines) {
    events.push_back(model::LineEvent{
        l.at, model::line_amount(l.quantity, to_model_size(l.pack_value, l.pack_unit), reference)});
  }
  return model::to_purchases(std::move(events), tz);
}

Engine::CategoryModel Engine::category_model(const config::CategoryConfig& category) const {
  std::shared_ptr<const std::map<std::string, CategoryModel>> models;
  std::shared_ptr<const config::Config> config;
  {
    std::lock_guard lock(mu_);
    models = models_;
    config = snap_.config;
  }
  const auto it = models->find(category.slug);
  if (it != models->end()) return it->second;
  return CategoryModel{model::default_prior(category.default_cycle_days, params_of(*config)),
                       std::nullopt};
}

void Engine::load_priors() {
  const auto s = snapshot();
  const auto params = params_of(*s.config);
  auto models = std::make_shared<std::map<std::string, CategoryModel>>();
  for (const auto& r : store_.priors()) {
    const auto* cat = s.config->category(r.category);
    if (!cat) continue;
    CategoryModel cm;
    cm.prior = model::default_prior(cat->default_cycle_days, params);
    cm.prior.m = r.m;
    cm.prior.s = r.s;
    cm.prior.sigma = r.sigma;
    cm.prior.beta = r.beta;
    cm.prior.n_users = r.n_users;
    cm.prior.learned_m = r.learned_m;
    cm.prior.learned_weight = r.learned_weight;
    cm.prior.fallback = r.learned_weight <= 0;
    cm.reference = to_model_size(r.ref_value, r.ref_unit);
    (*models)[r.category] = cm;
  }
  std::lock_guard lock(mu_);
  models_ = std::move(models);
}

std::vector<Engine::PriorSummary> Engine::refresh_priors() {
  const auto s = snapshot();
  const auto params = params_of(*s.config);
  const EpochSeconds now = clock_.now();
  std::map<std::string, CategoryModel> fresh;
  std::map<std::string, model::PriorBuilder> builders;
  for (const auto& cat : s.config->categories) {
    std::vector<model::PackSize> sizes;
    for (const auto& [value, unit] : store_.pack_sizes(cat.slug)) {
      if (auto size = to_model_size(value, unit)) sizes.push_back(*size);
    }
    fresh[cat.slug].reference = model::reference_size(sizes);
    builders.emplace(cat.slug, model::PriorBuilder(cat.default_cycle_days, params));
  }
  store_.for_each_pair([&](const std::string&, const std::string& category,
                           const std::vector<store::PairLine>& lines) {
    auto b = builders.find(category);
    if (b == builders.end()) return;
    b->second.add(purchases_of(lines, fresh[category].reference, s.tz), s.tz, now);
  });
  std::vector<PriorSummary> out;
  store_.with_transaction([&] {
    for (auto& [slug, builder] : builders) {
      auto& cm = fresh[slug];
      cm.prior = builder.build();
      store::PriorRecord r;
      r.category = slug;
      r.m = cm.prior.m;
      r.s = cm.prior.s;
      r.sigma = cm.prior.sigma;
      r.beta = cm.prior.beta;
      r.n_users = cm.prior.n_users;
      r.learned_m = cm.prior.learned_m;
      r.learned_weight = cm.prior.fallback ? 0 : cm.prior.learned_weight;
      if (cm.reference) {
        r.ref_value = cm.reference->value;
        r.ref_unit = unit_name(cm.reference->unit);
      }
      r.updated_at = now;
      store_.save_prior(r);
      out.push_back(PriorSummary{slug, cm.prior.n_users, std::exp(cm.prior.m), !cm.prior.fallback});
    }
  });
  auto models = std::make_shared<const std::map<std::string, CategoryModel>>(std::move(fresh));
  std::lock_guard lock(mu_);
  models_ = std::move(models);
  return out;
}

}  // namespace replenish::plan
