#include "plan/views.hpp"

#include <fmt/format.h>

#include <map>

namespace replenish::plan {

using nlohmann::json;

json reminder_json(const core::Reminder& r, const core::TimeZone& tz) {
  json j = {{"id", r.id},
            {"key", r.key},
            {"user_id", r.user_id},
            {"category", r.category},
            {"kind", r.kind},
            {"state", core::to_string(r.state)},
            {"due_at", core::format_utc(r.due_at)},
            {"due_local", tz.format_local(r.due_at)},
            {"attempts", r.attempts},
            {"channel", r.channel}};
  if (!r.last_error.empty()) j["last_error"] = r.last_error;
  if (!r.provider_id.empty()) j["provider_id"] = r.provider_id;
  if (!r.receipt.empty()) j["receipt"] = r.receipt;
  // Campaigns.
  j["campaign"] = r.campaign;
  j["segment"] = r.segment;
  j["template"] = r.template_name;
  j["coupon_rule"] = r.coupon_rule;
  j["held_out"] = r.held_out;
  if (r.merged_into != 0) j["merged_into"] = r.merged_into;
  if (!r.coupon_code.empty()) j["coupon_code"] = r.coupon_code;
  if (!r.coupon_note.empty()) j["coupon_note"] = r.coupon_note;
  if (r.sent_at != 0) {
    j["sent_at"] = core::format_utc(r.sent_at);
    j["sent_local"] = tz.format_local(r.sent_at);
  }
  if (r.converted_at != 0) {
    j["converted_at"] = core::format_utc(r.converted_at);
    j["coupon_redeemed"] = r.coupon_redeemed;
  }
  return j;
}

json schedule_view(store::Store& store, const store::ReminderFilter& filter,
                   const core::TimeZone& tz) {
  json list = json::array();
  for (const auto& r : store.list_reminders(filter)) list.push_back(reminder_json(r, tz));
  return json{{"count", list.size()}, {"reminders", std::move(list)}};
}

json user_view(store::Store& store, const config::Config& config, const std::string& user_id,
               const core::TimeZone& tz, const Engine* engine) {
  const auto orders = store.user_orders(user_id, 10000);
  json out = {{"user_id", user_id}, {"known", !orders.empty()}};
  std::map<std::string, json> cats;
  std::int64_t other = 0;
  for (auto it = orders.rbegin(); it != orders.rend(); ++it) {
    if (it->periodic.empty()) {
      ++other;
      continue;
    }
    auto& c = cats[it->periodic];
    if (c.is_null()) {
      const auto* cc = config.category(it->periodic);
      c = {{"category", it->periodic},
           {"name", cc ? cc->name : it->periodic},
           {"lines", json::array()}};
    }
    c["lines"].push_back({{"order_id", it->line.order_id},
                          {"line", it->line.line},
                          {"sku", it->line.sku},
                          {"quantity", it->line.quantity},
                          {"pack_size", it->line.pack_size},
                          {"ordered_at", core::format_utc(it->line.ordered_at)},
                          {"local", tz.format_local(it->line.ordered_at)}});
  }
  for (const auto& p : store.user_pairs(user_id)) {
    auto& c = cats[p.category];
    if (c.is_null()) c = {{"category", p.category}, {"name", p.category}, {"lines", json::array()}};
    c["prediction"] = {{"purchases", p.purchases},
                       {"intervals", p.intervals},
                       {"cycle_days", p.cycle_days},
                       {"last_at", core::format_utc(p.last_at)},
                       {"next_at", core::format_utc(p.next_at)},
                       {"next_local", tz.format_local(p.next_at)},
                       {"lo", core::format_utc(p.lo)},
                       {"hi", core::format_utc(p.hi)},
                       {"lapsed", p.lapsed}};
    if (const auto* cat = config.category(p.category); engine && cat) {
      const auto cm = engine->category_model(*cat);
      const auto purchases =
          Engine::purchases_of(store.pair_lines(user_id, p.category), cm.reference, tz);
      const auto estimate =
          model::estimate(purchases, cm.prior, Engine::params_of(config), p.updated_at, tz);
      c["explain"] = model::explain(estimate);
      c["estimate"] = model::explain_json(estimate);
      const auto segments = engine->segments_of_pair(p);
      json list = json::array({segments.lifecycle});
      if (segments.high_value) list.push_back("high_value");
      c["segments"] = std::move(list);
    }
    json rems = json::array();
    for (const auto& r : store.pair_reminders(user_id, p.category)) {
      rems.push_back(reminder_json(r, tz));
    }
    c["reminders"] = std::move(rems);
  }
  json list = json::array();
  for (auto& [slug, c] : cats) list.push_back(std::move(c));
  out["categories"] = std::move(list);
  out["other_lines"] = other;
  if (const auto u = store.user(user_id)) out["opted_out"] = u->opted_out;
  if (engine) out["held_out"] = engine->held_out(user_id);
  return out;
}

std::string format_schedule(const json& schedule) {
  std::string out = fmt::format("{:>6}  {:<16}  {:<12}  {:<18}  {:<9}  {}\n", "ID", "DUE (local)",
                                "USER", "CATEGORY", "STATE", "TRIES");
  for (const auto& r : schedule["reminders"]) {
    out += fmt::format("{:>6}  {:<16}  {:<12.12}  {:<18.18}  {:<9}  {}\n",
                       r["id"].get<std::int64_t>(), r["due_local"].get<std::string>(),
                       r["user_id"].get<std::string>(), r["category"].get<std::string>(),
                       r["state"].get<std::string>(), r["attempts"].get<int>());
  }
  out += fmt::format("{} reminder(s)\n", schedule["count"].get<std::size_t>());
  return out;
}

std::string format_user(const json& u) {
  std::string out = fmt::format("user {}{}\n", u["user_id"].get<std::string>(),
                                u.value("known", false) ? "" : " (no orders stored)");
  for (const auto& c : u["categories"]) {
    out +=
        fmt::format("\n{} ({})\n", c["name"].get<std::string>(), c["category"].get<std::string>());
    out += "  purchases:";
    for (const auto& l : c["lines"]) {
      out += fmt::format(" {}", l["local"].get<std::string>().substr(0, 10));
    }
    out += "\n";
    if (c.contains("prediction")) {
      const auto& p = c["prediction"];
      out += fmt::format("  prediction: next need {} (from {} interval(s), cycle {:.1f} days){}\n",
                         p["next_local"].get<std::string>(), p["intervals"].get<int>(),
                         p["cycle_days"].get<double>(), p["lapsed"].get<bool>() ? ", lapsed" : "");
      out += fmt::format("  interval:   {} .. {}\n", p["lo"].get<std::string>().substr(0, 10),
                         p["hi"].get<std::string>().substr(0, 10));
    }
    if (c.contains("segments")) {
      std::string list;
      for (const auto& seg : c["segments"])
        list += (list.empty() ? "" : ", ") + seg.get<std::string>();
      out += fmt::format("  segments:   {}{}\n", list,
                         u.value("held_out", false) ? " (control group: held out)" : "");
    }
    if (c.contains("explain")) {
      out += "  why:\n";
      for (const auto& line : c["explain"]) out += "    " + line.get<std::string>() + "\n";
    }
    for (const auto& r : c.value("reminders", json::array())) {
      out += fmt::format("  reminder {:>5}  {}  {:<9}  {:<9}  {:<9} {}\n",
                         r["id"].get<std::int64_t>(), r["due_local"].get<std::string>(),
                         r["state"].get<std::string>(), r["kind"].get<std::string>(),
                         r.value("segment", std::string()), r.value("template", std::string()));
    }
  }
  out += fmt::format("\n{} line(s) in other categories\n", u["other_lines"].get<std::int64_t>());
  return out;
}

}  // namespace replenish::plan
