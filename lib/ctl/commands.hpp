// replenishctl's command table: name, synopsis, example, and a setup function that declares
// the subcommand's options and returns its handler. The handler returns the exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace replenish::ctl {

/// Options every subcommand shares.
struct Globals {
  std::string config_path = "/etc/replenish/replenishd.yaml";
  std::string db_path;
  std::string url;
  std::string token;
  bool json = false;
};

/// The daemon could not be reached (exit code 3).
class Unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Command {
  std::string name;
  std::string synopsis;
  std::string example;
  std::function<std::function<int()>(CLI::App&, Globals&)> setup;
};

const std::vector<Command>& commands();
/// Operations commands (ops_commands.cpp): status, reminders, users, migrate, backup,
/// retention.
const std::vector<Command>& ops_commands();

}  // namespace replenish::ctl
