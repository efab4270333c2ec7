// Group commit of HTTP ingest: requests that arrive while a transaction is written share the
// next one, and each still gets exactly the counts it would have got alone.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "plan/engine.hpp"
#include "plan/ingest_queue.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;

namespace {

const char* kConfig = R"(
merchant: {name: 邻家小铺, timezone: Asia/Shanghai}
categories:
  - slug: diapers
    name: 纸尿裤
    match: [{category: [母婴], include: 纸尿裤}]
    default_cycle_days: 12
channels:
  log: {type: log}
)";

constexpr core::EpochSeconds kDay0 = 1709222400;  // 2024-03-01T00:00:00+08:00

core::OrderLine line(const std::string& order, const std::string& user, int day, double qty = 1) {
  core::OrderLine l;
  l.order_id = order;
  l.line = 1;
  l.user_id = user;
  l.sku = "DP-L64";
  l.category = "母婴";
  l.subcategory = "帮宝适纸尿裤 L码";
  l.quantity = qty;
  l.ordered_at = kDay0 + day * 86400;
  return l;
}

template <typename Pred>
void wait_until(Pred pred) {
  for (int i = 0; i < 5000 && !pred(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(pred());
}

}  // namespace

TEST_CASE(
    "ingest queue: requests waiting for the store share one transaction, each its own counts") {
  testing::TempDir dir;
  const auto cfg = std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
  store::SqliteStore store(dir.file("r.db"));
  core::SimulatedClock clock(kDay0 + 30 * 86400, 0);
  plan::Engine engine(cfg, store, clock);
  plan::IngestQueue queue(engine, store);

  constexpr int kLate = 6;
  plan::IngestSummary first;
  std::vector<plan::IngestSummary> late(kLate + 1);
  std::vector<std::thread> threads;
  store.with_transaction([&] {
    // The store is busy (this thread holds it): the first request's writer waits for it...
    threads.emplace_back([&] {
      first = queue.submit({line("o0", "u0", 0), line("o0b", "u0", 10)});
    });
    wait_until([&] { return queue.writing(); });
    // ...and the next ones queue up behind it. u1's and u2's (o9, 1) differ: the first is kept.
    for (int i = 0; i < kLate; ++i) {
      threads.emplace_back([&, i] {
        const std::string user = "u" + std::to_string(1 + i % 3);
        std::vector<core::OrderLine> lines{line("o" + std::to_string(1 + i), user, i)};
        late[static_cast<std::size_t>(i)] = queue.submit(std::move(lines));
      });
      wait_until([&] { return queue.waiting() == static_cast<std::size_t>(i + 1); });
    }
    threads.emplace_back([&] { late[kLate] = queue.submit({line("o1", "u1", 0, 2)}); });
    wait_until([&] { return queue.waiting() == kLate + 1; });
  });
  for (auto& t : threads) t.join();

  // Two transactions: the first request alone, then the seven that waited.
  CHECK(queue.stats().requests == 8);
  CHECK(queue.stats().transactions == 2);
  CHECK(first.stored == 2);
  CHECK(first.pairs_updated == 1);
  CHECK(first.planned == 1);
  for (int i = 0; i < kLate; ++i) {
    CAPTURE(i);
    CHECK(late[static_cast<std::size_t>(i)].stored == 1);
    CHECK(late[static_cast<std::size_t>(i)].conflicts == 0);
    CHECK(late[static_cast<std::size_t>(i)].pairs_updated == 1);
  }
  // (o1, 1) came first from late[0] with quantity 1: the last request's quantity 2 conflicts.
  CHECK(late[kLate].stored == 0);
  CHECK(late[kLate].conflicts == 1);
  REQUIRE(late[kLate].conflict_rows.size() == 1);
  CHECK(late[kLate].conflict_rows[0].first == 0);
  CHECK(store.order_count() == 2 + kLate);
  // Every pair was planned from all its lines: u1 bought on days 0 and 3.
  const auto p = store.pair("u1", "diapers");
  REQUIRE(p);
  CHECK(p->purchases == 2);
}

TEST_CASE("ingest queue: one request alone is stored and planned as Engine::ingest does") {
  testing::TempDir dir;
  const auto cfg = std::make_shared<const config::Config>(config::parse_config(kConfig, "test"));
  store::SqliteStore a(dir.file("a.db")), b(dir.file("b.db"));
  core::SimulatedClock clock(kDay0 + 30 * 86400, 0);
  plan::Engine ea(cfg, a, clock), eb(cfg, b, clock);
  plan::IngestQueue queue(ea, a);
  const std::vector<core::OrderLine> lines{line("o1", "u1", 0), line("o2", "u1", 11),
                                           line("o3", "u1", 22), line("o3", "u1", 22)};
  const auto x = queue.submit(lines);
  const auto y = eb.ingest(lines);
  CHECK(x.stored == y.stored);
  CHECK(x.duplicates == 1);
  CHECK(x.duplicates == y.duplicates);
  CHECK(x.planned == y.planned);
  CHECK(x.planned == 1);
  CHECK(a.pair_reminders("u1", "diapers").at(0).due_at ==
        b.pair_reminders("u1", "diapers").at(0).due_at);
  CHECK(queue.stats().transactions == 1);
}
