// The daemon's configuration, decoded once from YAML into typed, validated structs.
// Defaults live in the member initialisers below; config/replenishd.yaml documents every key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/campaign_config.hpp"
#include "config/coupons.hpp"
#include "config/reader.hpp"
#include "core/types.hpp"

namespace replenish::config {

struct TokenConfig {
  std::string name;
  std::string token;             ///< the secret itself (from `token` or `token_file`); never logged
  std::set<std::string> scopes;  ///< ingest, read, admin
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8470;
  int threads = 64;  ///< one per keep-alive connection: a connection holds its thread
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::vector<TokenConfig> tokens;
  bool metrics_public = false;  ///< GET /metrics without a token
};

/// The operator console: static files served under /console/ (off by default).
struct ConsoleConfig {
  bool enabled = false;
  std::string root = REPLENISH_CONSOLE_DIR;  ///< the folder of index.html, app.js, …
  /// Chart.js as Debian installs it (libjs-chart.js), served as /console/vendor/chart.min.js.
  std::string chartjs = "/usr/share/javascript/chart.js/chart.min.js";
};

struct StoreConfig {
  std::string path = "/var/lib/replenish/replenish.db";
};

struct ClockConfig {
  std::string mode = "real";     ///< real | simulated
  core::EpochSeconds start = 0;  ///< simulated: the start time
  double speed = 1.0;            ///< simulated seconds per real second (0 = only moved by hand)
};

struct MerchantConfig {
  std::string name = "本店";
  std::string timezone = "Asia/Shanghai";
};

struct LoggingConfig {
  std::string level = "info";  ///< trace, debug, info, warn, error
  /// text | json (one JSON object per line)
  std::string format = "text";
};

/// One way a raw order line maps into a periodic category. All given conditions must hold:
/// `category` holds the line's raw category (exact; empty list = any), `subcategory` holds its
/// subcategory (exact; empty = any), `include` (case-insensitive regex) matches the subcategory,
/// `exclude` does not.
struct CategoryMatch {
  std::vector<std::string> categories;
  std::vector<std::string> subcategories;
  std::string include;
  std::string exclude;
};

struct CategoryConfig {
  std::string slug;
  std::string name;  ///< display name used in messages (Chinese by default)
  std::vector<CategoryMatch> match;
  double default_cycle_days = 30;
  int lead_days = 2;
  std::vector<std::string> channels;  ///< channel instances in fallback order; empty = defaults
};

/// A configured channel instance. Its type's factory validates `options` at start-up.
struct ChannelSpec {
  std::string name;
  std::string type;
  YAML::Node options;  ///< the whole mapping of the instance, `type` included
  std::string path;    ///< key path, "channels.shop_webhook"
};

struct PlanConfig {
  int send_hour = 10;  ///< local hour of day reminders are due (the user's time zone)
  int send_minute = 0;
  TimeWindow send_window{10 * 60, 20 * 60};  ///< messages go out only inside it (empty: any time)
  TimeWindow quiet_hours{21 * 60 + 30, 8 * 60 + 30};  ///< and never inside this
  int follow_up_days = 7;                             ///< 0 = no follow-up
  int merge_window_hours = 48;  ///< a user's reminders due this close together: one message
  int attribution_days = 14;    ///< an order this soon after a reminder counts as its conversion
  int sweep_seconds = 300;      ///< how often follow-ups and win-backs are looked for
};

struct DispatchConfig {
  int tick_ms = 1000;
  int batch = 100;
  int concurrency = 4;
  int lease_seconds = 120;
  int max_attempts = 6;
  int backoff_initial_seconds = 60;
  int backoff_max_seconds = 6 * 3600;
  /// Outcomes are committed in groups: every commit_interval_ms, or as soon as commit_max wait.
  int commit_interval_ms = 5;
  int commit_max = 200;
};

struct ModelConfig {
  double interval_level = 0.8;
  int min_population = 20;  ///< users with intervals needed before a learned prior is used
  int prior_refresh_seconds = 3600;
};

/// What old data is deleted, and how often (0 days = keep forever).
struct RetentionConfig {
  int attempts_days = 0;         ///< attempts of finished reminders older than this
  int orders_days = 0;           ///< order lines older than this, beyond what the model needs
  int keep_lines_per_pair = 20;  ///< newest lines each (user, category) keeps at any age
  int interval_seconds = 86400;  ///< how often the daemon applies it
};

struct Config {
  std::string source;    ///< file it came from
  std::string base_dir;  ///< its folder: relative paths in the file are taken from here
  ServerConfig server;
  ConsoleConfig console;
  StoreConfig store;
  ClockConfig clock;
  MerchantConfig merchant;
  LoggingConfig logging;
  PlanConfig plan;
  DispatchConfig dispatch;
  ModelConfig model;
  RetentionConfig retention;
  std::vector<CategoryConfig> categories;
  std::vector<ChannelSpec> channels;
  std::vector<std::string> default_channels;     ///< fallback order when a category names none
  std::map<std::string, std::string> templates;  ///< name → Mustache text
  // Campaigns (campaign_config.hpp).
  CapsConfig caps;
  HoldoutConfig holdout;
  SegmentsConfig segments;
  PolicyConfig policy;
  std::vector<CampaignConfig> campaigns;  ///< never empty after parsing: default_campaign()
  CouponsConfig coupons;                  ///< config/coupons.hpp

  const CategoryConfig* category(const std::string& slug) const;
};

/// Parses YAML text. Throws ConfigError listing every issue (key path + reason).
/// `base_dir` resolves relative paths (token files, database) and is the file's folder.
Config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const std::string& base_dir = ".");

/// Reads and parses a file. Throws ConfigError (also when the file cannot be read).
Config load_config(const std::string& path);

}  // namespace replenish::config
