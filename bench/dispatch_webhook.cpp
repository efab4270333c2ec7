// Dispatch throughput through the webhook channel.
//
//   bench_dispatch_webhook --serve PORT_FILE         run only the receiver (for wrk), until EOF
//                                                    on stdin or SIGTERM
//   bench_dispatch_webhook [--url URL] [--reminders N] [--concurrency C] [--batch B]
//                          [--commit-max M] [--commit-ms T]
//
// The second form fills a fresh SQLite store with N due reminders and lets the real Dispatcher
// claim and send them through the real webhook channel (signed, keep-alive) to URL (or to a
// receiver it starts itself), then prints messages/second and the p50/p99 latency of a send.
// bench/run-dispatch.sh runs both against one receiver, next to wrk.
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/channel.hpp"
#include "notify/templates.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace replenish;
using Clock = std::chrono::steady_clock;

void serve(httplib::Server& server) {
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  server.Post("/hook", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"ok":true})", "application/json");
  });
}

/// Wraps a channel and records how long each send took (in a list per sending thread, so that
/// timing adds no lock to the send path).
class Timed final : public notify::Channel {
 public:
  explicit Timed(std::shared_ptr<notify::Channel> inner) : inner_(std::move(inner)) {}
  const std::string& name() const override { return inner_->name(); }
  const std::string& type() const override { return inner_->type(); }
  notify::Outcome send(const notify::Message& m) override {
    thread_local std::vector<std::int64_t>* mine = nullptr;
    if (!mine) {
      std::lock_guard lock(mu_);
      mine = &lists_.emplace_back();
    }
    const auto start = Clock::now();
    auto o = inner_->send(m);
    mine->push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    return o;
  }
  /// Call once the sends are over.
  std::vector<std::int64_t> latencies() {
    std::lock_guard lock(mu_);
    std::vector<std::int64_t> all;
    for (const auto& l : lists_) all.insert(all.end(), l.begin(), l.end());
    return all;
  }

 private:
  std::shared_ptr<notify::Channel> inner_;
  std::mutex mu_;
  std::deque<std::vector<std::int64_t>> lists_;  // stable addresses
};

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string port_file = arg(argc, argv, "--serve", "");
  if (!port_file.empty()) {
    httplib::Server server;
    serve(server);
    const int port = server.bind_to_any_port("127.0.0.1");
    std::ofstream(port_file) << port << "\n";
    std::thread t([&] { server.listen_after_bind(); });
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    server.stop();
    t.join();
    return 0;
  }

  spdlog::set_level(spdlog::level::warn);  // per-message info lines would dominate the run
  const int n = std::stoi(arg(argc, argv, "--reminders", "100000"));
  const int concurrency = std::stoi(arg(argc, argv, "--concurrency", "8"));
  const int batch = std::stoi(arg(argc, argv, "--batch", "500"));
  // The daemon's defaults unless told otherwise.
  const config::DispatchConfig defaults;
  const int commit_max =
      std::stoi(arg(argc, argv, "--commit-max", std::to_string(defaults.commit_max)));
  const int commit_ms =
      std::stoi(arg(argc, argv, "--commit-ms", std::to_string(defaults.commit_interval_ms)));
  std::string url = arg(argc, argv, "--url", "");
  httplib::Server own;
  std::thread own_thread;
  if (url.empty()) {
    serve(own);
    const int port = own.bind_to_any_port("127.0.0.1");
    own_thread = std::thread([&] { own.listen_after_bind(); });
    while (!own.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  }

  const auto dir =
      std::filesystem::temp_directory_path() / ("replenish-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  store::SqliteStore store((dir / "r.db").string());
  notify::TemplateVars vars;
  vars.shop_name = "邻家小铺";
  vars.category = "diapers";
  vars.category_name = "纸尿裤";
  vars.last_purchase_date = "3月1日";
  vars.predicted_date = "3月13日";
  vars.due_date = "3月11日";
  vars.kind = "replenish";
  const std::string payload = nlohmann::json{{"vars", vars.to_json()}}.dump();
  store.with_transaction([&] {
    for (int i = 0; i < n; ++i) {
      core::Reminder r;
      r.key = "bench-" + std::to_string(i);
      r.user_id = "u" + std::to_string(i);
      r.category = "diapers";
      r.due_at = r.next_attempt_at = 1000;
      r.payload = payload;
      store.insert_reminder(r);
    }
  });

  // Any time of day, no cap: the bench measures sending, not the campaign rules.
  const std::string yaml =
      "dispatch: {batch: " + std::to_string(batch) +
      ", concurrency: " + std::to_string(concurrency) +
      ", commit_max: " + std::to_string(commit_max) +
      ", commit_interval_ms: " + std::to_string(commit_ms) +
      "}\nplan: {send_window: {start: \"00:00\", end: \"00:00\"}, "
      "quiet_hours: {start: \"00:00\", end: \"00:00\"}}\n"
      "caps: {max_messages: 1000}\ncategories:\n  - slug: diapers\n    match: [{category: [x]}]\n"
      "channels:\n  hook: {type: webhook, url: \"" +
      url + "\", secret: \"bench-secret-0123456789\"}\n";
  auto cfg = std::make_shared<const config::Config>(config::parse_config(yaml, "bench"));
  notify::ChannelRegistry registry;
  notify::register_builtin_channels(registry);
  // The configured runtime, with the webhook channel wrapped to time each send.
  auto rt = std::make_shared<dispatch::Runtime>(*dispatch::make_runtime(cfg, registry));
  auto timed = std::make_shared<Timed>(rt->channels.at("hook"));
  rt->channels["hook"] = timed;
  core::SimulatedClock clock(2000, 0);
  dispatch::Dispatcher dispatcher(store, clock, rt);

  const auto start = Clock::now();
  int sent = 0, other = 0;
  for (;;) {
    const auto t = dispatcher.tick();
    if (t.claimed == 0) break;
    sent += t.sent;
    other += t.claimed - t.sent;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto lat = timed->latencies();
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return 0.0;
    return static_cast<double>(
               lat[static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1))]) /
           1000.0;
  };
  std::printf(
      "dispatch via webhook: %d sent, %d not sent, %.2f s, %.0f messages/s, send latency p50 "
      "%.2f ms, p99 %.2f ms (concurrency %d, batch %d, commit_max %d, commit_interval_ms %d)\n",
      sent, other, seconds, sent / seconds, pct(0.5), pct(0.99), concurrency, batch, commit_max,
      commit_ms);
  std::filesystem::remove_all(dir);
  if (own_thread.joinable()) {
    own.stop();
    own_thread.join();
  }
  return sent == n ? 0 : 1;
}
