// Campaign routes: POST /v1/users/{id}/opt-out and GET /v1/stats.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/problem.hpp"
#include "api/server.hpp"
#include "core/time.hpp"
#include "plan/stats.hpp"

namespace replenish::api {
namespace {

using nlohmann::json;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("api");
    return l ? l : spdlog::default_logger()->clone("api");
  }();
  return log;
}

}  // namespace

void Server::post_opt_out(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  json body = json::object();
  if (!req.body.empty()) {
    body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      problem(res, 400, "Bad Request", R"(expected a JSON object: {} or {"channel": "..."})");
      return;
    }
  }
  for (const auto& item : body.items()) {
    if (item.key() != "channel") {
      problem(res, 400, "Bad Request", "unknown field '" + item.key() + "' (channel)");
      return;
    }
  }
  std::string channel;
  if (const auto it = body.find("channel"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>().empty()) {
      problem(res, 400, "Bad Request", "channel: the name of a configured channel");
      return;
    }
    channel = it->get<std::string>();
    bool known = false;
    for (const auto& c : cfg->channels) known = known || c.name == channel;
    if (!known) {
      problem(res, 400, "Bad Request", "channel: no channel named '" + channel + "'");
      return;
    }
  }
  const std::string user = req.matches[1];
  const auto now = services_.clock->now();
  std::int64_t cancelled = 0;
  services_.store->with_transaction([&] {
    if (channel.empty()) {
      // Every channel: nothing more goes out, pending reminders are cancelled.
      auto u = services_.store->user(user).value_or(store::UserRecord{user, "", "", false});
      u.opted_out = true;
      services_.store->upsert_user(u, now);
      cancelled = services_.store->cancel_user_reminders(user, "opted out", now);
    } else {
      // One channel: the others in the fallback order still serve the user.
      services_.store->set_channel_optout(user, channel, "opted out via API", now);
    }
  });
  logger()->info("event=user_opted_out channel={} cancelled={}", channel.empty() ? "*" : channel,
                 cancelled);
  json_response(res, 200,
                {{"user_id", user},
                 {"channel", channel.empty() ? json(nullptr) : json(channel)},
                 {"cancelled", cancelled}});
}

void Server::get_stats(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  const auto tz = core::TimeZone::locate(cfg->merchant.timezone);
  core::EpochSeconds since = core::kMinTime, until = core::kMaxTime;
  for (const auto& [name, target] :
       {std::pair<const char*, core::EpochSeconds*>{"since", &since}, {"until", &until}}) {
    if (!req.has_param(name)) continue;
    std::string why;
    const auto t = plan::parse_bound(req.get_param_value(name), tz, &why);
    if (!t) throw std::invalid_argument(std::string(name) + ": " + why);
    *target = *t;
  }
  json_response(res, 200,
                plan::stats_view(*services_.store, since, until, services_.clock->now(),
                                 cfg->plan.attribution_days));
}

}  // namespace replenish::api
