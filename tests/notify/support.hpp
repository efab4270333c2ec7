// Test helpers of the notify tests: channel specs from YAML, log capture, an in-process HTTP
// server on an ephemeral port.
#pragma once

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "notify/channel.hpp"
#include "notify/logging.hpp"

namespace replenish::notify::test {

/// A ChannelSpec named `name` from the YAML mapping of its options.
inline config::ChannelSpec spec(const std::string& name, const std::string& yaml) {
  config::ChannelSpec s;
  s.name = name;
  s.options = YAML::Load(yaml);
  s.type = s.options["type"] ? s.options["type"].as<std::string>() : "";
  s.path = "channels." + name;
  return s;
}

/// Builds one channel with the built-in registry; throws config::ConfigError like the daemon.
inline std::shared_ptr<Channel> build_one(const std::string& name, const std::string& yaml,
                                          const ChannelContext& context = {}) {
  ChannelRegistry registry;
  register_builtin_channels(registry);
  return registry.build({spec(name, yaml)}, context).at(name);
}

/// The ConfigError's issues from building `yaml` ("" when it builds).
inline config::Issues build_issues(const std::string& name, const std::string& yaml,
                                   const ChannelContext& context = {}) {
  try {
    build_one(name, yaml, context);
  } catch (const config::ConfigError& e) {
    return e.issues();
  }
  return {};
}

/// True when some issue has exactly `path` and its message contains `text`.
inline bool has_issue(const config::Issues& issues, const std::string& path,
                      const std::string& text = "") {
  for (const auto& i : issues) {
    if (i.path == path && i.message.find(text) != std::string::npos) return true;
  }
  return false;
}

/// Captures what the "notify" logger writes ("LEVEL message", one line per record) while
/// alive, instead of its usual sinks.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    sink_->set_pattern("%l %v");
    logger_ = logger();
    previous_level_ = logger_->level();
    logger_->set_level(spdlog::level::trace);
    previous_sinks_ = logger_->sinks();
    logger_->sinks() = {sink_};
  }
  ~LogCapture() {
    logger_->sinks() = previous_sinks_;
    logger_->set_level(previous_level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() {
    logger_->flush();
    return stream_.str();
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<spdlog::sink_ptr> previous_sinks_;
  spdlog::level::level_enum previous_level_ = spdlog::level::info;
};

/// A cpp-httplib server on 127.0.0.1 and an ephemeral port, listening in its own thread from
/// construction until destruction (stop and join). `routes` registers the handlers before the
/// server starts (its handler table must not change while it runs). Pass an SSLServer for https.
class HttpMock {
 public:
  explicit HttpMock(const std::function<void(httplib::Server&)>& routes,
                    std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(std::move(server)) {
    server_->set_tcp_nodelay(true);
    server_->set_keep_alive_timeout(1);
    server_->set_keep_alive_max_count(1000);
    server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
    routes(*server_);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // is_running() turns true before the server has started its worker threads: one answered
    // request proves it serves (matters under sanitizers, where starting 32 threads is slow).
    wait_until_serving(deadline);
  }
  ~HttpMock() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  HttpMock(const HttpMock&) = delete;
  HttpMock& operator=(const HttpMock&) = delete;

  int port() const { return port_; }
  bool serving() const { return serving_; }
  bool running() const { return server_->is_running(); }
  std::string url(const std::string& path, const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void wait_until_serving(std::chrono::steady_clock::time_point deadline) {
    const bool tls = dynamic_cast<httplib::SSLServer*>(server_.get()) != nullptr;
    while (!serving_ && std::chrono::steady_clock::now() < deadline) {
      std::unique_ptr<httplib::ClientImpl> probe;
      if (tls) {
        auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
        client->enable_server_certificate_verification(false);
        probe = std::move(client);
      } else {
        probe = std::make_unique<httplib::ClientImpl>("127.0.0.1", port_);
      }
      probe->set_connection_timeout(std::chrono::seconds(5));
      probe->set_read_timeout(std::chrono::seconds(5));
      serving_ = static_cast<bool>(probe->Get("/__probe"));
    }
  }

  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;
  bool serving_ = false;
  std::thread thread_;
};

/// A TCP port on 127.0.0.1 that nothing listens on (bound once, then closed).
int closed_port();

/// A TCP server on 127.0.0.1 and an ephemeral port that accepts each connection, reads the
/// request head and resets the connection (RST): a gateway that drops the request.
class ResetServer {
 public:
  ResetServer();
  ~ResetServer();
  ResetServer(const ResetServer&) = delete;
  ResetServer& operator=(const ResetServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  /// Connections reset so far.
  int resets() const { return resets_.load(); }

 private:
  void run();

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> resets_{0};
  std::thread thread_;
};

/// A self-signed certificate for 127.0.0.1 (P-256 key), for https mocks.
class SelfSigned {
 public:
  SelfSigned();
  ~SelfSigned();
  SelfSigned(const SelfSigned&) = delete;
  SelfSigned& operator=(const SelfSigned&) = delete;

  /// An https server with this certificate (the server takes its own references).
  std::unique_ptr<httplib::Server> server() const;
  /// Writes the certificate as PEM (a CA bundle that trusts it).
  void write_pem(const std::string& path) const;

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
};

/// A request as a mock received it.
struct Received {
  std::string method;
  std::string path;
  std::string query_shop;  ///< value of the "shop" query parameter, if any
  std::string body;
  httplib::Headers headers;
  int remote_port = 0;
  httplib::Params params;  ///< query parameters

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

/// Thread-safe list of received requests.
class Inbox {
 public:
  void add(const httplib::Request& request) {
    Received r{request.method, request.path,    request.get_param_value("shop"),
               request.body,   request.headers, request.remote_port,
               request.params};
    const std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(r));
  }
  std::vector<Received> items() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Received> items_;
};

}  // namespace replenish::notify::test
