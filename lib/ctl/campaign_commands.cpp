#include "ctl/campaign_commands.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "plan/stats.hpp"
#include "store/sqlite_store.hpp"

namespace replenish::ctl {
namespace {

using nlohmann::json;

json daemon_get(const Globals& g, const std::string& path) {
  httplib::Client client(g.url);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  httplib::Headers headers;
  if (!g.token.empty()) headers.emplace("Authorization", "Bearer " + g.token);
  auto res = client.Get(path, headers);
  if (!res) {
    throw Unreachable(fmt::format("cannot reach {}: {}", g.url, httplib::to_string(res.error())));
  }
  auto body = json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    const std::string detail = body.is_object() ? body.value("detail", res->body) : res->body;
    throw std::runtime_error(fmt::format("{} {}: {}", res->status, path, detail));
  }
  return body;
}

}  // namespace

std::function<int()> setup_stats(CLI::App& app, Globals& g) {
  struct Opts {
    std::string since, until;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--since", o->since,
                 "reminders due from this day (YYYY-MM-DD, merchant time) or timestamp on");
  app.add_option("--until", o->until, "reminders due before this day or timestamp");
  return [o, &g] {
    json view;
    if (!g.url.empty()) {
      httplib::Params p;
      if (!o->since.empty()) p.emplace("since", o->since);
      if (!o->until.empty()) p.emplace("until", o->until);
      view = daemon_get(g, httplib::append_query_params("/v1/stats", p));
    } else {
      auto cfg = config::load_config(g.config_path);
      if (!g.db_path.empty()) cfg.store.path = g.db_path;
      const auto tz = core::TimeZone::locate(cfg.merchant.timezone);
      core::EpochSeconds since = core::kMinTime, until = core::kMaxTime;
      std::string why;
      if (!o->since.empty()) {
        const auto t = plan::parse_bound(o->since, tz, &why);
        if (!t) throw CLI::ValidationError("--since", why);
        since = *t;
      }
      if (!o->until.empty()) {
        const auto t = plan::parse_bound(o->until, tz, &why);
        if (!t) throw CLI::ValidationError("--until", why);
        until = *t;
      }
      store::SqliteStore store(cfg.store.path);
      // Held-out reminders count once due; offline, "now" is the system clock.
      view = plan::stats_view(store, since, until, core::SystemClock().now(),
                              cfg.plan.attribution_days);
    }
    std::cout << (g.json ? view.dump(2) + "\n" : plan::format_stats(view));
    return 0;
  };
}

}  // namespace replenish::ctl
