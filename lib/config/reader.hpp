// Typed, path-aware reading of YAML nodes. Every problem is collected as an Issue that names the
// key path (e.g. "channels.shop.url") and, where known, the line and column in the file.
// Keys that are never read are reported as unknown when the reader finishes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace replenish::config {

struct Issue {
  std::string path;     ///< dotted key path, "categories[2].lead_days"
  std::string message;  ///< the reason
  int line = 0;         ///< 1-based line in the YAML file, 0 if unknown
  int column = 0;
  std::string to_string() const;
};

using Issues = std::vector<Issue>;

/// Thrown by load functions when the configuration has issues; what() lists them all.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(Issues issues);
  const Issues& issues() const { return issues_; }

 private:
  Issues issues_;
};

/// Reads one YAML mapping. Copying a Reader shares the bookkeeping of seen keys.
class Reader {
 public:
  Reader(YAML::Node node, std::string path, Issues& issues);

  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  bool has(const std::string& key) const;
  /// Keys of the mapping (in file order); marks nothing as seen.
  std::vector<std::string> keys() const;

  std::string get_string(const std::string& key, const std::string& fallback);
  std::optional<std::string> opt_string(const std::string& key);
  std::string req_string(const std::string& key);
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  std::optional<std::int64_t> opt_int(const std::string& key, std::int64_t min, std::int64_t max);
  double get_double(const std::string& key, double fallback, double min, double max);
  bool get_bool(const std::string& key, bool fallback);
  /// A string or a list of strings.
  std::vector<std::string> get_strings(const std::string& key);
  /// A mapping of string to string.
  std::vector<std::pair<std::string, std::string>> get_string_map(const std::string& key);

  /// A nested mapping; if absent, a reader over an empty map.
  Reader child(const std::string& key);
  /// Items of a sequence of mappings.
  std::vector<Reader> items(const std::string& key);
  /// Entries of a mapping of name → mapping, as (name, reader) pairs in file order.
  std::vector<std::pair<std::string, Reader>> entries(const std::string& key);

  /// Records an issue at this reader's path (or path.key).
  void error(const std::string& key, const std::string& message);
  /// Reports every key of this mapping that no getter asked for. Call once, last.
  void finish();

  Issues& issues() { return *issues_; }

 private:
  YAML::Node lookup(const std::string& key);
  std::string key_path(const std::string& key) const;
  void add_issue(const std::string& full_path, const std::string& message, const YAML::Node& at);

  YAML::Node node_;
  std::string path_;
  Issues* issues_;
  std::shared_ptr<std::set<std::string>> seen_;
};

}  // namespace replenish::config
