// Group commit of outcomes: a full group is committed at once, a partial one by flush() or after
// the interval, and senders wait while commit_max outcomes are uncommitted.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

#include "dispatch/outcome_writer.hpp"
#include "store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace replenish;
using core::ReminderState;

namespace {

struct Fixture {
  testing::TempDir dir;
  store::SqliteStore store{dir.file("r.db")};
  std::vector<std::int64_t> ids;

  explicit Fixture(int n) {
    for (int i = 0; i < n; ++i) {
      core::Reminder r;
      r.key = "k" + std::to_string(i);
      r.user_id = "u";
      r.category = "diapers";
      r.due_at = r.next_attempt_at = 100;
      ids.push_back(store.insert_reminder(r));
    }
    REQUIRE(store.claim_due(100, n, 60).size() == static_cast<std::size_t>(n));
  }
  store::AttemptRecord sent(std::size_t i) const {
    store::AttemptRecord a;
    a.reminder_id = ids[i];
    a.at = 101;
    a.channel = "hook";
    a.outcome = "delivered";
    a.new_state = ReminderState::kSent;
    return a;
  }
  std::int64_t count(const std::string& state) { return store.reminder_counts()[state]; }
};

}  // namespace

TEST_CASE("outcome writer: a full group is committed at once, the rest on flush") {
  Fixture f(5);
  // An interval far beyond the test: only a full group or flush() can commit.
  dispatch::OutcomeWriter writer(f.store, std::chrono::minutes(10), 3);
  for (std::size_t i = 0; i < 4; ++i) writer.add(f.sent(i));
  CHECK(testing::eventually([&] { return f.count("sent") == 3; }));
  CHECK(f.count("sending") == 2);  // the fourth waits for its group
  writer.flush();
  CHECK(f.count("sent") == 4);
  const auto counts = writer.counts();
  CHECK(counts.of(ReminderState::kSent) == 4);
  CHECK(counts.commits == 2);
  CHECK(counts.failed == 0);
  writer.flush();  // nothing outstanding: returns at once
  CHECK(writer.counts().commits == 2);
}

TEST_CASE("outcome writer: a partial group is committed once the interval has passed") {
  Fixture f(2);
  dispatch::OutcomeWriter writer(f.store, std::chrono::milliseconds(20), 100);
  writer.add(f.sent(0));
  writer.add(f.sent(1));
  // The counters are updated just after the commit is visible in the store: wait for both.
  CHECK(testing::eventually([&] { return writer.counts().commits >= 1; }));
  CHECK(testing::eventually([&] { return f.count("sent") == 2; }));
}

TEST_CASE("outcome writer: senders wait while commit_max outcomes are uncommitted") {
  Fixture f(3);
  dispatch::OutcomeWriter writer(f.store, std::chrono::minutes(10), 2);
  // Hold the store so that the writer's commit of the first full group cannot finish.
  std::promise<void> release;
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    f.store.with_transaction([&] {
      holding = true;
      release.get_future().wait();
    });
  });
  REQUIRE(testing::eventually([&] { return holding.load(); }));
  writer.add(f.sent(0));
  writer.add(f.sent(1));  // a full group: the writer starts committing and blocks on the store
  auto third = std::async(std::launch::async, [&] { writer.add(f.sent(2)); });
  CHECK(third.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  release.set_value();
  holder.join();
  CHECK(third.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  writer.flush();
  CHECK(f.count("sent") == 3);
}
