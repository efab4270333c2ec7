#include "api/service.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/post.hpp>
#include <fstream>

#include "api/log_format.hpp"
#include "dispatch/consents.hpp"
#include "plan/retention.hpp"
#include "store/sqlite_store.hpp"

namespace replenish::api {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("replenishd");
    return l ? l : spdlog::default_logger()->clone("replenishd");
  }();
  return log;
}

}  // namespace

void setup_logging(const std::string& level, const std::string& format) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  const auto lvl = spdlog::level::from_str(level);
  for (const char* name :
       {"replenishd", "api", "plan", "dispatch", "notify", "store", "ingest", "model"}) {
    if (spdlog::get(name)) {
      spdlog::get(name)->set_level(lvl);
      spdlog::get(name)->set_formatter(make_log_formatter(format));
      continue;
    }
    auto l = std::make_shared<spdlog::logger>(name, sink);
    l->set_level(lvl);
    l->set_formatter(make_log_formatter(format));
    spdlog::register_logger(l);
  }
  spdlog::set_default_logger(spdlog::get("replenishd"));
}

std::unique_ptr<core::Clock> make_clock(const config::ClockConfig& c) {
  if (c.mode == "simulated") return std::make_unique<core::SimulatedClock>(c.start, c.speed);
  return std::make_unique<core::SystemClock>();
}

Service::Service(ServiceOptions options, std::shared_ptr<const config::Config> config,
                 const notify::ChannelRegistry& registry)
    : options_(std::move(options)),
      config_(std::move(config)),
      registry_(registry),
      signals_(signal_io_),
      tick_timer_(io_),
      watchdog_timer_(io_),
      prior_timer_(io_) {}

Service::~Service() {
  signal_io_.stop();
  if (signal_thread_.joinable()) signal_thread_.join();
  if (server_) server_->stop();
  if (server_thread_.joinable()) server_thread_.join();
}

void Service::start() {
  clock_ = make_clock(config_->clock);
  store_ = std::make_unique<store::SqliteStore>(config_->store.path);
  logger()->info("event=store_open path={} schema_version={}", config_->store.path,
                 store_->schema_version());
  consents_ = std::make_unique<dispatch::StoreConsentLedger>(*store_, *clock_);
  engine_ = std::make_unique<plan::Engine>(config_, *store_, *clock_);
  engine_->load_priors();
  if (store_->priors().empty() && store_->order_count() > 0) refresh_priors();
  auto runtime = dispatch::make_runtime(config_, registry_);
  log_warnings(*runtime);
  dispatcher_ = std::make_unique<dispatch::Dispatcher>(*store_, *clock_, std::move(runtime));

  Services services;
  services.engine = engine_.get();
  services.store = store_.get();
  services.clock = clock_.get();
  ingest_ = std::make_unique<plan::IngestQueue>(*engine_, *store_);
  services.ingest = ingest_.get();
  services.dispatcher = dispatcher_.get();
  services.on_clock_moved = [this] {
    boost::asio::post(io_, [this] { schedule_tick(std::chrono::milliseconds(0)); });
  };
  server_ = std::make_unique<Server>(services, config_);
  std::string host = config_->server.host;
  int port = config_->server.port;
  if (!options_.listen_override.empty()) {
    const auto colon = options_.listen_override.rfind(':');
    host = options_.listen_override.substr(0, colon);
    port = std::stoi(options_.listen_override.substr(colon + 1));
  }
  port_ = server_->bind(host, port);
  server_thread_ = std::thread([this] { server_->serve(); });
  if (config_->server.tokens.empty()) {
    logger()->warn(
        "event=no_tokens detail=\"server.tokens is empty: every /v1 request is "
        "refused\"");
  }
  logger()->info("event=listening address={}:{} clock={} now={}", host, port_, config_->clock.mode,
                 core::format_utc(clock_->now()));
  if (!options_.port_file.empty()) {
    std::ofstream(options_.port_file) << port_ << "\n";
  }
  server_->set_ready(true);
  sd_notify(0, "READY=1");
}

void Service::arm_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      boost::asio::post(io_, [this] { reload(); });
      arm_signals();
      return;
    }
    logger()->info("event=shutdown signal={}", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    stop_requested_ = true;  // seen by a tick that is already due: it claims nothing more
    stop();
  });
}

void Service::run() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  arm_signals();
  signal_thread_ = std::thread([this] { signal_io_.run(); });
  schedule_tick(std::chrono::milliseconds(0));
  schedule_prior_refresh();
  schedule_retention();
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    pet_watchdog(std::chrono::microseconds(watchdog_usec / 2));
  }
  io_.run();
  signal_io_.stop();
  signal_thread_.join();
  // Drained: the tick in progress finished before the signal handler ran; leases of anything
  // claimed but not finished would expire and return to 'planned'.
  if (server_) server_->stop();
  if (server_thread_.joinable()) server_thread_.join();
  logger()->info("event=stopped");
}

void Service::stop() {
  boost::asio::post(io_, [this] { begin_shutdown(); });
}

void Service::begin_shutdown() {
  if (stopping_) return;
  stopping_ = true;
  sd_notify(0, "STOPPING=1");
  server_->set_ready(false);
  server_->stop();
  tick_timer_.cancel();
  watchdog_timer_.cancel();
  prior_timer_.cancel();
  retention_timer_.cancel();
}

bool Service::reload() {
  try {
    auto fresh = std::make_shared<const config::Config>(config::load_config(options_.config_path));
    auto runtime = dispatch::make_runtime(fresh, registry_, consents_.get());
    log_warnings(*runtime);
    engine_->set_config(fresh);
    dispatcher_->set_runtime(runtime);
    server_->set_config(fresh);
    setup_logging(fresh->logging.level, fresh->logging.format);
    config_ = fresh;
    logger()->info("event=config_reloaded path={}", options_.config_path);
    return true;
  } catch (const std::exception& e) {
    logger()->error("event=config_reload_failed path={} kept=old reason=\"{}\"",
                    options_.config_path, e.what());
    return false;
  }
}

void Service::pet_watchdog(std::chrono::microseconds period) {
  sd_notify(0, "WATCHDOG=1");
  watchdog_timer_.expires_after(period);
  watchdog_timer_.async_wait([this, period](const boost::system::error_code& ec) {
    if (!ec) pet_watchdog(period);
  });
}

void Service::refresh_priors() {
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto summary = engine_->refresh_priors();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    int learned = 0;
    for (const auto& p : summary) learned += p.learned ? 1 : 0;
    logger()->info("event=priors_refreshed categories={} learned={} ms={}", summary.size(), learned,
                   ms);
  } catch (const std::exception& e) {
    logger()->error("event=priors_refresh_failed reason=\"{}\"", e.what());
  }
}

void Service::schedule_prior_refresh() {
  if (stopping_) return;
  prior_timer_.expires_after(std::chrono::seconds(config_->model.prior_refresh_seconds));
  prior_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    refresh_priors();
    schedule_prior_refresh();
  });
}

void Service::schedule_tick(std::chrono::milliseconds delay) {
  if (stopping_) return;
  tick_timer_.expires_after(delay);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void Service::schedule_retention() {
  if (stopping_) return;
  retention_timer_.expires_after(std::chrono::seconds(config_->retention.interval_seconds));
  retention_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      plan::apply_retention(*store_, config_->retention, clock_->now(), false);
    } catch (const std::exception& e) {
      logger()->error("event=retention_failed reason=\"{}\"", e.what());
    }
    schedule_retention();
  });
}

void Service::log_warnings(const dispatch::Runtime& runtime) {
  for (const auto& w : runtime.warnings) {
    logger()->warn("event=config_warning path={} reason=\"{}\"", w.path, w.message);
  }
}

void Service::sweep() {
  // Follow-ups and win-backs come due with time alone: look for them every plan.sweep_seconds
  // of the clock's time (a simulated clock moved by hand sweeps at once).
  const auto now = clock_->now();
  if (last_sweep_ != 0 && now >= last_sweep_ && now - last_sweep_ < config_->plan.sweep_seconds) {
    return;
  }
  last_sweep_ = now;
  try {
    const auto s = engine_->sweep();
    if (s.follow_ups + s.lapsed > 0) {
      logger()->info("event=sweep follow_ups={} lapsed={} win_backs={}", s.follow_ups, s.lapsed,
                     s.win_backs);
    }
  } catch (const std::exception& e) {
    logger()->error("event=sweep_failed reason=\"{}\"", e.what());
  }
}

void Service::on_tick() {
  if (stopping_ || stop_requested_) return;
  dispatch::TickResult r;
  sweep();
  try {
    r = dispatcher_->tick();
  } catch (const std::exception& e) {
    logger()->error("event=dispatch_failed reason=\"{}\"", e.what());
  }
  const auto& dc = config_->dispatch;
  // A full batch means more may be due: go again at once.
  schedule_tick(std::chrono::milliseconds(r.claimed >= dc.batch ? 0 : dc.tick_ms));
}

}  // namespace replenish::api
