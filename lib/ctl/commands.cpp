#include "ctl/commands.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
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
  struct Opts {
    std::vector<std::string> files;
    std::string format = "auto";
    int max_errors = 20;
    bool strict = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("files", o->files, "CSV or JSONL files, optionally .gz; - reads stdin")
      ->required();
  app.add_option("--format", o->format, "auto, csv or jsonl")
      ->check(CLI::IsMember({"auto", "csv", "jsonl"}))
      ->capture_default_str();
  app.add_option("--max-errors", o->max_errors, "rejected rows to print per file (all in --json)")
      ->capture_default_str();
  app.add_flag("--strict", o->strict, "exit 1 when any row was rejected");
  return [o, &g] {
    auto cfg = std::make_shared<const config::Config>(load(g));
    store::SqliteStore store(cfg->store.path);
    auto clock = clock_for(*cfg);
    plan::Engine engine(cfg, store, *clock);
    const auto fmt_opt = o->format == "csv"     ? ingest::Format::kCsv
                         : o->format == "jsonl" ? ingest::Format::kJsonl
                                                : ingest::Format::kAuto;
    plan::IngestSummary total;
    std::set<plan::PairKey> touched;
    json files = json::array();
    std::int64_t rejected_total = 0;
    constexpr std::size_t kBatch = 20000;
    for (const auto& file : o->files) {
      std::vector<core::OrderLine> batch;
      json errors = json::array();
      int printed = 0;
      plan::IngestSummary file_sum;
      auto flush = [&] {
        auto s = engine.ingest(batch, false);
        file_sum.stored += s.stored;
        file_sum.duplicates += s.duplicates;
        file_sum.conflicts += s.conflicts;
        file_sum.periodic += s.periodic;
        touched.insert(s.touched.begin(), s.touched.end());
        batch.clear();
      };
      const auto stats = ingest::read_order_file(
          file, fmt_opt,
          [&](core::OrderLine&& line) {
            batch.push_back(std::move(line));
            if (batch.size() >= kBatch) flush();
          },
          [&](const ingest::RowError& e) {
            errors.push_back({{"line", e.line_no}, {"reason", e.reason}});
            if (!g.json && printed < o->max_errors) {
              std::cerr << fmt::format("{}:{}: {}\n", file, e.line_no, e.reason);
              ++printed;
            }
          });
      flush();
      rejected_total += stats.rejected;
      if (!g.json && stats.rejected > printed) {
        std::cerr << fmt::format("{}: … and {} more rejected row(s)\n", file,
                                 stats.rejected - printed);
      }
      if (!g.json && !stats.unknown_columns.empty()) {
        std::string cols;
        for (const auto& c : stats.unknown_columns) cols += (cols.empty() ? "" : ", ") + c;
        std::cerr << fmt::format("{}: ignored unknown column(s): {}\n", file, cols);
      }
      files.push_back({{"file", file},
                       {"rows", stats.rows},
                       {"stored", file_sum.stored},
                       {"duplicates", file_sum.duplicates},
                       {"conflicts", file_sum.conflicts},
                       {"rejected", stats.rejected},
                       {"periodic", file_sum.periodic},
                       {"unknown_columns", stats.unknown_columns},
                       {"errors", errors}});
      if (!g.json) {
        std::cout << fmt::format(
            "{}: {} rows: {} stored, {} duplicate, {} conflicting, {} rejected ({} in periodic "
            "categories)\n",
            file, stats.rows, file_sum.stored, file_sum.duplicates, file_sum.conflicts,
            stats.rejected, file_sum.periodic);
      }
      total.stored += file_sum.stored;
    }
    // Learn the categories' priors from everything stored, then plan with them.
    engine.load_priors();
    engine.refresh_priors();
    engine.replan_pairs(touched, total);
    if (g.json) {
      std::cout << json{{"files", files},
                        {"pairs_updated", total.pairs_updated},
                        {"planned", total.planned},
                        {"cancelled", total.cancelled},
                        {"converted", total.converted}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << fmt::format(
          "updated {} (user, category) pair(s): {} reminder(s) planned, {} cancelled, {} "
          "converted\n",
          total.pairs_updated, total.planned, total.cancelled, total.converted);
    }
    return o->strict && rejected_total > 0 ? 1 : 0;
  };
}

std::function<int()> setup_backtest(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> files;
    std::string category;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("files", o->files, "order history: CSV or JSONL files, optionally .gz")
      ->required();
  app.add_option("--category", o->category, "only this periodic category (slug)");
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
    dispatch::make_runtime(cfg, registry, &ledger);
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
  };
  return kCommands;
}

}  // namespace replenish::ctl
