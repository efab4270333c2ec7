#include "api/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "api/problem.hpp"
#include "core/hash.hpp"
#include "dispatch/views.hpp"
#include "ingest/json_orders.hpp"
#include "notify/channels/wechat_template.hpp"
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

const char* scope_name(Scope s) {
  switch (s) {
    case Scope::kIngest:
      return "ingest";
    case Scope::kRead:
      return "read";
    case Scope::kAdmin:
      return "admin";
    case Scope::kNone:
      break;
  }
  return "none";
}

}  // namespace

int int_param(const httplib::Request& req, const std::string& name, int fallback, int min,
              int max) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  try {
    std::size_t used = 0;
    const int n = std::stoi(v, &used);
    if (used != v.size() || n < min || n > max) throw std::out_of_range(name);
    return n;
  } catch (const std::exception&) {
    throw std::invalid_argument(
        fmt::format("query parameter {} must be a number from {} to {}", name, min, max));
  }
}

namespace {

/// Why a request body is not declared as JSON ("application/json", parameters such as charset
/// allowed, ASCII case-insensitive), or nullopt when it is.
std::optional<std::string> not_json_body(const httplib::Request& req) {
  const std::string type = req.get_header_value("Content-Type");
  if (type.empty()) return std::string("send the body as Content-Type: application/json");
  std::string_view media = std::string_view(type).substr(0, type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  bool same = media.size() == kJson.size();
  for (std::size_t i = 0; same && i < media.size(); ++i) {
    same = std::tolower(static_cast<unsigned char>(media[i])) == kJson[i];
  }
  if (same) return std::nullopt;
  return "send the body as Content-Type: application/json, not '" + ingest::printable(type) + "'";
}

}  // namespace

namespace {

/// True when an Authorization header has the form "Bearer <something>".
bool is_bearer(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  return authorization.size() > kPrefix.size() &&
         authorization.substr(0, kPrefix.size()) == kPrefix;
}

}  // namespace

const config::TokenConfig* match_token(const config::Config& config,
                                       std::string_view authorization) {
  if (!is_bearer(authorization)) return nullptr;
  const std::string_view presented = authorization.substr(std::string_view("Bearer ").size());
  const config::TokenConfig* match = nullptr;
  for (const auto& t : config.server.tokens) {
    if (core::constant_time_equal(presented, t.token) && !match) match = &t;
  }
  return match;
}

bool token_allows(const config::TokenConfig& token, Scope needed) {
  if (needed == Scope::kNone) return true;
  return token.scopes.count("admin") > 0 || token.scopes.count(scope_name(needed)) > 0;
}

Server::Server(Services services, std::shared_ptr<const config::Config> config)
    : services_(std::move(services)), config_(std::move(config)) {
  const auto& sc = config_->server;
  http_.set_tcp_nodelay(true);
  http_.set_payload_max_length(sc.max_body_bytes);
  http_.set_keep_alive_timeout(5);
  // cpp-httplib closes a keep-alive connection after 5 requests unless told otherwise: clients
  // would reconnect (and queue for a worker thread) every few requests.
  http_.set_keep_alive_max_count(1000);
  http_.set_read_timeout(10, 0);
  http_.set_write_timeout(10, 0);
  const int threads = sc.threads;
  http_.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  http_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        logger()->error("event=request_failed method={} path={} error=\"{}\"", req.method, req.path,
                        what);
        problem(res, 500, "Internal Server Error", "the request could not be completed");
      });
  http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      problem(res, 404, "Not Found", "no route for " + req.method + " " + req.path);
    } else if (res.status == 413 && res.body.empty()) {
      problem(res, 413, "Payload Too Large", "the request body exceeds server.max_body_bytes");
    }
  });
  routes();
}

Server::~Server() {
  stop();
}

void Server::routes() {
  // The whole API in one table; described in schemas/openapi.yaml.
  http_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    json_response(res, 200, {{"status", "ok"}});
  });
  http_.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (ready_) {
      json_response(res, 200, {{"status", "ready"}});
    } else {
      problem(res, 503, "Service Unavailable", "starting up");
    }
  });
  using R = const httplib::Request&;
  using W = httplib::Response&;
  // Routes with a body take it through with_body(), which holds it to server.max_body_bytes.
  http_.Post("/v1/orders",
             with_body(guarded(Scope::kIngest, [this](R q, W s) { post_orders(q, s); })));
  http_.Get("/v1/status", guarded(Scope::kRead, [this](R q, W s) { get_status(q, s); }));
  http_.Get("/v1/schedule", guarded(Scope::kRead, [this](R q, W s) { get_schedule(q, s); }));
  http_.Get(R"(/v1/users/([^/]+))", guarded(Scope::kRead, [this](R q, W s) { get_user(q, s); }));
  http_.Put(R"(/v1/users/([^/]+))",
            with_body(guarded(Scope::kIngest, [this](R q, W s) { put_user(q, s); })));
  http_.Post(R"(/v1/users/([^/]+)/consents)",
             with_body(guarded(Scope::kIngest, [this](R q, W s) { post_consents(q, s); })));
  http_.Get(R"(/v1/reminders/(\d+))",
            guarded(Scope::kRead, [this](R q, W s) { get_reminder(q, s); }));
  http_.Post(R"(/v1/reminders/(\d+)/cancel)",
             with_body(guarded(Scope::kAdmin, [this](R q, W s) { cancel_reminder(q, s); })));
  http_.Post("/v1/events/wechat",
             with_body(guarded(Scope::kIngest, [this](R q, W s) { post_wechat_event(q, s); })));
  http_.Post("/v1/admin/priors/refresh",
             with_body(guarded(Scope::kAdmin, [this](R q, W s) { post_refresh_priors(q, s); })));
  http_.Post("/v1/admin/clock",
             with_body(guarded(Scope::kAdmin, [this](R q, W s) { post_clock(q, s); })));
  http_.Post("/v1/events/coupon",
             with_body(guarded(Scope::kIngest, [this](R q, W s) { post_coupon_event(q, s); })));
  http_.Post(R"(/v1/users/([^/]+)/opt-out)",
             with_body(guarded(Scope::kIngest, [this](R q, W s) { post_opt_out(q, s); })));
  http_.Get("/v1/stats", guarded(Scope::kRead, [this](R q, W s) { get_stats(q, s); }));
  admin_routes();
  dispatch_routes();
  console_routes();
}

Server::Handler Server::guarded(Scope scope, Handler handler) {
  return [this, scope, handler = std::move(handler)](const httplib::Request& req,
                                                     httplib::Response& res) {
    const auto cfg = config();
    const std::string auth = req.get_header_value("Authorization");
    if (!is_bearer(auth)) {
      res.set_header("WWW-Authenticate", "Bearer");
      problem(res, 401, "Unauthorized", "send Authorization: Bearer <token>");
      return;
    }
    const config::TokenConfig* match = match_token(*cfg, auth);
    if (!match) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      problem(res, 401, "Unauthorized", "unknown token");
      return;
    }
    if (!token_allows(*match, scope)) {
      problem(res, 403, "Forbidden",
              fmt::format("token '{}' lacks the '{}' scope", match->name, scope_name(scope)));
      return;
    }
    try {
      handler(req, res);
    } catch (const std::invalid_argument& e) {
      problem(res, 400, "Bad Request", e.what());
    }
  };
}

httplib::Server::HandlerWithContentReader Server::with_body(Handler handler) {
  // Each read is at most a few KB, so a body is never held much past the limit. Past 16 times
  // the limit the connection is cut instead of reading on.
  constexpr std::size_t kDrainFactor = 16;
  return [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& content) {
    const std::size_t limit = config()->server.max_body_bytes;
    std::string body;
    std::size_t total = 0;
    const bool read = content([&](const char* data, std::size_t size) {
      total += size;
      if (total <= limit) {
        body.append(data, size);
        return true;
      }
      std::string().swap(body);  // too long: read on to the end, keeping nothing
      return total <= limit * kDrainFactor;
    });
    if (total > limit || res.status == 413) {
      problem(res, 413, "Payload Too Large", "the request body exceeds server.max_body_bytes");
      return;
    }
    if (!read) {
      problem(res, 400, "Bad Request", "the request body could not be read");
      return;
    }
    // The handler sees the body as usual. `matches` still points into req.path, which outlives
    // the call.
    httplib::Request with = req;
    with.body = std::move(body);
    handler(with, res);
  };
}

std::shared_ptr<const config::Config> Server::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

void Server::set_config(std::shared_ptr<const config::Config> config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
}

int Server::bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = http_.bind_to_any_port(host);
  } else if (!http_.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{} (in use or not permitted)", host, port));
  }
  return bound;
}

void Server::serve() {
  http_.listen_after_bind();
}

void Server::stop() {
  if (http_.is_running()) http_.stop();
}

void Server::post_orders(const httplib::Request& req, httplib::Response& res) {
  if (const auto why = not_json_body(req)) {
    problem(res, 415, "Unsupported Media Type", *why);
    return;
  }
  auto parsed = ingest::parse_orders_json(req.body);
  if (parsed.errors.size() == 1 && parsed.errors[0].index < 0) {
    problem(res, 400, "Bad Request", parsed.errors[0].reason);
    return;
  }
  json errors = json::array();
  for (const auto& e : parsed.errors) errors.push_back({{"index", e.index}, {"reason", e.reason}});
  if (parsed.lines.empty() && !parsed.errors.empty()) {
    problem(res, 422, "Unprocessable Content", "no order line in the request is valid",
            {{"errors", errors}});
    return;
  }
  const std::size_t valid = parsed.lines.size();
  const auto summary = services_.ingest ? services_.ingest->submit(std::move(parsed.lines))
                                        : services_.engine->ingest(parsed.lines);
  for (const auto& [index, reason] : summary.conflict_rows) {
    errors.push_back({{"index", index}, {"reason", reason}});
  }
  logger()->info(
      "event=orders_ingested received={} stored={} duplicates={} rejected={} planned={} "
      "cancelled={}",
      valid + parsed.errors.size(), summary.stored, summary.duplicates, parsed.errors.size(),
      summary.planned, summary.cancelled);
  json_response(res, 200,
                {{"received", valid + parsed.errors.size()},
                 {"stored", summary.stored},
                 {"duplicates", summary.duplicates},
                 {"conflicts", summary.conflicts},
                 {"rejected", parsed.errors.size()},
                 {"planned", summary.planned},
                 {"cancelled", summary.cancelled},
                 {"converted", summary.converted},
                 {"ignored_fields", parsed.unknown_keys},
                 {"errors", errors}});
}

void Server::get_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  store::ReminderFilter f;
  f.limit = int_param(req, "limit", 100, 1, 10000);
  if (req.has_param("state")) {
    const std::string st = req.get_param_value("state");
    if (st != "all") {
      f.state = core::reminder_state_from_string(st);
      if (!f.state) throw std::invalid_argument("unknown state '" + st + "'");
    }
  } else {
    f.state = core::ReminderState::kPlanned;
  }
  f.user_id = req.get_param_value("user");
  f.category = req.get_param_value("category");
  const auto tz = core::TimeZone::locate(cfg->merchant.timezone);
  json_response(res, 200, plan::schedule_view(*services_.store, f, tz));
}

void Server::get_user(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  const auto tz = core::TimeZone::locate(cfg->merchant.timezone);
  const std::string user = req.matches[1];
  auto view = plan::user_view(*services_.store, *cfg, user, tz, services_.engine);
  if (!view["known"].get<bool>() && view["categories"].empty()) {
    problem(res, 404, "Not Found", "no orders stored for user '" + user + "'");
    return;
  }
  json_response(res, 200, view);
}

void Server::get_reminder(const httplib::Request& req, httplib::Response& res) {
  const auto cfg = config();
  auto j = dispatch::reminder_detail(*services_.store, std::stoll(req.matches[1]),
                                     core::TimeZone::locate(cfg->merchant.timezone));
  if (j.is_null()) {
    problem(res, 404, "Not Found", "no reminder " + std::string(req.matches[1]));
    return;
  }
  json_response(res, 200, j);
}

void Server::cancel_reminder(const httplib::Request& req, httplib::Response& res) {
  const std::int64_t id = std::stoll(req.matches[1]);
  const auto r = services_.store->reminder(id);
  if (!r) {
    problem(res, 404, "Not Found", fmt::format("no reminder {}", id));
    return;
  }
  if (!services_.store->transition(id, core::ReminderState::kPlanned,
                                   core::ReminderState::kCancelled, "cancelled by admin",
                                   services_.clock->now())) {
    problem(res, 409, "Conflict",
            fmt::format("reminder {} is {}, only planned reminders can be cancelled", id,
                        core::to_string(r->state)));
    return;
  }
  logger()->info("event=reminder_cancelled id={} reason=admin", id);
  json_response(res, 200, {{"id", id}, {"state", "cancelled"}});
}

void Server::get_status(const httplib::Request&, httplib::Response& res) {
  const auto cfg = config();
  const auto tz = core::TimeZone::locate(cfg->merchant.timezone);
  const auto now = services_.clock->now();
  json counts = json::object();
  for (const auto& [state, n] : services_.store->reminder_counts()) counts[state] = n;
  const auto tomorrow = tz.at_local(tz.local_day(now) + 1, 0);
  json_response(res, 200,
                {{"version", REPLENISH_VERSION},
                 {"now", core::format_utc(now)},
                 {"today", tz.local_date(now).to_string()},
                 {"merchant", {{"name", cfg->merchant.name}, {"timezone", tz.name()}}},
                 {"schema_version", services_.store->schema_version()},
                 {"orders", services_.store->order_count()},
                 {"reminders", counts},
                 {"due_today", services_.store->count_planned_due(tomorrow)}});
}

namespace {

/// The request body as a JSON object, or a 400 problem (returns nullopt).
std::optional<json> object_body(const httplib::Request& req, httplib::Response& res,
                                const char* expected) {
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    problem(res, 400, "Bad Request", std::string("expected a JSON object: ") + expected);
    return std::nullopt;
  }
  return body;
}

}  // namespace

void Server::put_user(const httplib::Request& req, httplib::Response& res) {
  const auto body = object_body(req, res, R"({"openid": "...", "tz": "Asia/Shanghai"})");
  if (!body) return;
  const std::string user = req.matches[1];
  store::UserRecord u =
      services_.store->user(user).value_or(store::UserRecord{user, "", "", false});
  for (const auto& [key, value] : body->items()) {
    if (key != "openid" && key != "tz") {
      problem(res, 400, "Bad Request", "unknown field '" + key + "' (openid, tz)");
      return;
    }
    if (!value.is_string()) {
      problem(res, 400, "Bad Request", key + " must be a string");
      return;
    }
  }
  if (body->contains("openid")) u.openid = (*body)["openid"].get<std::string>();
  if (body->contains("tz")) {
    u.tz = (*body)["tz"].get<std::string>();
    try {
      core::TimeZone::locate(u.tz);
    } catch (const std::exception& e) {
      problem(res, 400, "Bad Request", std::string("tz: ") + e.what());
      return;
    }
  }
  services_.store->upsert_user(u, services_.clock->now());
  json_response(res, 200, {{"user_id", user}, {"has_openid", !u.openid.empty()}, {"tz", u.tz}});
}

void Server::post_consents(const httplib::Request& req, httplib::Response& res) {
  const auto body = object_body(req, res, R"({"template_id": "...", "count": 1})");
  if (!body) return;
  const auto tid = body->find("template_id");
  if (tid == body->end() || !tid->is_string() || tid->get<std::string>().empty()) {
    problem(res, 400, "Bad Request", "template_id: a non-empty string is required");
    return;
  }
  std::int64_t count = 1;
  if (const auto c = body->find("count"); c != body->end()) {
    if (!c->is_number_integer() || c->get<std::int64_t>() < 1 || c->get<std::int64_t>() > 1000) {
      problem(res, 400, "Bad Request", "count: an integer from 1 to 1000");
      return;
    }
    count = c->get<std::int64_t>();
  }
  const std::string user = req.matches[1];
  const auto credits =
      services_.store->add_consents(user, tid->get<std::string>(), count, services_.clock->now());
  json_response(
      res, 200,
      {{"user_id", user}, {"template_id", tid->get<std::string>()}, {"credits", credits}});
}

void Server::post_wechat_event(const httplib::Request& req, httplib::Response& res) {
  const auto body = json::parse(req.body, nullptr, false);
  std::string why;
  const auto receipt = notify::parse_template_receipt(body, &why);
  if (!receipt) {
    problem(res, 400, "Bad Request", why);
    return;
  }
  const auto r = services_.store->reminder_by_provider_id(receipt->msgid);
  if (!r) {
    problem(res, 404, "Not Found", "no reminder was sent with msgid " + receipt->msgid);
    return;
  }
  const auto now = services_.clock->now();
  services_.store->record_receipt(r->id, receipt->raw, now);
  bool opted_out = false;
  if (receipt->status == notify::TemplateReceipt::Status::kUserBlock) {
    services_.store->set_channel_optout(r->user_id, r->channel, "receipt: " + receipt->raw, now);
    opted_out = true;
  }
  logger()->info("event=receipt id={} channel={} status={}", r->id, r->channel,
                 notify::to_string(receipt->status));
  json_response(res, 200,
                {{"reminder_id", r->id},
                 {"status", notify::to_string(receipt->status)},
                 {"channel_opted_out", opted_out}});
}

void Server::post_refresh_priors(const httplib::Request&, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  json categories = json::array();
  for (const auto& p : services_.engine->refresh_priors()) {
    categories.push_back({{"category", p.category},
                          {"n_users", p.n_users},
                          {"cycle_days", p.cycle_days},
                          {"learned", p.learned}});
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  logger()->info("event=priors_refreshed trigger=api categories={} ms={}", categories.size(), ms);
  json_response(res, 200, {{"ms", ms}, {"categories", categories}});
}

void Server::post_clock(const httplib::Request& req, httplib::Response& res) {
  if (!services_.clock->adjustable()) {
    problem(res, 409, "Conflict",
            "the clock is real; only a simulated clock (clock.mode: "
            "simulated) can be moved");
    return;
  }
  const auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("advance_seconds") ||
      !body["advance_seconds"].is_number_integer() ||
      body["advance_seconds"].get<std::int64_t>() < 0) {
    problem(res, 400, "Bad Request", "expected {\"advance_seconds\": <non-negative integer>}");
    return;
  }
  services_.clock->advance(body["advance_seconds"].get<std::int64_t>());
  if (services_.on_clock_moved) services_.on_clock_moved();
  json_response(res, 200, {{"now", core::format_utc(services_.clock->now())}});
}

}  // namespace replenish::api
