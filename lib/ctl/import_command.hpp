// replenishctl import: streams order files into the store (a reader thread parses while the
// store writes), then learns the priors and plans each touched pair once (plan::BulkImport).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"

namespace replenish::ctl {

struct ImportOptions {
  std::vector<std::string> files;
  std::string format = "auto";  ///< auto, csv or jsonl
  int max_errors = 20;          ///< rejected rows printed per file (all of them in JSON)
  bool strict = false;          ///< exit 1 when a row was rejected
  bool json = false;
  /// Progress on stderr: shown when stderr is a terminal (and not with --json) unless forced.
  enum class Progress { kAuto, kOn, kOff } progress = Progress::kAuto;
  std::size_t batch_lines = 25000;  ///< lines the reader hands over at a time
  std::size_t tx_lines = 250000;    ///< lines per transaction (fewer commits write fewer pages)
  std::int64_t cache_mib = 128;     ///< SQLite page cache of the import's connection
};

/// Runs the import with `config` (its store.path is the database); prints the per-file lines and
/// the summary (or JSON) to stdout and rejected rows to stderr. Returns the exit code.
int run_import(const ImportOptions& options, std::shared_ptr<const config::Config> config,
               const core::Clock& clock);

}  // namespace replenish::ctl
