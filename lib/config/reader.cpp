#include "config/reader.hpp"

#include <fmt/format.h>

#include <cmath>

namespace replenish::config {

std::string Issue::to_string() const {
  std::string where = path.empty() ? std::string("(top level)") : path;
  if (line > 0) where += fmt::format(" (line {}, column {})", line, column);
  return where + ": " + message;
}

namespace {
// A YAML key may itself be a list or a mapping ("{{a}}: 1" or "{{shop_name}}"); ours are names.
constexpr const char* kNotAName = "a key must be a plain name, not a list or a mapping";

std::string join_issues(const Issues& issues) {
  std::string text =
      fmt::format("configuration has {} error{}:", issues.size(), issues.size() == 1 ? "" : "s");
  for (const auto& i : issues) text += "\n  " + i.to_string();
  return text;
}
}  // namespace

ConfigError::ConfigError(Issues issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {}

Reader::Reader(YAML::Node node, std::string path, Issues& issues)
    : node_(std::move(node)),
      path_(std::move(path)),
      issues_(&issues),
      seen_(std::make_shared<std::set<std::string>>()) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    add_issue(path_, "expected a mapping", node_);
    node_ = YAML::Node(YAML::NodeType::Map);
  }
}

std::string Reader::key_path(const std::string& key) const {
  if (key.empty()) return path_;
  return path_.empty() ? key : path_ + "." + key;
}

void Reader::add_issue(const std::string& full_path, const std::string& message,
                       const YAML::Node& at) {
  Issue issue{full_path, message, 0, 0};
  if (at.IsDefined() && at.Mark().line >= 0) {
    issue.line = at.Mark().line + 1;
    issue.column = at.Mark().column + 1;
  } else if (node_.IsDefined() && node_.Mark().line >= 0) {
    issue.line = node_.Mark().line + 1;
    issue.column = node_.Mark().column + 1;
  }
  issues_->push_back(std::move(issue));
}

void Reader::error(const std::string& key, const std::string& message) {
  const YAML::Node& map = node_;
  YAML::Node at(YAML::NodeType::Undefined);
  if (!key.empty() && map.IsMap() && map[key]) at = map[key];
  add_issue(key_path(key), message, at);
}

bool Reader::has(const std::string& key) const {
  const YAML::Node& map = node_;
  return map.IsMap() && map[key] && !map[key].IsNull();
}

std::vector<std::string> Reader::keys() const {
  std::vector<std::string> out;
  if (!node_.IsMap()) return out;
  for (const auto& kv : node_) {
    if (kv.first.IsScalar()) out.push_back(kv.first.Scalar());  // finish() reports the others
  }
  return out;
}

YAML::Node Reader::lookup(const std::string& key) {
  seen_->insert(key);
  const YAML::Node& map = node_;  // const: a non-const operator[] would insert the key
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return n;
}

std::optional<std::string> Reader::opt_string(const std::string& key) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar()) {
    add_issue(key_path(key), "expected a string", n);
    return std::nullopt;
  }
  return n.Scalar();
}

std::string Reader::get_string(const std::string& key, const std::string& fallback) {
  return opt_string(key).value_or(fallback);
}

std::string Reader::req_string(const std::string& key) {
  const bool present = has(key);
  auto v = opt_string(key);
  if (!present) {
    add_issue(key_path(key), "is required", YAML::Node(YAML::NodeType::Undefined));
    return {};
  }
  if (v && v->empty()) add_issue(key_path(key), "must not be empty", lookup(key));
  return v.value_or("");
}

std::optional<std::int64_t> Reader::opt_int(const std::string& key, std::int64_t min,
                                            std::int64_t max) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return std::nullopt;
  std::int64_t v = 0;
  if (!n.IsScalar() || !YAML::convert<std::int64_t>::decode(n, v)) {
    add_issue(key_path(key),
              fmt::format("expected an integer, got '{}'",
                          n.IsScalar() ? n.Scalar() : std::string("a collection")),
              n);
    return std::nullopt;
  }
  if (v < min || v > max) {
    add_issue(key_path(key), fmt::format("must be between {} and {}, got {}", min, max, v), n);
    return std::nullopt;
  }
  return v;
}

std::int64_t Reader::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) {
  return opt_int(key, min, max).value_or(fallback);
}

double Reader::get_double(const std::string& key, double fallback, double min, double max) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return fallback;
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
    add_issue(key_path(key), "expected a number", n);
    return fallback;
  }
  if (v < min || v > max) {
    add_issue(key_path(key), fmt::format("must be between {} and {}, got {}", min, max, v), n);
    return fallback;
  }
  return v;
}

bool Reader::get_bool(const std::string& key, bool fallback) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return fallback;
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    add_issue(key_path(key), "expected true or false", n);
    return fallback;
  }
  return v;
}

std::vector<std::string> Reader::get_strings(const std::string& key) {
  YAML::Node n = lookup(key);
  std::vector<std::string> out;
  if (!n.IsDefined()) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    add_issue(key_path(key), "expected a string or a list of strings", n);
    return out;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      add_issue(fmt::format("{}[{}]", key_path(key), i), "expected a string", n[i]);
      continue;
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Reader::get_string_map(const std::string& key) {
  YAML::Node n = lookup(key);
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsDefined()) return out;
  if (!n.IsMap()) {
    add_issue(key_path(key), "expected a mapping of names to strings", n);
    return out;
  }
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) {
      add_issue(key_path(key), kNotAName, kv.first);
      continue;
    }
    const std::string name = kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      add_issue(key_path(key) + "." + name, "expected a string", kv.second);
      continue;
    }
    out.emplace_back(name, kv.second.Scalar());
  }
  return out;
}

Reader Reader::child(const std::string& key) {
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return Reader(YAML::Node(YAML::NodeType::Map), key_path(key), *issues_);
  return Reader(n, key_path(key), *issues_);
}

std::vector<Reader> Reader::items(const std::string& key) {
  YAML::Node n = lookup(key);
  std::vector<Reader> out;
  if (!n.IsDefined()) return out;
  if (!n.IsSequence()) {
    add_issue(key_path(key), "expected a list", n);
    return out;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    out.emplace_back(n[i], fmt::format("{}[{}]", key_path(key), i), *issues_);
  }
  return out;
}

std::vector<std::pair<std::string, Reader>> Reader::entries(const std::string& key) {
  YAML::Node n = lookup(key);
  std::vector<std::pair<std::string, Reader>> out;
  if (!n.IsDefined()) return out;
  if (!n.IsMap()) {
    add_issue(key_path(key), "expected a mapping of names", n);
    return out;
  }
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) {
      add_issue(key_path(key), kNotAName, kv.first);
      continue;
    }
    const std::string name = kv.first.Scalar();
    out.emplace_back(name, Reader(kv.second, key_path(key) + "." + name, *issues_));
  }
  return out;
}

void Reader::finish() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      add_issue(path_, kNotAName, kv.first);
      continue;
    }
    const std::string key = kv.first.Scalar();
    if (!seen_->count(key)) add_issue(key_path(key), "unknown key", kv.first);
  }
}

}  // namespace replenish::config
