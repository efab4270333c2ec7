// The HTTP API (cpp-httplib): one route table, bearer tokens with scopes, problem+json errors.
// Described in schemas/openapi.yaml.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "plan/engine.hpp"
#include "store/store.hpp"

namespace replenish::api {

enum class Scope { kNone, kIngest, kRead, kAdmin };

/// What the routes work on.
struct Services {
  plan::Engine* engine = nullptr;
  store::Store* store = nullptr;
  core::Clock* clock = nullptr;
  /// Called after the simulated clock was moved (wakes the dispatcher).
  std::function<void()> on_clock_moved;
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

  Services services_;
  httplib::Server http_;
  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> config_;
  std::atomic<bool> ready_{false};
};

/// The scope a token grants for `needed`; admin implies every scope.
bool token_allows(const config::TokenConfig& token, Scope needed);

}  // namespace replenish::api
