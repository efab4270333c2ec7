#include "dispatch/views.hpp"

#include <fmt/format.h>

#include "plan/views.hpp"

namespace replenish::dispatch {

using nlohmann::json;

json attempt_json(const store::AttemptRow& a, const core::TimeZone& tz) {
  return {{"at", core::format_utc(a.at)},
          {"at_local", tz.format_local(a.at)},
          {"channel", a.channel},
          {"outcome", a.outcome},
          {"provider_id", a.provider_id},
          {"detail", a.detail},
          {"ms", a.ms}};
}

json reminder_detail(store::Store& store, std::int64_t id, const core::TimeZone& tz) {
  const auto r = store.reminder(id);
  if (!r) return nullptr;
  auto j = plan::reminder_json(*r, tz);
  j["payload"] = json::parse(r->payload, nullptr, false);
  if (j["payload"].is_discarded()) j["payload"] = nullptr;
  json attempts = json::array();
  for (const auto& a : store.attempts(id)) attempts.push_back(attempt_json(a, tz));
  j["attempt_log"] = std::move(attempts);
  return j;
}

json dlq_view(store::Store& store, int limit, const core::TimeZone& tz) {
  json list = json::array();
  for (const auto& r : store.dead_letters(limit)) {
    auto j = plan::reminder_json(r, tz);
    j["dead_at"] = core::format_utc(r.updated_at);
    j["dead_local"] = tz.format_local(r.updated_at);
    if (!j.contains("last_error")) j["last_error"] = "";
    list.push_back(std::move(j));
  }
  return json{{"count", list.size()}, {"reminders", std::move(list)}};
}

std::string format_reminder(const json& r) {
  std::string out = fmt::format(
      "reminder {}  {}\n  user {}  category {}  kind {}\n  due {}  state {}  attempts {}\n",
      r["id"].get<std::int64_t>(), r["key"].get<std::string>(), r["user_id"].get<std::string>(),
      r["category"].get<std::string>(), r["kind"].get<std::string>(),
      r["due_local"].get<std::string>(), r["state"].get<std::string>(), r["attempts"].get<int>());
  if (!r.value("channel", "").empty()) out += "  channel " + r["channel"].get<std::string>() + "\n";
  if (r.contains("provider_id"))
    out += "  provider id " + r["provider_id"].get<std::string>() + "\n";
  if (r.contains("last_error")) out += "  last error: " + r["last_error"].get<std::string>() + "\n";
  if (r.contains("receipt")) out += "  receipt: " + r["receipt"].get<std::string>() + "\n";
  const auto& attempts = r.value("attempt_log", json::array());
  if (attempts.empty()) return out + "  no attempt yet\n";
  out += fmt::format("\n  {:<16}  {:<14}  {:<9}  {:>6}  {}\n", "TIME (local)", "CHANNEL", "OUTCOME",
                     "MS", "PROVIDER ID / ERROR");
  for (const auto& a : attempts) {
    const std::string& provider = a["provider_id"].get_ref<const std::string&>();
    const std::string& detail = a["detail"].get_ref<const std::string&>();
    out += fmt::format("  {:<16}  {:<14.14}  {:<9}  {:>6}  {}\n", a["at_local"].get<std::string>(),
                       a["channel"].get<std::string>(), a["outcome"].get<std::string>(),
                       a["ms"].get<std::int64_t>(),
                       provider.empty() ? detail : provider + " (" + detail + ")");
  }
  return out;
}

std::string format_dlq(const json& dlq) {
  std::string out = fmt::format("{:>6}  {:<16}  {:<12}  {:<14}  {:>5}  {}\n", "ID", "DEAD (local)",
                                "USER", "CATEGORY", "TRIES", "LAST ERROR");
  for (const auto& r : dlq["reminders"]) {
    out += fmt::format("{:>6}  {:<16}  {:<12.12}  {:<14.14}  {:>5}  {}\n",
                       r["id"].get<std::int64_t>(), r["dead_local"].get<std::string>(),
                       r["user_id"].get<std::string>(), r["category"].get<std::string>(),
                       r["attempts"].get<int>(), r.value("last_error", ""));
  }
  out += fmt::format("{} dead letter(s)\n", dlq["count"].get<std::size_t>());
  return out;
}

std::string format_channel_test(const json& t) {
  std::string out = fmt::format("channel {} ({}): {}", t["channel"].get<std::string>(),
                                t["type"].get<std::string>(), t["outcome"].get<std::string>());
  if (!t.value("provider_id", "").empty()) {
    out += ", provider id " + t["provider_id"].get<std::string>();
  }
  out +=
      fmt::format(" in {} ms\n  gateway: {}\n", t["ms"].get<std::int64_t>(), t.value("detail", ""));
  const auto& m = t["message"];
  out += fmt::format(
      "  sent to user {} ({}), category {}, key {}\n  text: {}\n", m["user_id"].get<std::string>(),
      m["has_openid"].get<bool>() ? "openid known" : "no openid", m["category"].get<std::string>(),
      m["key"].get<std::string>(), m["text"].get<std::string>());
  return out;
}

}  // namespace replenish::dispatch
