// replenishctl coupon …: coupon tools (offline: the secret comes from the configuration).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "ctl/commands.hpp"

namespace replenish::ctl {

/// `coupon verify CODE`: prints valid / invalid (exit 0 / 1).
std::function<int()> setup_coupon(CLI::App& app, Globals& g);

}  // namespace replenish::ctl
