#include "config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/time.hpp"

namespace replenish::config {
namespace {

namespace fs = std::filesystem;

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

void read_server(Reader r, ServerConfig& out, const std::string& base_dir) {
  std::string listen = r.get_string("listen", fmt::format("{}:{}", out.host, out.port));
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    r.error("listen", "expected HOST:PORT, e.g. 127.0.0.1:8470");
  } else {
    out.host = listen.substr(0, colon);
    if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
      out.host = out.host.substr(1, out.host.size() - 2);
    }
    try {
      std::size_t used = 0;
      const int port = std::stoi(listen.substr(colon + 1), &used);
      if (used != listen.size() - colon - 1 || port < 0 || port > 65535)
        throw std::out_of_range("");
      out.port = port;
    } catch (const std::exception&) {
      r.error("listen", "port must be a number from 0 to 65535");
    }
  }
  out.threads = static_cast<int>(r.get_int("threads", out.threads, 1, 1024));
  out.max_body_bytes = static_cast<std::size_t>(
      r.get_int("max_body_bytes", static_cast<std::int64_t>(out.max_body_bytes), 1024,
                std::int64_t{1} << 31));
  out.metrics_public = r.get_bool("metrics_public", out.metrics_public);
  static const std::set<std::string> kScopes{"ingest", "read", "admin"};
  for (auto& t : r.items("tokens")) {
    TokenConfig token;
    token.name = t.req_string("name");
    const auto inline_token = t.opt_string("token");
    const auto file = t.opt_string("token_file");
    if (inline_token && file) {
      t.error("token", "give either token or token_file, not both");
    } else if (inline_token) {
      token.token = *inline_token;
    } else if (file) {
      std::ifstream in(resolve(base_dir, *file));
      if (!in) {
        t.error("token_file", "cannot read '" + resolve(base_dir, *file) + "'");
      } else {
        std::stringstream ss;
        ss << in.rdbuf();
        token.token = trim(ss.str());
      }
    } else {
      t.error("", "needs token or token_file");
    }
    if ((inline_token || file) && !token.token.empty() && token.token.size() < 16) {
      t.error(inline_token ? "token" : "token_file", "must be at least 16 characters");
    }
    for (const auto& scope : t.get_strings("scopes")) {
      if (!kScopes.count(scope)) {
        t.error("scopes", "unknown scope '" + scope + "' (ingest, read, admin)");
      }
      token.scopes.insert(scope);
    }
    if (token.scopes.empty()) t.error("scopes", "needs at least one scope (ingest, read, admin)");
    t.finish();
    out.tokens.push_back(std::move(token));
  }
  r.finish();
}

void read_clock(Reader r, ClockConfig& out) {
  out.mode = r.get_string("mode", out.mode);
  if (out.mode != "real" && out.mode != "simulated") {
    r.error("mode", "must be 'real' or 'simulated', got '" + out.mode + "'");
  }
  if (auto start = r.opt_string("start")) {
    std::string why;
    if (auto t = core::parse_timestamp(*start, &why)) {
      out.start = *t;
    } else {
      r.error("start", why);
    }
  } else if (out.mode == "simulated") {
    r.error("start", "is required when mode is 'simulated'");
  }
  out.speed = r.get_double("speed", out.speed, 0, 1e9);
  r.finish();
}

constexpr std::size_t kMaxPatternBytes = 4096;
constexpr int kMaxPatternDepth = 64;

/// Deepest nesting of ( ) groups in a regular expression, escapes and [...] classes skipped.
int group_depth(std::string_view pattern) {
  int depth = 0;
  int deepest = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ')' && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

/// True when a repetition repeats something that is itself repeated (`a**`, `(a+)*`,
/// `(a|b?){2,}`): std::regex backtracks through every way of splitting the text between the
/// two, exponential in its length, and every order line is matched against the pattern.
bool nested_repetition(std::string_view pattern) {
  std::vector<bool> group_repeats{false};  // per open group: something inside repeats
  bool after_repetition = false;           // the last token was a quantifier
  bool after_group = false;                // the last token closed a group that repeats inside
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (in_class) {
      if (c == '\\') ++i;
      in_class = c != ']';
      continue;
    }
    const bool quantifier = c == '*' || c == '+' || c == '?' || c == '{';
    if (quantifier) {
      if (c == '?' && after_repetition) {  // lazy: `a*?`
        after_repetition = false;
        continue;
      }
      if (after_repetition || after_group) return true;
      if (c == '{') {
        const auto close = pattern.find('}', i);
        if (close == std::string_view::npos) return false;  // not a repetition; compile decides
        i = close;
      }
      group_repeats.back() = true;
      after_repetition = true;
      after_group = false;
      continue;
    }
    after_repetition = false;
    after_group = false;
    if (c == '\\') {
      ++i;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      group_repeats.push_back(false);
      if (i + 2 < pattern.size() && pattern[i + 1] == '?') i += 2;  // (?:  (?=  (?!
    } else if (c == ')' && group_repeats.size() > 1) {
      const bool inside = group_repeats.back();
      group_repeats.pop_back();
      if (inside) group_repeats.back() = true;
      after_group = inside;
    }
  }
  return false;
}

void read_match(Reader m, CategoryMatch& match) {
  match.categories = m.get_strings("category");
  match.subcategories = m.get_strings("subcategory");
  match.include = m.get_string("include", "");
  match.exclude = m.get_string("exclude", "");
  for (const char* key : {"include", "exclude"}) {
    const std::string& pattern = std::string(key) == "include" ? match.include : match.exclude;
    if (pattern.empty()) continue;
    // std::regex compiles and matches by recursion: a very long or deeply nested pattern would
    // overflow the stack instead of failing.
    if (pattern.size() > kMaxPatternBytes) {
      m.error(key, fmt::format("pattern longer than {} bytes", kMaxPatternBytes));
      continue;
    }
    if (group_depth(pattern) > kMaxPatternDepth) {
      m.error(key, fmt::format("pattern nests groups deeper than {} levels", kMaxPatternDepth));
      continue;
    }
    if (nested_repetition(pattern)) {
      m.error(key,
              "pattern repeats a part that is itself repeated (like a** or (a+)*), which can take "
              "exponential time to match; repeat it once");
      continue;
    }
    try {
      std::regex re(pattern, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      m.error(key, std::string("invalid regular expression: ") + e.what());
    }
  }
  if (match.categories.empty() && match.subcategories.empty() && match.include.empty()) {
    m.error("", "needs at least one of category, subcategory or include");
  }
  m.finish();
}

void read_categories(Reader& root, Config& cfg) {
  static const std::regex kSlug("[a-z0-9_]{1,64}");
  std::set<std::string> slugs;
  for (auto& c : root.items("categories")) {
    CategoryConfig cat;
    cat.slug = c.req_string("slug");
    if (!cat.slug.empty() && !std::regex_match(cat.slug, kSlug)) {
      c.error("slug", "use 1-64 characters a-z, 0-9 and _");
    }
    if (!cat.slug.empty() && !slugs.insert(cat.slug).second) {
      c.error("slug", "duplicate category '" + cat.slug + "'");
    }
    cat.name = c.get_string("name", cat.slug);
    cat.default_cycle_days = c.get_double("default_cycle_days", cat.default_cycle_days, 1, 3650);
    cat.lead_days = static_cast<int>(c.get_int("lead_days", cat.lead_days, 0, 60));
    cat.channels = c.get_strings("channels");
    auto items = c.items("match");
    if (items.empty()) c.error("match", "needs at least one match rule");
    for (auto& m : items) {
      CategoryMatch match;
      read_match(m, match);
      cat.match.push_back(std::move(match));
    }
    c.finish();
    cfg.categories.push_back(std::move(cat));
  }
}

}  // namespace

const CategoryConfig* Config::category(const std::string& slug) const {
  for (const auto& c : categories) {
    if (c.slug == slug) return &c;
  }
  return nullptr;
}

Config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const std::string& base_dir) {
  Issues issues;
  YAML::Node root_node;
  try {
    root_node = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    issues.push_back(Issue{"", "YAML syntax error: " + e.msg, e.mark.line + 1, e.mark.column + 1});
    throw ConfigError(std::move(issues));
  }
  if (!root_node.IsDefined() || root_node.IsNull()) {
    issues.push_back(Issue{"", "the file is empty", 0, 0});
    throw ConfigError(std::move(issues));
  }

  Config cfg;
  cfg.source = source_name;
  cfg.base_dir = base_dir;
  Reader root(root_node, "", issues);
  if (!root_node.IsMap()) throw ConfigError(std::move(issues));

  read_server(root.child("server"), cfg.server, base_dir);
  {
    Reader c = root.child("console");
    cfg.console.enabled = c.get_bool("enabled", cfg.console.enabled);
    cfg.console.root = resolve(base_dir, c.get_string("root", cfg.console.root));
    cfg.console.chartjs = resolve(base_dir, c.get_string("chartjs", cfg.console.chartjs));
    if (cfg.console.enabled && !fs::is_regular_file(fs::path(cfg.console.root) / "index.html")) {
      c.error("root", "no index.html in '" + cfg.console.root + "'");
    }
    if (cfg.console.enabled && !fs::is_regular_file(cfg.console.chartjs)) {
      c.error("chartjs", "no file '" + cfg.console.chartjs +
                             "' (install Debian's libjs-chart.js, or name Chart.js's UMD build)");
    }
    c.finish();
  }
  {
    Reader s = root.child("store");
    cfg.store.path = resolve(base_dir, s.get_string("path", cfg.store.path));
    s.finish();
  }
  read_clock(root.child("clock"), cfg.clock);
  {
    Reader m = root.child("merchant");
    cfg.merchant.name = m.get_string("name", cfg.merchant.name);
    cfg.merchant.timezone = m.get_string("timezone", cfg.merchant.timezone);
    try {
      core::TimeZone::locate(cfg.merchant.timezone);
    } catch (const std::exception& e) {
      m.error("timezone", e.what());
    }
    m.finish();
  }
  {
    Reader l = root.child("logging");
    cfg.logging.level = l.get_string("level", cfg.logging.level);
    static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error"};
    if (!kLevels.count(cfg.logging.level)) {
      l.error("level", "must be one of trace, debug, info, warn, error");
    }
    cfg.logging.format = l.get_string("format", cfg.logging.format);
    if (cfg.logging.format != "text" && cfg.logging.format != "json") {
      l.error("format", "must be text or json");
    }
    l.finish();
  }
  {
    Reader d = root.child("dispatch");
    auto& o = cfg.dispatch;
    o.tick_ms = static_cast<int>(d.get_int("tick_ms", o.tick_ms, 10, 600000));
    o.batch = static_cast<int>(d.get_int("batch", o.batch, 1, 10000));
    o.concurrency = static_cast<int>(d.get_int("concurrency", o.concurrency, 1, 256));
    o.lease_seconds = static_cast<int>(d.get_int("lease_seconds", o.lease_seconds, 5, 86400));
    o.max_attempts = static_cast<int>(d.get_int("max_attempts", o.max_attempts, 1, 100));
    o.backoff_initial_seconds =
        static_cast<int>(d.get_int("backoff_initial_seconds", o.backoff_initial_seconds, 1, 86400));
    o.backoff_max_seconds =
        static_cast<int>(d.get_int("backoff_max_seconds", o.backoff_max_seconds, 1, 7 * 86400));
    o.commit_interval_ms =
        static_cast<int>(d.get_int("commit_interval_ms", o.commit_interval_ms, 1, 1000));
    o.commit_max = static_cast<int>(d.get_int("commit_max", o.commit_max, 1, 10000));
    d.finish();
  }
  {
    Reader m = root.child("model");
    auto& o = cfg.model;
    o.interval_level = m.get_double("interval_level", o.interval_level, 0.5, 0.99);
    o.min_population = static_cast<int>(m.get_int("min_population", o.min_population, 1, 100000));
    o.prior_refresh_seconds = static_cast<int>(
        m.get_int("prior_refresh_seconds", o.prior_refresh_seconds, 10, 7 * 86400));
    m.finish();
  }
  {
    Reader r = root.child("retention");
    auto& o = cfg.retention;
    o.attempts_days = static_cast<int>(r.get_int("attempts_days", o.attempts_days, 0, 36500));
    o.orders_days = static_cast<int>(r.get_int("orders_days", o.orders_days, 0, 36500));
    o.keep_lines_per_pair =
        static_cast<int>(r.get_int("keep_lines_per_pair", o.keep_lines_per_pair, 2, 100000));
    o.interval_seconds =
        static_cast<int>(r.get_int("interval_seconds", o.interval_seconds, 1, 30 * 86400));
    r.finish();
  }
  read_categories(root, cfg);
  if (cfg.categories.empty()) root.error("categories", "needs at least one periodic category");

  std::set<std::string> channel_names;
  for (auto& [name, ch] : root.entries("channels")) {
    ChannelSpec spec;
    spec.name = name;
    spec.path = ch.path();
    spec.options = ch.node();
    spec.type = ch.node()["type"] && ch.node()["type"].IsScalar() ? ch.node()["type"].Scalar() : "";
    if (spec.type.empty()) ch.error("type", "is required (the channel type, e.g. log or webhook)");
    channel_names.insert(name);
    cfg.channels.push_back(std::move(spec));
  }
  if (cfg.channels.empty()) root.error("channels", "needs at least one channel");
  cfg.default_channels = root.get_strings("default_channels");
  if (cfg.default_channels.empty() && !cfg.channels.empty()) {
    cfg.default_channels.push_back(cfg.channels.front().name);
  }
  for (const auto& n : cfg.default_channels) {
    if (!channel_names.count(n)) root.error("default_channels", "unknown channel '" + n + "'");
  }
  for (std::size_t i = 0; i < cfg.categories.size(); ++i) {
    for (const auto& n : cfg.categories[i].channels) {
      if (!channel_names.count(n)) {
        issues.push_back(
            Issue{fmt::format("categories[{}].channels", i), "unknown channel '" + n + "'", 0, 0});
      }
    }
  }
  for (const auto& [name, text] : root.get_string_map("templates")) cfg.templates[name] = text;
  read_coupons(root.child("coupons"), cfg.coupons, base_dir);
  read_campaign_config(root, cfg);
  root.finish();

  if (!issues.empty()) throw ConfigError(std::move(issues));
  return cfg;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({Issue{"", "cannot read configuration file '" + path + "'", 0, 0}});
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string base = fs::path(path).parent_path().string();
  return parse_config(ss.str(), path, base.empty() ? "." : base);
}

}  // namespace replenish::config
