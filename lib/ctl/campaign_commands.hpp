// replenishctl stats: campaign statistics from the daemon (--url) or the database.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "ctl/commands.hpp"

namespace replenish::ctl {

/// `stats [--since D] [--until D]`: per campaign, segment, category and channel.
std::function<int()> setup_stats(CLI::App& app, Globals& g);

}  // namespace replenish::ctl
