#include "ctl/commands.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "ctl/campaign_commands.hpp"
#include "ctl/coupon_commands.hpp"
#include "ctl/dispatch_commands.hpp"
#include "ctl/import_command.hpp"
#include "dispatch/dispatcher.hpp"
#include "ingest/order_reader.hpp"
#include "model/backtest.hpp"
#include "notify/channel.hpp"
#include "notify/consent.hpp"
#include "plan/engine.hpp"
#include "plan/views.hpp"
#include "store/sqlite_store.hpp"

namespace replenish::ctl {
namespace {

using nlohmann::json;

std::unique_ptr<core::Clock> clock_for(const config::Config& cfg) {
  if (cfg.clock.mode == "simulated") {
    return std::make_unique<core::SimulatedClock>(cfg.clock.start, 0);
  }
  return std::make_unique<core::SystemClock>();
}

/// The config, with --db overriding store.path.
config::Config load(const Globals& g) {
  auto cfg = config::load_config(g.config_path);
  if (!g.db_path.empty()) cfg.store.path = g.db_path;
  return cfg;
}

/// GET `path` from the daemon; throws Unreachable when it cannot be reached.
json api_get(const Globals& g, const std::string& path) {
  httplib::Client client(g.url);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  httplib::Headers headers;
  if (!g.token.empty()) headers.emplace("Authorization", "Bearer " + g.token);
  auto res = client.Get(path, headers);
  if (!res) {
    throw Unreachable(fmt::format("cannot reach {}: {}", g.url, httplib::to_string(res.error())));
  }
  auto body = json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    const std::string detail = body.is_object() ? body.value("detail", res->body) : res->body;
    throw std::runtime_error(fmt::format("{} {}: {}", res->status, path, detail));
  }
  return body;
}

std::function<int()> setup_import(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ImportOptions>();
  app.add_option("files", o->files, "CSV or JSONL files, optionally .gz; - reads stdin")
      ->required();
  app.add_option("--format", o->format, "auto, csv or jsonl")
      ->check(CLI::IsMember({"auto", "csv", "jsonl"}))
      ->capture_default_str();
  app.add_option("--max-errors", o->max_errors, "rejected rows to print per file (all in --json)")
      ->capture_default_str();
  app.add_flag("--strict", o->strict, "exit 1 when any row was rejected");
  auto* on = app.add_flag_function(
      "--progress", [o](std::int64_t) { o->progress = ImportOptions::Progress::kOn; },
      "progress and timings on stderr even when it is not a terminal");
  app.add_flag_function(
         "--no-progress", [o](std::int64_t) { o->progress = ImportOptions::Progress::kOff; },
         "no progress on stderr (the default when stderr is not a terminal)")
      ->excludes(on);
  return [o, &g] {
    auto cfg = std::make_shared<const config::Config>(load(g));
    const auto clock = clock_for(*cfg);
    o->json = g.json;
    return run_import(*o, cfg, *clock);
  };
}

std::function<int()> setup_backtest(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> files;
    std::string category;
    bool save = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("files", o->files, "order history: CSV or JSONL files, optionally .gz")
      ->required();
  auto* category = app.add_option("--category", o->category, "only this periodic category (slug)");
  app.add_flag("--save", o->save,
               "also store the report in the database (store.path) for GET /v1/model and the "
               "console's Model page; safe while the daemon runs")
      ->excludes(category);
  return [o, &g] {
    const auto cfg = load(g);
    const ingest::CategoryMapper mapper(cfg.categories);
    int only = -1;
    if (!o->category.empty()) {
      for (std::size_t i = 0; i < cfg.categories.size(); ++i) {
        if (cfg.categories[i].slug == o->category) only = static_cast<int>(i);
      }
      if (only < 0)
        throw CLI::ValidationError("--category", "unknown category '" + o->category + "'");
    }
    // Pass 1: the lines of periodic categories, with their parsed pack sizes.
    struct Line {
      model::BacktestEvent event;
      double quantity = 0;
      std::optional<model::PackSize> size;
    };
    std::vector<Line> lines;
    std::vector<std::vector<model::PackSize>> sizes(cfg.categories.size());
    std::int64_t rejected = 0;
    for (const auto& file : o->files) {
      const auto stats = ingest::read_order_file(
          file, ingest::Format::kAuto,
          [&](core::OrderLine&& l) {
            const int idx = mapper.map(l.category, l.subcategory);
            if (idx < 0 || (only >= 0 && idx != only)) return;
            Line line;
            line.size = plan::line_pack_size(l);
            if (line.size) sizes[static_cast<std::size_t>(idx)].push_back(*line.size);
            line.quantity = l.quantity;
            line.event = model::BacktestEvent{std::move(l.user_id), idx, l.ordered_at, 0};
            lines.push_back(std::move(line));
          },
          nullptr);
      rejected += stats.rejected;
    }
    // Pass 2: amounts against each category's reference pack size.
    std::vector<std::optional<model::PackSize>> reference(cfg.categories.size());
    for (std::size_t i = 0; i < sizes.size(); ++i) reference[i] = model::reference_size(sizes[i]);
    std::vector<model::BacktestEvent> events;
    events.reserve(lines.size());
    for (auto& l : lines) {
      l.event.amount = model::line_amount(l.quantity, l.size,
                                          reference[static_cast<std::size_t>(l.event.category)]);
      events.push_back(std::move(l.event));
    }
    std::vector<model::CategorySetting> settings;
    for (const auto& c : cfg.categories) {
      settings.push_back(model::CategorySetting{c.slug, c.lead_days, c.default_cycle_days});
    }
    model::BacktestOptions options;
    options.params = plan::Engine::params_of(cfg);
    options.tz = core::TimeZone::locate(cfg.merchant.timezone);
    const auto report = model::run_backtest(events, settings, options);
    if (o->save) {
      store::SqliteStore store(cfg.store.path);
      std::string source;
      for (const auto& f : o->files) source += (source.empty() ? "" : ", ") + f;
      const auto id = store.save_backtest(store::BacktestRecord{
          0, core::SystemClock().now(), source, model::format_json(report, -1)});
      std::cerr << fmt::format("saved as backtest {} in {}\n", id, cfg.store.path);
    }
    if (g.json) {
      std::cout << model::format_json(report) << "\n";
    } else {
      std::cout << model::format_table(report);
      if (rejected > 0) std::cerr << fmt::format("{} invalid row(s) skipped\n", rejected);
    }
    return 0;
  };
}

std::function<int()> setup_schedule(CLI::App& app, Globals& g) {
  struct Opts {
    std::string state = "planned";
    std::string category;
    std::string user;
    int limit = 100;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--state", o->state,
                 "planned, sending, sent, converted, cancelled, dead, "
                 "held_out or all")
      ->capture_default_str();
  app.add_option("--category", o->category, "only this periodic category (slug)");
  app.add_option("--user", o->user, "only this user");
  app.add_option("--limit", o->limit, "at most this many, soonest first")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  return [o, &g] {
    if (o->state != "all" && !core::reminder_state_from_string(o->state)) {
      throw CLI::ValidationError("--state", "unknown state '" + o->state + "'");
    }
    json view;
    if (!g.url.empty()) {
      httplib::Params p{{"state", o->state}, {"limit", std::to_string(o->limit)}};
      if (!o->category.empty()) p.emplace("category", o->category);
      if (!o->user.empty()) p.emplace("user", o->user);
      view = api_get(g, httplib::append_query_params("/v1/schedule", p));
    } else {
      const auto cfg = load(g);
      store::SqliteStore store(cfg.store.path);
      store::ReminderFilter f;
      if (o->state != "all") f.state = core::reminder_state_from_string(o->state);
      f.category = o->category;
      f.user_id = o->user;
      f.limit = o->limit;
      view = plan::schedule_view(store, f, core::TimeZone::locate(cfg.merchant.timezone));
    }
    std::cout << (g.json ? view.dump(2) + "\n" : plan::format_schedule(view));
    return 0;
  };
}

std::function<int()> setup_user(CLI::App& app, Globals& g) {
  auto user = std::make_shared<std::string>();
  app.add_option("user_id", *user, "the user's id")->required();
  return [user, &g] {
    json view;
    if (!g.url.empty()) {
      view = api_get(g, "/v1/users/" + httplib::detail::encode_query_param(*user));
    } else {
      const auto cfg = std::make_shared<const config::Config>(load(g));
      store::SqliteStore store(cfg->store.path);
      const auto clock = clock_for(*cfg);
      plan::Engine engine(cfg, store, *clock);
      engine.load_priors();
      view = plan::user_view(store, *cfg, *user, core::TimeZone::locate(cfg->merchant.timezone),
                             &engine);
    }
    std::cout << (g.json ? view.dump(2) + "\n" : plan::format_user(view));
    return view.value("known", true) ? 0 : 1;
  };
}

std::function<int()> setup_config(CLI::App& app, Globals& g) {
  auto* check = app.add_subcommand("check",
                                   "validate a configuration file (channels and "
                                   "templates included)");
  auto file = std::make_shared<std::string>();
  check->add_option("file", *file, "file to check (default: --config)");
  app.require_subcommand(1);
  return [file, &g] {
    const std::string path = file->empty() ? g.config_path : *file;
    auto cfg = std::make_shared<const config::Config>(config::load_config(path));
    notify::ChannelRegistry registry;
    notify::register_builtin_channels(registry);
    notify::InMemoryConsentLedger ledger;  // a check spends no consent
    const auto runtime = dispatch::make_runtime(cfg, registry, &ledger);
    for (const auto& w : runtime->warnings)
      std::cerr << path << ": warning: " << w.to_string() << "\n";
    std::cout << fmt::format("{}: ok ({} categories, {} channels)\n", path, cfg->categories.size(),
                             cfg->channels.size());
    return 0;
  };
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands{
      {"import", "import order history from CSV/JSONL files (offline: opens the database)",
       "replenishctl --config config/demo.yaml import config/demo/orders.csv", setup_import},
      {"backtest",
       "walk forward through order history and compare the model's predictions with baselines",
       "replenishctl --config config/examples/instacart.yaml backtest orders.csv.gz",
       setup_backtest},
      {"schedule", "list upcoming reminders",
       "replenishctl --config config/demo.yaml schedule --limit 20", setup_schedule},
      {"user", "show a user's purchases per category, the prediction and the reminders",
       "replenishctl --config config/demo.yaml user u001", setup_user},
      {"config", "configuration tools", "replenishctl config check config/replenishd.yaml",
       setup_config},
      {"coupon", "coupon tools: verify a locally generated code offline",
       "replenishctl --config /etc/replenish/replenishd.yaml coupon verify "
       "RP-7Y51RQMV5NR4DRFK-BDXXF6TC",
       setup_coupon},
      {"stats",
       "campaign results per campaign, segment, category and channel: sent, converted, coupons "
       "redeemed, uplift over the holdout group with a 95% confidence interval",
       "replenishctl --config config/demo.yaml stats --since 2024-03-01 --until 2024-04-01",
       setup_stats},
      {"reminder", "one reminder and every attempt to deliver it",
       "replenishctl --config config/demo.yaml reminder show 42", setup_reminder},
      {"dlq", "dead letters: list, retry or drop reminders that could not be delivered",
       "replenishctl --config config/demo.yaml dlq list", setup_dlq},
      {"channel", "channel tools: send a test message through a configured channel",
       "replenishctl --url http://127.0.0.1:8470 --token \"$T\" channel test shop_webhook "
       "--user u001",
       setup_channel},
  };
  return kCommands;
}

}  // namespace replenish::ctl
