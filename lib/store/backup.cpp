#include "store/backup.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "store/sqlite.hpp"

namespace replenish::store {

BackupResult backup_database(const std::string& source, const std::string& dest,
                             const std::function<void(int, int)>& progress, int pages_per_step,
                             int pause_ms) {
  namespace fs = std::filesystem;
  if (fs::exists(dest)) throw std::runtime_error(fmt::format("'{}' exists already", dest));
  if (!fs::exists(source)) throw std::runtime_error(fmt::format("no database at '{}'", source));
  const std::string tmp = dest + ".tmp";
  fs::remove(tmp);

  Connection src(source, false, false);
  BackupResult result;
  result.schema_version = src.user_version();
  // One read transaction for the whole copy: every step reads the same snapshot.
  src.exec("BEGIN");
  src.exec("SELECT COUNT(*) FROM sqlite_master");
  {
    Connection out(tmp, false, true);
    sqlite3_backup* b = sqlite3_backup_init(out.raw(), "main", src.raw(), "main");
    if (!b) throw DbError(fmt::format("backup to '{}': {}", tmp, sqlite3_errmsg(out.raw())), 0);
    std::unique_ptr<sqlite3_backup, int (*)(sqlite3_backup*)> guard(b, sqlite3_backup_finish);
    for (;;) {
      const int rc = sqlite3_backup_step(b, pages_per_step);
      result.pages = sqlite3_backup_pagecount(b);
      if (progress) progress(result.pages - sqlite3_backup_remaining(b), result.pages);
      if (rc == SQLITE_DONE) break;
      if (rc == SQLITE_OK) {
        if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
        continue;
      }
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      const std::string why = sqlite3_errstr(rc);
      guard.reset();
      fs::remove(tmp);
      throw DbError(fmt::format("backup of '{}' failed: {}", source, why), rc);
    }
    const int rc = sqlite3_backup_finish(guard.release());
    if (rc != SQLITE_OK) throw DbError(fmt::format("backup to '{}' failed", tmp), rc);
    std::string verdict = "no answer";
    {
      auto check = out.prepare("PRAGMA quick_check");
      if (check.step()) verdict = check.text(0);
    }
    if (verdict != "ok") {
      throw std::runtime_error(fmt::format("the copy '{}' fails quick_check: {}", tmp, verdict));
    }
    // A self-contained file: the copy's log folded in and switched off.
    out.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    out.exec("PRAGMA journal_mode=DELETE");
  }
  src.exec("COMMIT");
  fs::rename(tmp, dest);
  result.bytes = static_cast<std::int64_t>(fs::file_size(dest));
  return result;
}

}  // namespace replenish::store
