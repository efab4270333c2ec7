// replenishctl's dispatcher commands: `reminder show`, `dlq list|retry|drop`, `channel test`.
// Each reads the database (--config / --db) or, with --url, asks the daemon.
#pragma once

#include <functional>

#include "ctl/commands.hpp"

namespace replenish::ctl {

std::function<int()> setup_reminder(CLI::App& app, Globals& g);
std::function<int()> setup_dlq(CLI::App& app, Globals& g);
std::function<int()> setup_channel(CLI::App& app, Globals& g);

}  // namespace replenish::ctl
