// replenishctl's operations commands: status, reminders, users erase (through the daemon's
// API), and the offline migrate, backup and retention (they open the database file).
#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time.hpp"
#include "ctl/commands.hpp"
#include "plan/retention.hpp"
#include "plan/views.hpp"
#include "store/backup.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"

namespace replenish::ctl {
namespace {

using nlohmann::json;

/// Where the daemon listens and the token to use: --url/--token (or REPLENISH_URL,
/// REPLENISH_TOKEN), otherwise server.listen and the first admin token of the config file.
struct Target {
  std::string url;
  std::string token;
};

Target target(const Globals& g) {
  Target t{g.url, g.token};
  if (!t.url.empty() && !t.token.empty()) return t;
  config::Config cfg;
  try {
    cfg = config::load_config(g.config_path);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{}\n(the daemon's address and token come from the configuration; give "
                    "--url and --token, or REPLENISH_URL and REPLENISH_TOKEN, instead)",
                    e.what()));
  }
  if (t.url.empty()) {
    std::string host = cfg.server.host;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    t.url = fmt::format("http://{}:{}", host, cfg.server.port);
  }
  if (t.token.empty()) {
    for (const char* scope : {"admin", "read"}) {
      for (const auto& tok : cfg.server.tokens) {
        if (t.token.empty() && tok.scopes.count(scope)) t.token = tok.token;
      }
    }
  }
  return t;
}

/// Calls the daemon; returns the JSON body of a 2xx answer. Throws Unreachable when there is
/// no answer, std::runtime_error with the problem's detail otherwise.
json call(const Globals& g, const std::string& method, const std::string& path,
          const json& body = nullptr) {
  const auto t = target(g);
  httplib::Client client(t.url);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);
  httplib::Headers headers;
  if (!t.token.empty()) headers.emplace("Authorization", "Bearer " + t.token);
  const std::string payload = body.is_null() ? std::string() : body.dump();
  httplib::Result res = method == "GET"    ? client.Get(path, headers)
                        : method == "POST" ? client.Post(path, headers, payload, "application/json")
                                           : client.Delete(path, headers);
  if (!res) {
    throw Unreachable(
        fmt::format("cannot reach the daemon at {}: {}", t.url, httplib::to_string(res.error())));
  }
  auto parsed = json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    const std::string detail =
        parsed.is_object() ? parsed.value("detail", parsed.value("title", res->body)) : res->body;
    throw std::runtime_error(fmt::format("{} {}: {} {}", method, path, res->status, detail));
  }
  return parsed;
}

std::string encode(const std::string& s) {
  return httplib::detail::encode_query_param(s);
}

/// The database file: --db, else store.path of the configuration.
std::string database(const Globals& g) {
  if (!g.db_path.empty()) return g.db_path;
  return config::load_config(g.config_path).store.path;
}

std::unique_ptr<core::Clock> clock_of(const config::Config& cfg) {
  if (cfg.clock.mode == "simulated") {
    return std::make_unique<core::SimulatedClock>(cfg.clock.start, 0);
  }
  return std::make_unique<core::SystemClock>();
}

/// "90s", "45m", "3h", "2d" or plain seconds.
std::int64_t parse_duration(const std::string& text) {
  std::size_t used = 0;
  std::int64_t n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = used == 0 ? "?" : text.substr(used);
  const std::int64_t mult = unit.empty() || unit == "s" ? 1
                            : unit == "m"               ? 60
                            : unit == "h"               ? 3600
                            : unit == "d"               ? 86400
                                                        : 0;
  if (used == 0 || mult == 0 || n <= 0) {
    throw CLI::ValidationError("--for",
                               "expected a duration such as 90m, 3h or 2d, got '" + text + "'");
  }
  return n * mult;
}

void print(const Globals& g, const json& j, const std::string& text) {
  std::cout << (g.json ? j.dump(2) + "\n" : text);
}

std::function<int()> setup_status(CLI::App&, Globals& g) {
  return [&g] {
    const auto s = call(g, "GET", "/v1/status");
    std::string counts;
    for (const auto& [state, n] : s["reminders"].items()) {
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", state, n.get<std::int64_t>());
    }
    print(g, s,
          fmt::format("replenishd {} at {}\n  clock           {}\n  schema version  {}\n"
                      "  order lines     {}\n  reminders       {}\n",
                      s["version"].get<std::string>(), target(g).url, s["now"].get<std::string>(),
                      s["schema_version"].get<int>(), s["orders"].get<std::int64_t>(),
                      counts.empty() ? "none" : counts));
    return 0;
  };
}

std::function<int()> setup_reminders(CLI::App& app, Globals& g) {
  app.require_subcommand(1);
  auto chosen = std::make_shared<std::function<int()>>();  // set by the subcommand given
  struct List {
    std::string state = "all", user, category, segment, channel, due_after, due_before;
    int limit = 100;
  };
  auto l = std::make_shared<List>();
  auto* list = app.add_subcommand("list", "list reminders with filters (soonest first)");
  list->add_option("--state", l->state, "one state (planned, sent, dead, …) or all")
      ->capture_default_str();
  list->add_option("--user", l->user, "only this user");
  list->add_option("--category", l->category, "only this periodic category (slug)");
  list->add_option("--segment", l->segment, "only this segment (new, loyal, at_risk, …)");
  list->add_option("--channel", l->channel, "only those sent on this channel instance");
  list->add_option("--due-after", l->due_after, "due at or after (ISO-8601)");
  list->add_option("--due-before", l->due_before, "due before (ISO-8601)");
  list->add_option("--limit", l->limit, "at most this many")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  list->footer("Example: replenishctl reminders list --state dead --limit 20");
  list->callback([chosen, l, &g] {
    *chosen = [l, &g] {
      httplib::Params p{{"state", l->state}, {"limit", std::to_string(l->limit)}};
      if (!l->user.empty()) p.emplace("user", l->user);
      if (!l->category.empty()) p.emplace("category", l->category);
      if (!l->segment.empty()) p.emplace("segment", l->segment);
      if (!l->channel.empty()) p.emplace("channel", l->channel);
      if (!l->due_after.empty()) p.emplace("due_after", l->due_after);
      if (!l->due_before.empty()) p.emplace("due_before", l->due_before);
      const auto view = call(g, "GET", httplib::append_query_params("/v1/reminders", p));
      print(g, view, plan::format_schedule(view));
      return 0;
    };
  });

  auto id = std::make_shared<std::int64_t>(0);
  auto* cancel = app.add_subcommand("cancel", "cancel a planned reminder");
  cancel->add_option("id", *id, "reminder id")->required();
  cancel->footer("Example: replenishctl reminders cancel 42");
  cancel->callback([chosen, id, &g] {
    *chosen = [id, &g] {
      const auto r = call(g, "POST", fmt::format("/v1/reminders/{}/cancel", *id));
      print(g, r, fmt::format("reminder {} cancelled\n", *id));
      return 0;
    };
  });

  auto snooze_for = std::make_shared<std::string>();
  auto snooze_until = std::make_shared<std::string>();
  auto* snooze = app.add_subcommand("snooze", "move a planned reminder later");
  snooze->add_option("id", *id, "reminder id")->required();
  auto* f = snooze->add_option("--for", *snooze_for, "delay: 90m, 3h, 2d or seconds");
  auto* u = snooze->add_option("--until", *snooze_until, "new due time, ISO-8601 with offset");
  f->excludes(u);
  snooze->footer("Example: replenishctl reminders snooze 42 --for 2d");
  snooze->callback([chosen, id, snooze_for, snooze_until, &g] {
    *chosen = [id, snooze_for, snooze_until, &g] {
      json body;
      if (!snooze_until->empty()) {
        body = {{"until", *snooze_until}};
      } else if (!snooze_for->empty()) {
        body = {{"seconds", parse_duration(*snooze_for)}};
      } else {
        throw CLI::ValidationError("snooze", "give --for or --until");
      }
      const auto r = call(g, "POST", fmt::format("/v1/reminders/{}/snooze", *id), body);
      print(g, r,
            fmt::format("reminder {} now due {} ({})\n", *id, r["due_local"].get<std::string>(),
                        r["due_at"].get<std::string>()));
      return 0;
    };
  });

  auto* resend = app.add_subcommand("resend", "send a sent or dead reminder again");
  resend->add_option("id", *id, "reminder id")->required();
  resend->footer(
      "A dead reminder keeps its idempotency key; a sent one gets a new key,\n"
      "so the gateway does not drop it as a duplicate.\n"
      "Example: replenishctl reminders resend 42");
  resend->callback([chosen, id, &g] {
    *chosen = [id, &g] {
      const auto r = call(g, "POST", fmt::format("/v1/reminders/{}/resend", *id));
      print(g, r,
            fmt::format("reminder {} ({}) queued again, idempotency key {} ({})\n", *id,
                        r["previous_state"].get<std::string>(), r["key"].get<std::string>(),
                        r["key_reused"].get<bool>() ? "the same" : "a new one"));
      return 0;
    };
  });
  return [chosen] { return (*chosen)(); };
}

std::function<int()> setup_users(CLI::App& app, Globals& g) {
  app.require_subcommand(1);
  auto user = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  auto* erase = app.add_subcommand("erase", "erase everything stored about a user");
  erase->add_option("user_id", *user, "the user's id")->required();
  erase->add_flag("--yes", *yes, "really erase (there is no undo)");
  erase->footer(
      "Deletes orders, predictions, reminders, attempts, consents and opt-outs.\n"
      "Example: replenishctl users erase u001 --yes");
  return [user, yes, &g] {
    if (!*yes) {
      std::cerr << fmt::format(
          "replenishctl: erasing deletes everything stored about user '{}' and cannot be "
          "undone; run again with --yes\n",
          *user);
      return 2;
    }
    const auto r = call(g, "DELETE", "/v1/users/" + encode(*user));
    std::int64_t total = 0;
    std::string rows;
    for (const auto& [table, n] : r["deleted"].items()) {
      total += n.get<std::int64_t>();
      if (n.get<std::int64_t>() > 0) rows += fmt::format(" {} {},", table, n.get<std::int64_t>());
    }
    if (!rows.empty()) rows.pop_back();
    print(g, r,
          total > 0 ? fmt::format("user erased ({}): {} row(s):{}\n",
                                  r["user_hash"].get<std::string>(), total, rows)
                    : fmt::format("nothing was stored about user '{}'\n", *user));
    return 0;
  };
}

std::function<int()> setup_migrate(CLI::App&, Globals& g) {
  return [&g] {
    const std::string path = database(g);
    int before = 0;
    {
      store::Connection db(path, false, true);
      before = db.user_version();
      const int applied = store::migrate(db, store::embedded_migrations());
      (void)applied;
    }
    store::Connection db(path, false, false);
    const int after = db.user_version();
    json applied = json::array();
    for (const auto& m : store::embedded_migrations()) {
      if (m.version > before && m.version <= after) applied.push_back(m.name);
    }
    std::string text = fmt::format("{}: schema version {}", path, after);
    text += before == after ? " (up to date)\n" : fmt::format(" (was {})\n", before);
    for (const auto& a : applied) text += "  applied " + a.get<std::string>() + "\n";
    print(g, {{"database", path}, {"from", before}, {"to", after}, {"applied", applied}}, text);
    return 0;
  };
}

std::function<int()> setup_backup(CLI::App& app, Globals& g) {
  struct Opts {
    std::string dest;
    int step_pages = 256;
    int pause_ms = 0;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("path", o->dest, "the copy to write (must not exist)")->required();
  app.add_option("--step-pages", o->step_pages, "pages copied per step")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--pause-ms", o->pause_ms, "pause between steps (spreads the I/O)")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  return [o, &g] {
    const auto dest = std::make_shared<std::string>(o->dest);
    const std::string source = database(g);
    const bool tty = isatty(STDERR_FILENO) != 0 && !g.json;
    const auto start = std::chrono::steady_clock::now();
    const auto r = store::backup_database(
        source, *dest,
        [tty](int done, int total) {
          if (tty && total > 0) {
            std::cerr << fmt::format("\rbackup: {:3d}% ({}/{} pages)", done * 100 / total, done,
                                     total)
                      << std::flush;
          }
        },
        o->step_pages, o->pause_ms);
    if (tty) std::cerr << "\n";
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print(g,
          {{"source", source},
           {"path", *dest},
           {"pages", r.pages},
           {"bytes", r.bytes},
           {"schema_version", r.schema_version},
           {"seconds", secs}},
          fmt::format("{} -> {}: {} pages, {:.1f} MiB, schema version {}, {:.1f} s, quick_check "
                      "ok\n",
                      source, *dest, r.pages, static_cast<double>(r.bytes) / (1 << 20),
                      r.schema_version, secs));
    return 0;
  };
}

std::function<int()> setup_retention(CLI::App& app, Globals& g) {
  auto dry = std::make_shared<bool>(false);
  app.add_flag("--dry-run", *dry, "only count what would be deleted");
  return [dry, &g] {
    auto cfg = config::load_config(g.config_path);
    if (!g.db_path.empty()) cfg.store.path = g.db_path;
    const auto& rc = cfg.retention;
    if (rc.attempts_days == 0 && rc.orders_days == 0) {
      print(g, {{"enabled", false}},
            "retention is off: retention.attempts_days and retention.orders_days are 0\n");
      return 0;
    }
    store::SqliteStore store(cfg.store.path);
    const auto clock = clock_of(cfg);
    const auto n = plan::apply_retention(store, rc, clock->now(), *dry);
    print(g,
          {{"enabled", true},
           {"dry_run", *dry},
           {"attempts", n.attempts},
           {"orders", n.orders},
           {"attempts_days", rc.attempts_days},
           {"orders_days", rc.orders_days},
           {"keep_lines_per_pair", rc.keep_lines_per_pair}},
          fmt::format("{} {} attempt(s) older than {} days and {} order line(s) older than {} "
                      "days (each user and category keeps its newest {} lines)\n",
                      *dry ? "would delete" : "deleted", n.attempts, rc.attempts_days, n.orders,
                      rc.orders_days, rc.keep_lines_per_pair));
    return 0;
  };
}

}  // namespace

const std::vector<Command>& ops_commands() {
  static const std::vector<Command> kCommands{
      {"status", "ask the daemon for its version, clock, schema version and counts",
       "replenishctl status", setup_status},
      {"reminders", "list, cancel, snooze or resend reminders (through the daemon)",
       "replenishctl reminders list --state planned --user u001", setup_reminders},
      {"users", "erase a user's data (through the daemon)", "replenishctl users erase u001 --yes",
       setup_users},
      {"migrate", "apply schema migrations to the database and print the version (offline)",
       "replenishctl --db /var/lib/replenish/replenish.db migrate", setup_migrate},
      {"backup", "copy the database with SQLite's online backup (safe while the daemon runs)",
       "replenishctl backup /var/backups/replenish-$(date +%F).db", setup_backup},
      {"retention", "delete old attempts and order lines as retention.* says (offline)",
       "replenishctl retention --dry-run", setup_retention},
  };
  return kCommands;
}

}  // namespace replenish::ctl
