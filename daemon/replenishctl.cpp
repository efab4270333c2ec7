// replenishctl: the operator's tool. A table of subcommands; offline ones open the store,
// live ones can ask the daemon's API (--url) or read the store directly (--db / --config).
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/service.hpp"
#include "config/config.hpp"
#include "ctl/commands.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/channel.hpp"

int main(int argc, char** argv) {
  using namespace replenish;
  CLI::App app{
      "replenishctl — inspect and edit the replenish schedule, import history, "
      "backtest predictions",
      "replenishctl"};  // a fixed name: usage lines never show the install path
  app.set_version_flag("--version", std::string("replenishctl ") + REPLENISH_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.footer("Exit codes: 0 ok, 1 failure, 2 usage error, 3 daemon not reachable.");
  ctl::Globals globals;
  app.add_option("-c,--config", globals.config_path, "configuration file")
      ->envname("REPLENISH_CONFIG")
      ->capture_default_str();
  app.add_option("--db", globals.db_path, "database file (default: store.path of the config)");
  app.add_option("--url", globals.url, "daemon API base URL, e.g. http://127.0.0.1:8470")
      ->envname("REPLENISH_URL");
  app.add_option("--token", globals.token, "API bearer token (or REPLENISH_TOKEN)")
      ->envname("REPLENISH_TOKEN");
  app.add_flag("--json", globals.json, "print JSON for scripts instead of tables");

  std::function<int()> run;
  for (const auto* table : {&ctl::commands(), &ctl::ops_commands()}) {
    for (const auto& cmd : *table) {
      auto* sub = app.add_subcommand(cmd.name, cmd.synopsis);
      sub->footer("Example: " + cmd.example);
      auto handler = cmd.setup(*sub, globals);
      sub->callback([&run, handler] { run = handler; });
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);
  try {
    return run ? run() : 2;
  } catch (const ctl::Unreachable& e) {
    std::cerr << "replenishctl: " << e.what() << "\n";
    return 3;
  } catch (const CLI::Error& e) {  // a usage error found after parsing (a bad value)
    std::cerr << "replenishctl: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "replenishctl: " << e.what() << "\n";
    return 1;
  }
}
