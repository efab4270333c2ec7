// Online backup of the SQLite database (SQLite's backup API) while the daemon keeps writing:
// the copy is one consistent point in time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace replenish::store {

struct BackupResult {
  int pages = 0;
  std::int64_t bytes = 0;
  int schema_version = 0;
};

/// Copies the database at `source` to `dest` (which must not exist) through `dest`.tmp, renamed
/// when the copy is complete and passes `PRAGMA quick_check`. The copy is made inside one read
/// transaction on the source, so writers (WAL mode) go on and the copy is the state at its
/// start. `progress(done_pages, total_pages)` is called after each step of `pages_per_step`
/// pages; `pause_ms` between steps spreads the I/O on a busy machine. Throws DbError or
/// std::runtime_error.
BackupResult backup_database(const std::string& source, const std::string& dest,
                             const std::function<void(int, int)>& progress = nullptr,
                             int pages_per_step = 256, int pause_ms = 0);

}  // namespace replenish::store
