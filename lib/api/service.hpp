// The daemon's parts wired together on one Boost.Asio io_context: signals (SIGHUP reload,
// SIGTERM/SIGINT drain), the dispatch timer, the HTTP server thread and systemd notification.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "api/server.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/channel.hpp"
#include "plan/engine.hpp"
#include "plan/ingest_queue.hpp"
#include "store/store.hpp"

namespace replenish::api {

struct ServiceOptions {
  std::string config_path;
  std::string listen_override;  ///< HOST:PORT replacing server.listen ("" = keep)
  std::string port_file;        ///< written with the bound port once ready ("" = none)
};

/// Sets up spdlog (to stderr, level and format — text or json — from config) with one named
/// logger per module.
void setup_logging(const std::string& level, const std::string& format = "text");

/// Makes the configured clock.
std::unique_ptr<core::Clock> make_clock(const config::ClockConfig& config);

class Service {
 public:
  Service(ServiceOptions options, std::shared_ptr<const config::Config> config,
          const notify::ChannelRegistry& registry);
  ~Service();

  /// Opens the store, builds channels, binds the listener and tells systemd READY=1.
  /// Throws on any start-up failure.
  void start();
  /// Runs until SIGTERM/SIGINT (or stop()); returns after draining.
  void run();
  /// Re-reads the config file; keeps the old config when the new one is invalid.
  bool reload();
  /// Begins a graceful shutdown (thread-safe).
  void stop();

  int port() const { return port_; }

 private:
  void schedule_tick(std::chrono::milliseconds delay);
  void on_tick();
  void sweep();
  void log_warnings(const dispatch::Runtime& runtime);
  void arm_signals();
  void pet_watchdog(std::chrono::microseconds period);
  void schedule_prior_refresh();
  void refresh_priors();
  void schedule_retention();
  void begin_shutdown();  ///< on the io_context thread

  ServiceOptions options_;
  std::shared_ptr<const config::Config> config_;
  const notify::ChannelRegistry& registry_;
  boost::asio::io_context io_;
  /// Signals wait on their own thread, so that SIGTERM is seen while a tick blocks io_.
  boost::asio::io_context signal_io_;
  boost::asio::signal_set signals_;
  std::thread signal_thread_;
  std::atomic<bool> stop_requested_{false};
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer prior_timer_;
  boost::asio::steady_timer retention_timer_{io_};
  std::unique_ptr<core::Clock> clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<notify::ConsentLedger> consents_;
  std::unique_ptr<plan::Engine> engine_;
  std::unique_ptr<plan::IngestQueue> ingest_;
  std::unique_ptr<dispatch::Dispatcher> dispatcher_;
  std::unique_ptr<Server> server_;
  std::thread server_thread_;
  int port_ = 0;
  core::EpochSeconds last_sweep_ = 0;  ///< clock time of the last follow-up/win-back sweep
  bool stopping_ = false;
};

}  // namespace replenish::api
