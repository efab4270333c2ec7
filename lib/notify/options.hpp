// Reading a channel's optional keys with config::Reader.
#pragma once

#include <string>

#include "config/reader.hpp"

namespace replenish::notify {

/// True when `key` appears in the options mapping, even with an empty value. Channel factories
/// read an optional key only when it is given: config::Reader's getters (as of the skeleton
/// commit) report an absent key as "expected a string/an integer/…", because its lookup returns
/// a defined null node for a missing key. Reading only given keys is right either way.
inline bool given(const config::Reader& options, const std::string& key) {
  const YAML::Node& node = options.node();
  return node.IsMap() && static_cast<bool>(node[key]);
}

}  // namespace replenish::notify
