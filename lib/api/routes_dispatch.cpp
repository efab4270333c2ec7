// Routes of the dispatcher's operator tools: the dead-letter list (read, retry, drop) and
// channel tests. Described in schemas/openapi.yaml.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "api/problem.hpp"
#include "api/server.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/views.hpp"

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

/// The body as a JSON object; an empty body is an empty object. Nullopt after a 400.
std::optional<json> optional_object(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    problem(res, 400, "Bad Request", "expected a JSON object or an empty body");
    return std::nullopt;
  }
  return body;
}

/// A string member of `body`, or `fallback` when absent; throws std::invalid_argument otherwise.
std::string string_member(const json& body, const char* name, std::string fallback = "") {
  const auto it = body.find(name);
  if (it == body.end()) return fallback;
  if (!it->is_string()) throw std::invalid_argument(std::string(name) + " must be a string");
  return it->get<std::string>();
}

}  // namespace

void Server::dispatch_routes() {
  using R = const httplib::Request&;
  using W = httplib::Response&;

  http_.Get("/v1/dlq", guarded(Scope::kRead, [this](R req, W res) {
              int limit = 100;
              if (req.has_param("limit")) {
                const std::string v = req.get_param_value("limit");
                std::size_t used = 0;
                try {
                  limit = std::stoi(v, &used);
                } catch (const std::exception&) {
                  used = 0;
                }
                if (used != v.size() || limit < 1 || limit > 10000) {
                  throw std::invalid_argument(
                      "query parameter limit must be a number from 1 to "
                      "10000");
                }
              }
              const auto tz = core::TimeZone::locate(config()->merchant.timezone);
              json_response(res, 200, dispatch::dlq_view(*services_.store, limit, tz));
            }));

  http_.Post(
      R"(/v1/dlq/(\d+)/retry)", guarded(Scope::kAdmin, [this](R req, W res) {
        const std::int64_t id = std::stoll(req.matches[1]);
        const auto r = services_.store->reminder(id);
        if (!r) {
          problem(res, 404, "Not Found", fmt::format("no reminder {}", id));
          return;
        }
        const auto now = services_.clock->now();
        if (!services_.store->requeue_dead(id, "retried by admin after: " + r->last_error, now)) {
          problem(res, 409, "Conflict",
                  fmt::format("reminder {} is {}, only dead reminders can be retried", id,
                              core::to_string(r->state)));
          return;
        }
        logger()->info("event=dlq_retry id={} key={} attempts={}", id, r->key, r->attempts);
        if (services_.on_clock_moved) services_.on_clock_moved();  // send it now
        json_response(res, 200,
                      {{"id", id},
                       {"state", "planned"},
                       {"key", r->key},
                       {"attempts", r->attempts},
                       {"due_at", core::format_utc(now)}});
      }));

  http_.Post(R"(/v1/dlq/(\d+)/drop)", guarded(Scope::kAdmin, [this](R req, W res) {
               const auto body = optional_object(req, res);
               if (!body) return;
               const std::string why = string_member(*body, "reason", "no reason given");
               const std::int64_t id = std::stoll(req.matches[1]);
               const auto r = services_.store->reminder(id);
               if (!r) {
                 problem(res, 404, "Not Found", fmt::format("no reminder {}", id));
                 return;
               }
               const std::string reason = "dropped by admin: " + why;
               if (!services_.store->transition(id, core::ReminderState::kDead,
                                                core::ReminderState::kCancelled, reason,
                                                services_.clock->now())) {
                 problem(res, 409, "Conflict",
                         fmt::format("reminder {} is {}, only dead reminders can be dropped", id,
                                     core::to_string(r->state)));
                 return;
               }
               logger()->info("event=dlq_drop id={} key={}", id, r->key);
               json_response(res, 200, {{"id", id}, {"state", "cancelled"}, {"reason", reason}});
             }));

  http_.Post(R"(/v1/admin/channels/([^/]+)/test)", guarded(Scope::kAdmin, [this](R req, W res) {
               const auto body = optional_object(req, res);
               if (!body) return;
               const std::string user = string_member(*body, "user_id");
               if (user.empty())
                 throw std::invalid_argument("user_id: a non-empty string is required");
               const std::string category = string_member(*body, "category");
               if (!services_.dispatcher) {
                 problem(res, 503, "Service Unavailable", "the dispatcher is not running");
                 return;
               }
               const std::string channel = req.matches[1];
               try {
                 json_response(res, 200, services_.dispatcher->send_test(channel, user, category));
               } catch (const std::out_of_range& e) {
                 problem(res, 404, "Not Found", e.what());
               }
             }));
}

}  // namespace replenish::api
