#include "plan/engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "core/metrics.hpp"
#include "ingest/pack_size.hpp"
#include "model/prior.hpp"
#include "plan/timing.hpp"

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

core::TimeZone user_time_zone(const std::optional<store::UserRecord>& user,
                              const core::TimeZone& fallback) {
  if (!user || user->tz.empty()) return fallback;
  try {
    return core::TimeZone::locate(user->tz);
  } catch (const std::exception&) {
    return fallback;  // checked when it was set; a zone removed from tzdata since falls back
  }
}

std::vector<std::string> channel_order(const config::Config& config,
                                       const config::CategoryConfig& category,
                                       const config::CampaignConfig& campaign) {
  if (!campaign.channels.empty()) return campaign.channels;
  if (!category.channels.empty()) return category.channels;
  return config.default_channels;
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
  return ingest_records(prepare(lines), plan);
}

std::vector<store::LineRecord> Engine::prepare(std::vector<core::OrderLine> lines) const {
  const auto s = snapshot();
  std::vector<store::LineRecord> records(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    store::LineRecord& r = records[i];
    r.line = std::move(lines[i]);
    const int idx = s.mapper->map(r.line.category, r.line.subcategory);
    if (idx >= 0) {
      r.periodic = s.config->categories[static_cast<std::size_t>(idx)].slug;
      if (const auto size = line_pack_size(r.line)) {
        r.pack_value = size->value;
        r.pack_unit = unit_name(size->unit);
      }
    }
  }
  return records;
}

IngestSummary Engine::ingest_records(const std::vector<store::LineRecord>& records, bool plan) {
  IngestSummary summary;
  summary.received = static_cast<std::int64_t>(records.size());
  const EpochSeconds now = clock_.now();
  store_.with_transaction([&] {
    auto added = store_.add_orders(records, now);
    summary.stored = added.stored;
    summary.duplicates = added.duplicates;
    summary.conflicts = added.conflicts;
    summary.conflict_rows = std::move(added.conflict_rows);
    for (const auto& r : records) summary.periodic += r.periodic.empty() ? 0 : 1;
    // A coupon code on a line marks that coupon redeemed (codes from elsewhere are ignored; a
    // conflicting line was not stored, a duplicate finds its coupon already redeemed).
    std::set<std::size_t> conflicting;
    for (const auto& row : summary.conflict_rows) conflicting.insert(row.first);
    for (std::size_t i = 0; i < records.size(); ++i) {
      const auto& line = records[i].line;
      if (line.coupon_code.empty() || conflicting.count(i)) continue;
      const auto r = store_.redeem_coupon(line.coupon_code, line.order_id, line.ordered_at);
      if (r.status == store::RedeemStatus::kRedeemed) ++summary.coupons_redeemed;
    }
    if (!plan) {
      summary.touched = std::move(added.touched_pairs);
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
  core::metrics().count_ingest(summary.stored, summary.duplicates, summary.conflicts);
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

PairOutcome Engine::replan(const std::string& user_id, const std::string& category,
                           const std::vector<store::PairLine>* lines) {
  const auto s = snapshot();
  const config::CategoryConfig* cat = s.config->category(category);
  PairOutcome out;
  if (!cat) return out;  // category removed from the config: keep the history, plan nothing
  const EpochSeconds now = clock_.now();

  const CategoryModel cm = category_model(*cat);
  std::vector<store::PairLine> read;  // the pair's lines when the caller has none at hand
  if (!lines) {
    read = store_.pair_lines(user_id, category);
    lines = &read;
  }
  auto purchases = purchases_of(*lines, cm.reference, s.tz);
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

  const auto user = store_.user(user_id);
  const core::TimeZone tz = user_time_zone(user, s.tz);
  const auto& plan = s.config->plan;

  // Earlier reminders: an order in the category within the attribution window after one went
  // out is its conversion; a pending one based on an older purchase is superseded by this one.
  bool current_exists = false;
  bool win_back_exists = false;
  for (const auto& r : store_.pair_reminders(user_id, category)) {
    attribute(r, *lines, plan, now, out);
    if (r.based_on == last.at) {
      current_exists = current_exists || r.kind == "replenish";
      win_back_exists = win_back_exists || r.kind == "win_back";
      continue;
    }
    if (r.based_on > last.at) continue;
    const bool pending = r.state == ReminderState::kPlanned ||
                         (r.state == ReminderState::kHeldOut && r.due_at > now);
    if (pending && store_.transition(r.id, r.state, ReminderState::kCancelled,
                                     "superseded: bought on " + s.tz.format_local(last.at), now)) {
      ++out.cancelled;
      logger()->info("event=reminder_cancelled id={} user={} category={} reason=repurchase", r.id,
                     user_id, category);
    }
  }
  if (user && user->opted_out) return out;
  const config::CampaignConfig* campaign = campaign_for(*s.config, category);
  if (!campaign) return out;
  const Segments segments = segments_of(segment_input(user_id, state, now), s.config->segments);

  Planned p;
  p.user_id = user_id;
  p.category = cat;
  p.campaign = campaign;
  p.last_at = last.at;
  p.next_at = prediction.next_at;
  if (lapsed) {
    // A lapsed user gets the win-back step once for this purchase, then silence.
    if (win_back_exists || !campaign->win_back.enabled) return out;
    p.kind = "win_back";
    p.rule = &campaign->win_back.rule;
    p.segment = segments.lifecycle;
    p.due = next_allowed(now, plan, tz);
  } else {
    if (current_exists) return out;
    const auto choice = choose_rule(*campaign, segments);
    if (!choice.rule) return out;
    p.kind = "replenish";
    p.rule = choice.rule;
    p.segment = choice.segment;
    p.due = due_time(tz.local_day(prediction.next_at) - cat->lead_days, plan, tz, now);
  }
  out.reminder_id = insert_planned(s, p, tz, now);
  if (out.reminder_id != 0) {
    ++out.planned;
    logger()->info(
        "event=reminder_planned id={} user={} category={} kind={} campaign={} segment={} "
        "held_out={} due=\"{}\" need=\"{}\" cycle_days={:.1f} intervals={}",
        out.reminder_id, user_id, category, p.kind, campaign->name, p.segment,
        in_holdout(s.config->holdout.salt, user_id, s.config->holdout.share),
        tz.format_local(p.due), tz.format_local(prediction.next_at), prediction.cycle_days,
        prediction.intervals);
  }
  return out;
}

Segments Engine::segments_of_pair(const store::PairState& pair) const {
  const auto s = snapshot();
  return segments_of(segment_input(pair.user_id, pair, clock_.now()), s.config->segments);
}

bool Engine::held_out(const std::string& user_id) const {
  const auto s = snapshot();
  return in_holdout(s.config->holdout.salt, user_id, s.config->holdout.share);
}

SegmentInput Engine::segment_input(const std::string& user_id, const store::PairState& pair,
                                   EpochSeconds now) const {
  SegmentInput in;
  in.purchases = pair.purchases;
  in.lapsed = pair.lapsed;
  in.hi = pair.hi;
  in.now = now;
  {
    std::lock_guard lock(mu_);
    in.high_value_spend = high_value_spend_;
  }
  if (in.high_value_spend) in.spend = store_.user_spend(user_id);
  return in;
}

void Engine::attribute(const core::Reminder& r, const std::vector<store::PairLine>& lines,
                       const config::PlanConfig& plan, EpochSeconds now, PairOutcome& out) {
  if (r.converted_at != 0) return;
  EpochSeconds went = 0;  // when it went out, or (held out) would have
  if (r.state == ReminderState::kSent || r.state == ReminderState::kConverted) {
    went = r.sent_at;
  } else if (r.state == ReminderState::kHeldOut && r.due_at <= now) {
    went = r.due_at;
  }
  if (went <= 0) return;
  const EpochSeconds until = went + plan.attribution_days * kSecondsPerDay;
  const auto it = std::find_if(lines.begin(), lines.end(), [&](const store::PairLine& l) {
    return l.at > went && l.at <= until && l.at <= now;
  });
  if (it == lines.end()) return;
  // Redeemed: the ledger says so (an order line or POST /v1/events/coupon marked it) within the
  // window, or an order line carried the code.
  bool redeemed = false;
  if (!r.coupon_code.empty()) {
    const auto c = store_.coupon(r.coupon_code);
    redeemed = (c && c->redeemed_at && *c->redeemed_at >= went && *c->redeemed_at <= until) ||
               store_.coupon_order(r.user_id, r.coupon_code, went, until).has_value();
  }
  store_.set_conversion(r.id, it->at, redeemed);
  if (r.state == ReminderState::kSent) {
    store_.transition(r.id, ReminderState::kSent, ReminderState::kConverted,
                      "bought on " + core::format_utc(it->at), now);
    ++out.converted;
  }
  logger()->info("event=reminder_converted id={} user={} category={} held_out={} coupon={}", r.id,
                 r.user_id, r.category, r.held_out, redeemed ? "redeemed" : "no");
}

std::int64_t Engine::insert_planned(const Snapshot& s, const Planned& p, const core::TimeZone& tz,
                                    EpochSeconds now) {
  const auto days_since = static_cast<std::int64_t>((p.due - p.last_at) / kSecondsPerDay);
  nlohmann::json vars = {
      {"shop_name", s.config->merchant.name},
      {"user_id", p.user_id},
      {"category", p.category->slug},
      {"category_name", p.category->name},
      {"last_purchase_date", chinese_date(p.last_at, tz)},
      {"days_since_last", days_since},
      {"predicted_date", chinese_date(p.next_at, tz)},
      {"due_date", chinese_date(p.due, tz)},
      {"kind", p.kind},
      {"coupon_code", ""},
      {"coupon_value", ""},
      {"coupon_expiry", ""},
  };
  core::Reminder r;
  r.key = reminder_key(p.user_id, p.category->slug, p.kind, p.last_at);
  r.user_id = p.user_id;
  r.category = p.category->slug;
  r.kind = p.kind;
  r.based_on = p.last_at;
  r.due_at = p.due;
  r.payload = nlohmann::json{{"vars", vars}}.dump();
  r.next_attempt_at = p.due;
  r.created_at = now;
  r.campaign = p.campaign->name;
  r.segment = p.segment;
  r.template_name = p.rule->template_name;
  r.coupon_rule = p.rule->coupon;
  r.held_out = in_holdout(s.config->holdout.salt, p.user_id, s.config->holdout.share);
  r.state = r.held_out ? ReminderState::kHeldOut : ReminderState::kPlanned;
  if (r.held_out) {
    // Never sent; the channel it would have tried first, so that stats by channel have a
    // control group.
    const auto order = channel_order(*s.config, *p.category, *p.campaign);
    if (!order.empty()) r.channel = order.front();
  }
  return store_.insert_reminder(r);
}

Engine::SweepSummary Engine::sweep() {
  const auto s = snapshot();
  const EpochSeconds now = clock_.now();
  const auto& plan = s.config->plan;
  SweepSummary out;
  // Win-backs: pairs that lapsed with time are re-planned (the lapse rule plans the win-back).
  const auto lapsing = store_.lapse_candidates(now, kSweepBatch);
  if (!lapsing.empty()) {
    IngestSummary summary;
    replan_pairs(std::set<PairKey>(lapsing.begin(), lapsing.end()), summary);
    out.lapsed = static_cast<int>(lapsing.size());
    out.win_backs = static_cast<int>(summary.planned);
  }
  if (plan.follow_up_days <= 0) return out;
  // Follow-ups: first reminders that went out follow_up_days ago with no purchase since. One
  // more than that late is not worth sending.
  const EpochSeconds to = now - plan.follow_up_days * kSecondsPerDay;
  const EpochSeconds from = to - plan.follow_up_days * kSecondsPerDay;
  store_.with_transaction([&] {
    for (const auto& r : store_.follow_up_candidates(from, to, kSweepBatch)) {
      const auto pair = store_.pair(r.user_id, r.category);
      if (!pair || pair->last_at != r.based_on || pair->lapsed) continue;
      const auto user = store_.user(r.user_id);
      if (user && user->opted_out) continue;
      const auto* cat = s.config->category(r.category);
      const auto* campaign = campaign_named(*s.config, r.campaign);
      if (!campaign) campaign = campaign_for(*s.config, r.category);
      if (!cat || !campaign || !campaign->follow_up.enabled) continue;
      const core::TimeZone tz = user_time_zone(user, s.tz);
      Planned p;
      p.user_id = r.user_id;
      p.category = cat;
      p.campaign = campaign;
      p.last_at = pair->last_at;
      p.next_at = pair->next_at;
      p.kind = "follow_up";
      p.rule = &campaign->follow_up.rule;
      p.segment = segments_of(segment_input(r.user_id, *pair, now), s.config->segments).lifecycle;
      p.due = next_allowed(now, plan, tz);
      if (const auto id = insert_planned(s, p, tz, now)) {
        ++out.follow_ups;
        logger()->info(
            "event=reminder_planned id={} user={} category={} kind=follow_up after={} "
            "held_out={} due=\"{}\"",
            id, r.user_id, r.category, r.id, r.held_out, tz.format_local(p.due));
      }
    }
  });
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
  const auto threshold = store_.threshold(kHighValueThreshold);
  std::lock_guard lock(mu_);
  models_ = std::move(models);
  high_value_spend_ = threshold;
}

std::vector<Engine::PriorSummary> Engine::refresh_priors() {
  const core::ScopedTimer timer(core::metrics().model_refresh_seconds.at({}));
  const auto s = snapshot();
  const auto params = params_of(*s.config);
  const EpochSeconds now = clock_.now();
  std::map<std::string, CategoryModel> fresh;
  std::map<std::string, model::PriorBuilder> builders;
  // One pass over the pack sizes of all categories, one over all pairs.
  std::map<std::string, std::vector<std::pair<model::PackSize, std::int64_t>>> sizes;
  for (const auto& c : store_.pack_size_counts()) {
    if (auto size = to_model_size(c.value, c.unit)) sizes[c.category].emplace_back(*size, c.lines);
  }
  for (const auto& cat : s.config->categories) {
    fresh[cat.slug].reference = model::reference_size_of_counts(sizes[cat.slug]);
    builders.emplace(cat.slug, model::PriorBuilder(cat.default_cycle_days, params));
  }
  // The long reads go beside the writers (ingest and dispatch go on); only the results are
  // written in a transaction.
  store_.scan_pairs([&](const std::string&, const std::string& category,
                        const std::vector<store::PairLine>& lines) {
    auto b = builders.find(category);
    if (b == builders.end()) return;
    b->second.add(purchases_of(lines, fresh[category].reference, s.tz), s.tz, now);
  });
  // The high-value segment's spend threshold, from the same population refresh.
  auto spends = store_.spend_per_user();
  const auto n_spenders = static_cast<std::int64_t>(spends.size());
  const std::optional<double> threshold =
      high_value_threshold(std::move(spends), s.config->segments.high_value_quantile);
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
    if (threshold) {
      store_.save_threshold(kHighValueThreshold, *threshold, n_spenders, now);
    }
  });
  auto models = std::make_shared<const std::map<std::string, CategoryModel>>(std::move(fresh));
  std::lock_guard lock(mu_);
  models_ = std::move(models);
  if (threshold) high_value_spend_ = threshold;
  return out;
}

}  // namespace replenish::plan
