// Operations routes: the reminder list and its actions (snooze, resend), erasing a user, and
// /metrics. Registered by Server::routes() through admin_routes(); described in
// schemas/openapi.yaml.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/problem.hpp"
#include "api/server.hpp"
#include "core/hash.hpp"
#include "core/metrics.hpp"
#include "plan/views.hpp"

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

constexpr core::EpochSeconds kMaxSnoozeSeconds = 366 * core::kSecondsPerDay;

/// A time query parameter (ISO-8601 with offset, or epoch seconds); 0 when absent.
core::EpochSeconds time_param(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return 0;
  std::string why;
  const auto t = core::parse_timestamp(req.get_param_value(name), &why);
  if (!t) throw std::invalid_argument(fmt::format("query parameter {}: {}", name, why));
  return *t;
}

/// The name of the token the request presented (routes run after guarded() accepted it).
std::string token_name(const httplib::Request& req, const config::Config& cfg) {
  const auto* token = match_token(cfg, req.get_header_value("Authorization"));
  return token ? token->name : "unknown";
}

}  // namespace

std::string user_hash(const std::string& user_id) {
  return "sha256:" + core::sha256_hex(user_id).substr(0, 16);
}

void Server::admin_routes() {
  using R = const httplib::Request&;
  using W = httplib::Response&;
  http_.Get("/v1/reminders", guarded(Scope::kRead, [this](R q, W s) { list_reminders(q, s); }));
  http_.Post(R"(/v1/reminders/(\d+)/snooze)",
             guarded(Scope::kAdmin, [this](R q, W s) { snooze_reminder(q, s); }));
  http_.Post(R"(/v1/reminders/(\d+)/resend)",
             guarded(Scope::kAdmin, [this](R q, W s) { resend_reminder(q, s); }));
  http_.Delete(R"(/v1/users/([^/]+))",
               guarded(Scope::kAdmin, [this](R q, W s) { erase_user(q, s); }));
  // Scope read, or open to anyone when server.metrics_public is true (read at each request,
  // so a reload can change it).
  auto protected_metrics = guarded(Scope::kRead, [this](R q, W s) { get_metrics(q, s); });
  http_.Get("/metrics", [this, protected_metrics](R q, W s) {
    if (config()->server.metrics_public) {
      get_metrics(q, s);
    } else {
      protected_metrics(q, s);
    }
  });
}

void Server::list_reminders(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  store::ReminderFilter f;
  f.limit = int_param(req, "limit", 100, 1, 10000);
  if (req.has_param("state") && req.get_param_value("state") != "all") {
    const std::string st = req.get_param_value("state");
    f.state = core::reminder_state_from_string(st);
    if (!f.state) throw std::invalid_argument("unknown state '" + st + "'");
  }
  f.user_id = req.get_param_value("user");
  f.category = req.get_param_value("category");
  f.segment = req.get_param_value("segment");
  static const std::set<std::string> kSegments{"new",     "regular", "loyal",
                                               "at_risk", "lapsed",  "high_value"};
  if (!f.segment.empty() && !kSegments.count(f.segment)) {
    throw std::invalid_argument("unknown segment '" + f.segment +
                                "' (new, regular, loyal, at_risk, lapsed, high_value)");
  }
  f.channel = req.get_param_value("channel");
  f.due_from = time_param(req, "due_after");
  f.due_to = time_param(req, "due_before");
  json_response(
      res, 200,
      plan::schedule_view(*services_.store, f, core::TimeZone::locate(cfg->merchant.timezone)));
}

void Server::snooze_reminder(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  const std::int64_t id = std::stoll(req.matches[1]);
  const auto body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  const auto now = services_.clock->now();
  if (!body.is_object() || body.contains("until") == body.contains("seconds")) {
    problem(res, 400, "Bad Request",
            R"(expected {"until": "2024-03-05T10:00:00+08:00"} or {"seconds": 86400})");
    return;
  }
  core::EpochSeconds until = 0;
  if (body.contains("seconds")) {
    const auto& s = body["seconds"];
    if (!s.is_number_integer() || s.get<std::int64_t>() < 1 ||
        s.get<std::int64_t>() > kMaxSnoozeSeconds) {
      problem(res, 400, "Bad Request",
              fmt::format("seconds: an integer from 1 to {}", kMaxSnoozeSeconds));
      return;
    }
    until = now + s.get<std::int64_t>();
  } else {
    const auto& u = body["until"];
    std::string why = "expected an ISO-8601 time with an offset or epoch seconds";
    std::optional<core::EpochSeconds> t;
    if (u.is_string()) t = core::parse_timestamp(u.get<std::string>(), &why);
    if (u.is_number_integer()) t = u.get<std::int64_t>();
    if (!t) {
      problem(res, 400, "Bad Request", "until: " + why);
      return;
    }
    if (*t <= now || *t > now + kMaxSnoozeSeconds) {
      problem(
          res, 400, "Bad Request",
          fmt::format("until: must be after now ({}) and within 366 days", core::format_utc(now)));
      return;
    }
    until = *t;
  }
  const auto r = services_.store->reminder(id);
  if (!r) {
    problem(res, 404, "Not Found", fmt::format("no reminder {}", id));
    return;
  }
  if (!services_.store->snooze_reminder(id, until, now)) {
    problem(res, 409, "Conflict",
            fmt::format("reminder {} is {}, only planned reminders can be snoozed", id,
                        core::to_string(r->state)));
    return;
  }
  logger()->info("event=reminder_snoozed id={} until={}", id, core::format_utc(until));
  json_response(res, 200,
                plan::reminder_json(*services_.store->reminder(id),
                                    core::TimeZone::locate(cfg->merchant.timezone)));
}

void Server::resend_reminder(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  const std::int64_t id = std::stoll(req.matches[1]);
  const auto before = services_.store->reminder(id);
  if (!before) {
    problem(res, 404, "Not Found", fmt::format("no reminder {}", id));
    return;
  }
  const auto now = services_.clock->now();
  const auto after = services_.store->resend_reminder(id, now, now);
  if (!after) {
    problem(res, 409, "Conflict",
            fmt::format("reminder {} is {}, only sent or dead reminders can be resent", id,
                        core::to_string(before->state)));
    return;
  }
  const bool reused = after->key == before->key;
  logger()->info("event=reminder_resend id={} from={} key={} key_reused={}", id,
                 core::to_string(before->state), after->key, reused);
  if (services_.on_clock_moved) services_.on_clock_moved();  // wakes the dispatcher
  auto j = plan::reminder_json(*after, core::TimeZone::locate(cfg->merchant.timezone));
  j["previous_state"] = core::to_string(before->state);
  j["key_reused"] = reused;
  json_response(res, 200, j);
}

void Server::erase_user(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  const std::string user = req.matches[1];
  store::AuditRecord audit;
  audit.at = services_.clock->now();
  audit.action = "user_erased";
  audit.subject = user_hash(user);
  audit.actor = token_name(req, *cfg);
  // The counts go into the audit row after the erase; none of them is personal data.
  auto counts = services_.store->erase_user(user, audit);
  std::int64_t total = 0;
  json deleted = json::object();
  for (const auto& [table, n] : counts) {
    deleted[table] = n;
    total += n;
  }
  logger()->info("event=user_erased user_hash={} rows={} actor={}", audit.subject, total,
                 audit.actor);
  json_response(res, 200,
                {{"erased", total > 0}, {"user_hash", audit.subject}, {"deleted", deleted}});
}

void Server::get_metrics(const httplib::Request&, httplib::Response& res) {
  auto& m = core::metrics();
  const auto now = services_.clock->now();
  core::Exposition out;
  out.gauge("replenish_build_info", "Version of the running replenishd",
            {{{{"version", REPLENISH_VERSION}}, 1}});
  std::vector<std::pair<std::map<std::string, std::string>, double>> states;
  const auto counts = services_.store->reminder_counts();
  for (const char* s :
       {"planned", "sending", "sent", "converted", "cancelled", "dead", "held_out"}) {
    const auto it = counts.find(s);
    states.push_back({{{"state", s}}, it == counts.end() ? 0.0 : static_cast<double>(it->second)});
  }
  out.gauge("replenish_reminders", "Reminders by state", states);
  const auto q = services_.store->queue_stats(now);
  out.gauge("replenish_queue_depth", "Planned reminders whose time has come, not yet claimed",
            {{{}, static_cast<double>(q.due)}});
  out.gauge("replenish_oldest_due_age_seconds",
            "How long the longest-waiting due reminder has waited (0 when none)",
            {{{}, q.due > 0 ? static_cast<double>(now - q.oldest_due_at) : 0.0}});
  out.gauge("replenish_orders_stored", "Order lines in the store",
            {{{}, static_cast<double>(services_.store->order_count())}});
  m.order_lines.at({"stored"});  // always present, also before the first order
  out.counters(m.order_lines);
  out.counters(m.sends);
  out.histograms(m.send_seconds);
  m.model_refresh_seconds.at({});
  out.histograms(m.model_refresh_seconds);
  out.counters(m.retention_deleted);
  res.status = 200;
  res.set_content(out.text(), core::Exposition::kContentType);
}

}  // namespace replenish::api
