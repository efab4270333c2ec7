// Helpers for channel factories: reading optional keys with config::Reader, files named in
// options, the wall clock.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "config/reader.hpp"
#include "core/clock.hpp"
#include "notify/channel.hpp"

namespace replenish::notify {

/// True when `key` appears in the options mapping, even with an empty value. Channel factories
/// read an optional key only when it is given: config::Reader's getters (as of the skeleton
/// commit) report an absent key as "expected a string/an integer/…", because its lookup returns
/// a defined null node for a missing key. Reading only given keys is right either way.
inline bool given(const config::Reader& options, const std::string& key) {
  const YAML::Node& node = options.node();
  return node.IsMap() && static_cast<bool>(node[key]);
}

/// `path` resolved against `base_dir` (the config folder) unless it is absolute or empty.
inline std::string resolve_path(const std::string& base_dir, const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

/// The whole file, or nullopt when it cannot be read.
inline std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `s` without trailing white space (a secret file's final newline).
inline std::string trim_trailing_space(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                        s.back() == '\r' || s.back() == '\v' || s.back() == '\f')) {
    s.pop_back();
  }
  return s;
}

/// The context's wall clock, or the system clock when it has none.
inline const core::Clock& wall_clock(const ChannelContext& context) {
  static const core::SystemClock system;
  return context.clock ? *context.clock : system;
}

}  // namespace replenish::notify
