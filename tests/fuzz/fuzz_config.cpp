// libFuzzer target: the configuration loader, as `replenishd --check-config` runs it. The input
// is the YAML text: config::parse_config() must either return a configuration or throw
// config::ConfigError with at least one issue, each naming a reason; nothing else may escape. A
// configuration it accepts must then build its runtime (channels, templates, time zone) or fail
// with ConfigError, and its category rules must map lines without throwing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "dispatch/dispatcher.hpp"
#include "fuzz_support.hpp"
#include "ingest/category_mapper.hpp"
#include "notify/channel.hpp"
#include "notify/consent.hpp"

namespace {

using replenish::fuzz::check;
namespace config = replenish::config;

const replenish::notify::ChannelRegistry& registry() {
  static const auto* r = [] {
    auto* out = new replenish::notify::ChannelRegistry;
    replenish::notify::register_builtin_channels(*out);
    return out;
  }();
  return *r;
}

void check_issues(const config::ConfigError& e) {
  check(!e.issues().empty(), "ConfigError has issues");
  for (const auto& issue : e.issues()) check(!issue.message.empty(), "issue has a reason");
  check(std::string(e.what()).size() > 0, "ConfigError says what");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const config::Config> cfg;
  try {
    // A folder that does not exist: relative token and secret files are never found.
    cfg = std::make_shared<const config::Config>(
        config::parse_config(text, "fuzz.yaml", "/nonexistent/replenish-fuzz"));
  } catch (const config::ConfigError& e) {
    check_issues(e);
    return 0;
  }
  check(!cfg->categories.empty() && !cfg->channels.empty(), "accepted config is complete");

  const replenish::ingest::CategoryMapper mapper(cfg->categories);
  for (const auto& category : cfg->categories) {
    for (const auto& match : category.match) {
      for (const auto& c : match.categories) {
        const int idx = mapper.map(c, match.include);
        check(idx >= -1 && idx < static_cast<int>(cfg->categories.size()), "mapped index");
      }
    }
  }

  try {
    replenish::notify::InMemoryConsentLedger ledger;
    replenish::dispatch::make_runtime(cfg, registry(), &ledger);
  } catch (const config::ConfigError& e) {
    check_issues(e);
  }
  return 0;
}
