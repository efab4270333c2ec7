// SqliteStore: what the console's pages read beyond the schedule — due counts, the spread of
// predicted cycles, and saved backtest reports.
#include "store/sqlite_store.hpp"

namespace replenish::store {

std::int64_t SqliteStore::count_planned_due(core::EpochSeconds before) {
  std::lock_guard lock(mu_);
  auto st = stmt("SELECT COUNT(*) FROM reminders WHERE state = 'planned' AND due_at < ?1");
  st.bind(1, before);
  return st.step() ? st.int64(0) : 0;
}

std::vector<CycleCount> SqliteStore::cycle_histogram() {
  std::vector<CycleCount> out;
  with_reader([&](Connection& c) {  // every pair: beside the writer, not in its way
    Statement st(c.raw(),
                 "SELECT category, CAST(cycle_days AS INTEGER) AS day, COUNT(*) FROM pairs "
                 "WHERE intervals > 0 AND cycle_days > 0 GROUP BY category, day "
                 "ORDER BY category, day");
    while (st.step()) {
      out.push_back(CycleCount{st.text(0), static_cast<int>(st.int64(1)), st.int64(2)});
    }
  });
  return out;
}

std::int64_t SqliteStore::save_backtest(const BacktestRecord& record) {
  std::lock_guard lock(mu_);
  auto st = stmt("INSERT INTO backtests (ran_at, source, report) VALUES (?1, ?2, ?3)");
  st.bind(1, record.ran_at).bind(2, record.source).bind(3, record.report);
  st.run();
  return db_->last_insert_id();
}

std::optional<BacktestRecord> SqliteStore::latest_backtest() {
  std::lock_guard lock(mu_);
  auto st = stmt("SELECT id, ran_at, source, report FROM backtests ORDER BY id DESC LIMIT 1");
  if (!st.step()) return std::nullopt;
  return BacktestRecord{st.int64(0), st.int64(1), st.text(2), st.text(3)};
}

}  // namespace replenish::store
