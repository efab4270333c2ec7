// replenishd: the repurchase-reminder daemon. main() is a list of steps; the work is in lib/.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "api/service.hpp"
#include "config/config.hpp"
#include "dispatch/dispatcher.hpp"
#include "notify/channel.hpp"
#include "notify/consent.hpp"

namespace {

using namespace replenish;

/// Validates a config file completely (channels and templates included); prints the verdict.
int check_config(const std::string& path, const notify::ChannelRegistry& registry) {
  try {
    auto cfg = std::make_shared<const config::Config>(config::load_config(path));
    notify::InMemoryConsentLedger ledger;  // a check spends no consent
    const auto runtime = dispatch::make_runtime(cfg, registry, &ledger);
    for (const auto& w : runtime->warnings)
      std::cerr << path << ": warning: " << w.to_string() << "\n";
    std::cout << path << ": ok (" << cfg->categories.size() << " categories, "
              << cfg->channels.size() << " channels)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << path << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "replenishd — learns each customer's repurchase cycle and sends a reminder "
      "just before they run out",
      "replenishd"};
  app.set_version_flag("--version", std::string("replenishd ") + REPLENISH_VERSION);
  api::ServiceOptions options;
  options.config_path = "/etc/replenish/replenishd.yaml";
  std::string check;
  app.add_option("-c,--config", options.config_path, "configuration file")->capture_default_str();
  app.add_option("--check-config", check, "validate FILE and exit (0 ok, 1 invalid)");
  app.add_option("--listen", options.listen_override, "HOST:PORT overriding server.listen");
  app.add_option("--port-file", options.port_file, "write the bound port to this file when ready");
  CLI11_PARSE(app, argc, argv);

  notify::ChannelRegistry registry;
  notify::register_builtin_channels(registry);
  if (!check.empty()) return check_config(check, registry);

  try {
    auto config = std::make_shared<const config::Config>(config::load_config(options.config_path));
    api::setup_logging(config->logging.level, config->logging.format);
    api::Service service(options, config, registry);
    service.start();
    service.run();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("event=startup_failed reason=\"{}\"", e.what());
    std::cerr << "replenishd: " << e.what() << "\n";
    return 1;
  }
}
