// The HTTP API in process on an ephemeral port, over a fresh store and a simulated clock that
// moves only when told: what the route tests share.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "api/server.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace replenish::testing {

struct ApiFixture {
  TempDir dir;
  std::shared_ptr<const config::Config> cfg;
  store::SqliteStore store;
  core::SimulatedClock clock;
  plan::Engine engine;
  std::unique_ptr<api::Server> server;
  std::thread thread;
  int port = 0;

  /// `yaml`: the configuration; `start`: the clock's time (ISO-8601 with an offset).
  ApiFixture(const std::string& yaml, const std::string& start)
      : cfg(std::make_shared<const config::Config>(config::parse_config(yaml, "test"))),
        store(dir.file("r.db")),
        clock(*core::parse_timestamp(start), 0),
        engine(cfg, store, clock) {
    api::Services s;
    s.engine = &engine;
    s.store = &store;
    s.clock = &clock;
    server = std::make_unique<api::Server>(s, cfg);
    port = server->bind("127.0.0.1", 0);
    thread = std::thread([this] { server->serve(); });
    eventually([this] { return server->running(); });
    server->set_ready(true);
  }
  ~ApiFixture() {
    server->stop();
    thread.join();
  }
  ApiFixture(const ApiFixture&) = delete;
  ApiFixture& operator=(const ApiFixture&) = delete;

  /// A client of the server; with `token`, every request carries it.
  httplib::Client client(const std::string& token = "") const {
    httplib::Client c("127.0.0.1", port);
    c.set_tcp_nodelay(true);
    if (!token.empty()) c.set_bearer_token_auth(token);
    return c;
  }
};

}  // namespace replenish::testing
