#include "ctl/dispatch_commands.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "dispatch/consents.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/views.hpp"
#include "notify/channel.hpp"
#include "store/sqlite_store.hpp"

namespace replenish::ctl {
namespace {

using nlohmann::json;

/// The config, with --db overriding store.path.
config::Config load(const Globals& g) {
  auto cfg = config::load_config(g.config_path);
  if (!g.db_path.empty()) cfg.store.path = g.db_path;
  return cfg;
}

std::unique_ptr<core::Clock> clock_for(const config::Config& cfg) {
  if (cfg.clock.mode == "simulated") {
    return std::make_unique<core::SimulatedClock>(cfg.clock.start, 0);
  }
  return std::make_unique<core::SystemClock>();
}

/// Calls the daemon (GET without a body, POST with one). Throws Unreachable when it cannot be
/// reached, std::runtime_error with the problem's detail for an error status.
json api(const Globals& g, const std::string& method, const std::string& path,
         const json& body = nullptr) {
  httplib::Client client(g.url);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);  // a channel test waits for the gateway
  httplib::Headers headers;
  if (!g.token.empty()) headers.emplace("Authorization", "Bearer " + g.token);
  auto res = method == "GET" ? client.Get(path, headers)
                             : client.Post(path, headers, body.is_null() ? "" : body.dump(),
                                           "application/json");
  if (!res) {
    throw Unreachable(fmt::format("cannot reach {}: {}", g.url, httplib::to_string(res.error())));
  }
  auto answer = json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    const std::string detail = answer.is_object() ? answer.value("detail", res->body) : res->body;
    throw std::runtime_error(fmt::format("{} {}: {}", res->status, path, detail));
  }
  return answer;
}

void print(const Globals& g, const json& view, const std::string& text) {
  std::cout << (g.json ? view.dump(2) + "\n" : text);
}

void add_example(CLI::App* sub, const std::string& example) {
  sub->footer("Example: " + example);
}

}  // namespace

std::function<int()> setup_reminder(CLI::App& app, Globals& g) {
  auto* show = app.add_subcommand("show",
                                  "one reminder with every attempt (time, channel, "
                                  "outcome, provider id or error, ms)");
  add_example(show, "replenishctl --config config/demo.yaml reminder show 42");
  auto id = std::make_shared<std::int64_t>(0);
  show->add_option("id", *id, "the reminder's id")->required();
  app.require_subcommand(1);
  return [id, &g] {
    json view;
    if (!g.url.empty()) {
      view = api(g, "GET", fmt::format("/v1/reminders/{}", *id));
    } else {
      const auto cfg = load(g);
      store::SqliteStore store(cfg.store.path);
      view = dispatch::reminder_detail(store, *id, core::TimeZone::locate(cfg.merchant.timezone));
      if (view.is_null()) throw std::runtime_error(fmt::format("no reminder {}", *id));
    }
    print(g, view, dispatch::format_reminder(view));
    return 0;
  };
}

std::function<int()> setup_dlq(CLI::App& app, Globals& g) {
  struct Opts {
    int limit = 100;
    std::int64_t id = 0;
    std::string reason;
  };
  auto o = std::make_shared<Opts>();
  auto* list = app.add_subcommand("list", "dead reminders, most recently dead first");
  add_example(list, "replenishctl --config config/demo.yaml dlq list --limit 20");
  list->add_option("--limit", o->limit, "at most this many")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  auto* retry = app.add_subcommand(
      "retry", "send a dead reminder again now (back to planned; attempts and key kept)");
  add_example(retry, "replenishctl --url http://127.0.0.1:8470 --token \"$T\" dlq retry 42");
  retry->add_option("id", o->id, "the reminder's id")->required();
  auto* drop = app.add_subcommand("drop", "give up on a dead reminder (cancelled, with a reason)");
  add_example(drop,
              "replenishctl --url http://127.0.0.1:8470 --token \"$T\" dlq drop 42 "
              "--reason \"user unreachable\"");
  drop->add_option("id", o->id, "the reminder's id")->required();
  drop->add_option("--reason", o->reason, "why (kept on the reminder)");
  app.require_subcommand(1);

  return [o, list, retry, &g] {
    if (list->parsed()) {
      json view;
      if (!g.url.empty()) {
        view = api(g, "GET", fmt::format("/v1/dlq?limit={}", o->limit));
      } else {
        const auto cfg = load(g);
        store::SqliteStore store(cfg.store.path);
        view = dispatch::dlq_view(store, o->limit, core::TimeZone::locate(cfg.merchant.timezone));
      }
      print(g, view, dispatch::format_dlq(view));
      return 0;
    }
    const bool is_retry = retry->parsed();
    json answer;
    if (!g.url.empty()) {
      answer = is_retry ? api(g, "POST", fmt::format("/v1/dlq/{}/retry", o->id), json::object())
                        : api(g, "POST", fmt::format("/v1/dlq/{}/drop", o->id),
                              o->reason.empty() ? json::object() : json{{"reason", o->reason}});
    } else {
      // Offline: the same change, straight in the database (the daemon picks it up).
      const auto cfg = load(g);
      store::SqliteStore store(cfg.store.path);
      const auto clock = clock_for(cfg);
      const auto r = store.reminder(o->id);
      if (!r) throw std::runtime_error(fmt::format("no reminder {}", o->id));
      const auto verb = is_retry ? "retried" : "dropped";
      bool done = false;
      std::string reason;
      if (is_retry) {
        done = store.requeue_dead(o->id, "retried by admin after: " + r->last_error, clock->now());
      } else {
        reason = "dropped by admin: " + (o->reason.empty() ? "no reason given" : o->reason);
        done = store.transition(o->id, core::ReminderState::kDead, core::ReminderState::kCancelled,
                                reason, clock->now());
      }
      if (!done) {
        throw std::runtime_error(fmt::format("reminder {} is {}, only dead reminders can be {}",
                                             o->id, core::to_string(r->state), verb));
      }
      answer = is_retry ? json{{"id", o->id},
                               {"state", "planned"},
                               {"key", r->key},
                               {"attempts", r->attempts},
                               {"due_at", core::format_utc(clock->now())}}
                        : json{{"id", o->id}, {"state", "cancelled"}, {"reason", reason}};
    }
    const std::string text =
        is_retry
            ? fmt::format(
                  "reminder {} is planned again, due now (key {}, {} attempt(s) so "
                  "far)\n",
                  o->id, answer.value("key", ""), answer.value("attempts", 0))
            : fmt::format("reminder {} is cancelled ({})\n", o->id, answer.value("reason", ""));
    print(g, answer, text);
    return 0;
  };
}

std::function<int()> setup_channel(CLI::App& app, Globals& g) {
  struct Opts {
    std::string channel;
    std::string user;
    std::string category;
  };
  auto o = std::make_shared<Opts>();
  auto* test = app.add_subcommand(
      "test",
      "send one rendered test message through a channel instance and print what the "
      "gateway answered (exit 1 unless delivered)");
  add_example(test,
              "replenishctl --url http://127.0.0.1:8470 --token \"$T\" channel test "
              "shop_webhook --user u001");
  test->add_option("channel", o->channel, "channel instance name from the config")->required();
  test->add_option("--user", o->user, "the user to send to")->required();
  test->add_option("--category", o->category,
                   "use the user's reminder in this category (default: the latest; else sample "
                   "text)");
  app.require_subcommand(1);
  return [o, &g] {
    json answer;
    if (!g.url.empty()) {
      json body{{"user_id", o->user}};
      if (!o->category.empty()) body["category"] = o->category;
      answer = api(
          g, "POST",
          "/v1/admin/channels/" + httplib::detail::encode_query_param(o->channel) + "/test", body);
    } else {
      // Offline: the channels built from the config file, sending from this process.
      const auto cfg = std::make_shared<const config::Config>(load(g));
      store::SqliteStore store(cfg->store.path);
      const auto clock = clock_for(*cfg);
      dispatch::StoreConsentLedger consents(store, *clock);
      notify::ChannelRegistry registry;
      notify::register_builtin_channels(registry);
      dispatch::Dispatcher dispatcher(store, *clock,
                                      dispatch::make_runtime(cfg, registry, &consents));
      answer = dispatcher.send_test(o->channel, o->user, o->category);
    }
    print(g, answer, dispatch::format_channel_test(answer));
    return answer.value("outcome", "") == "delivered" ? 0 : 1;
  };
}

}  // namespace replenish::ctl
