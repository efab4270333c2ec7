// The HTTP API (cpp-httplib): one route table, bearer tokens with scopes, problem+json errors.
// Described in schemas/openapi.yaml.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "plan/engine.hpp"
#include "plan/ingest_queue.hpp"
#include "store/store.hpp"

namespace replenish::dispatch {
class Dispatcher;
}

namespace replenish::api {

enum class Scope { kNone, kIngest, kRead, kAdmin };

/// What the routes work on.
struct Services {
  plan::Engine* engine = nullptr;
  store::Store* store = nullptr;
  core::Clock* clock = nullptr;
  /// Called after the simulated clock was moved (wakes the dispatcher).
  std::function<void()> on_clock_moved;
  /// Group commit of POST /v1/orders; without it each request is its own transaction.
  plan::IngestQueue* ingest = nullptr;
  /// The live dispatcher (channel tests); nullptr = those routes answer 503.
  dispatch::Dispatcher* dispatcher = nullptr;
};

class Server {
 public:
  Server(Services services, std::shared_ptr<const config::Config> config);
  ~Server();

  /// Binds to the configured address (port 0 = any free port). Returns the bound port.
  /// Throws std::runtime_error when the address cannot be bound.
  int bind(const std::string& host, int port);
  /// Serves until stop(); call from its own thread after bind().
  void serve();
  void stop();
  bool running() const { return http_.is_running(); }

  void set_config(std::shared_ptr<const config::Config> config);
  void set_ready(bool ready) { ready_ = ready; }

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void routes();
  Handler guarded(Scope scope, Handler handler);
  /// `handler` with the body read here and held to server.max_body_bytes, chunked bodies too
  /// (cpp-httplib 0.11 checks only a Content-Length): a longer body is 413. Every route that
  /// takes a body goes through it.
  httplib::Server::HandlerWithContentReader with_body(Handler handler);
  std::shared_ptr<const config::Config> config() const;

  void post_orders(const httplib::Request& req, httplib::Response& res);
  void get_schedule(const httplib::Request& req, httplib::Response& res);
  void get_user(const httplib::Request& req, httplib::Response& res);
  void get_reminder(const httplib::Request& req, httplib::Response& res);
  void cancel_reminder(const httplib::Request& req, httplib::Response& res);
  void get_status(const httplib::Request& req, httplib::Response& res);
  void post_clock(const httplib::Request& req, httplib::Response& res);
  void put_user(const httplib::Request& req, httplib::Response& res);
  void post_consents(const httplib::Request& req, httplib::Response& res);
  void post_wechat_event(const httplib::Request& req, httplib::Response& res);
  void post_refresh_priors(const httplib::Request& req, httplib::Response& res);
  void post_coupon_event(const httplib::Request& req, httplib::Response& res);  // routes_coupon
  void post_opt_out(const httplib::Request& req, httplib::Response& res);       // routes_campaign
  void get_stats(const httplib::Request& req, httplib::Response& res);          // routes_campaign

  // Operations (routes_admin.cpp).
  void admin_routes();
  void list_reminders(const httplib::Request& req, httplib::Response& res);
  void snooze_reminder(const httplib::Request& req, httplib::Response& res);
  void resend_reminder(const httplib::Request& req, httplib::Response& res);
  void erase_user(const httplib::Request& req, httplib::Response& res);
  void get_metrics(const httplib::Request& req, httplib::Response& res);
  /// Dead letters and channel tests (routes_dispatch.cpp).
  void dispatch_routes();
  /// The console's static files, GET /v1/token and GET /v1/model (routes_console.cpp).
  void console_routes();

  Services services_;
  httplib::Server http_;
  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> config_;
  std::atomic<bool> ready_{false};
};

/// The configured token an `Authorization: Bearer …` header presents, or nullptr. Compares
/// against every token in constant time, so timing does not tell which one is close.
const config::TokenConfig* match_token(const config::Config& config,
                                       std::string_view authorization);

/// The scope a token grants for `needed`; admin implies every scope.
bool token_allows(const config::TokenConfig& token, Scope needed);

/// How logs and the audit table name a user without naming them: "sha256:" and 16 hex digits.
std::string user_hash(const std::string& user_id);

/// An integer query parameter in [min, max]; `fallback` when absent. Throws
/// std::invalid_argument (a 400) otherwise.
int int_param(const httplib::Request& req, const std::string& name, int fallback, int min, int max);

}  // namespace replenish::api
