// Group commit of send outcomes. Senders hand each finished attempt to one writer thread, which
// commits everything waiting in one transaction every `interval`, or at once when `max` wait.
// Senders pause while `max` outcomes are uncommitted, so a crash loses at most `max` recorded
// outcomes (their reminders are still 'sending', their leases expire and they are sent again
// with the same idempotency key). flush() makes everything handed over so far durable; the
// dispatcher calls it before every claim.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.hpp"

namespace replenish::dispatch {

class OutcomeWriter {
 public:
  /// What the writer has done since it started.
  struct Counts {
    std::array<std::int64_t, 7> by_state{};  ///< committed outcomes by their new ReminderState
    std::int64_t deferred = 0;               ///< committed deferrals (not in by_state)
    std::int64_t failed = 0;                 ///< outcomes whose commit failed
    std::int64_t commits = 0;                ///< transactions
    std::int64_t of(core::ReminderState s) const { return by_state[static_cast<std::size_t>(s)]; }
  };

  OutcomeWriter(store::Store& store, std::chrono::milliseconds interval, std::size_t max);
  /// Commits what is queued and stops the thread.
  ~OutcomeWriter();
  OutcomeWriter(const OutcomeWriter&) = delete;
  OutcomeWriter& operator=(const OutcomeWriter&) = delete;

  void set_limits(std::chrono::milliseconds interval, std::size_t max);
  /// Queues one outcome; blocks while `max` outcomes are uncommitted. Thread-safe.
  void add(store::AttemptRecord record);
  /// Returns once every outcome added before the call is committed (or its commit failed).
  void flush();
  Counts counts() const;

 private:
  void run();

  store::Store& store_;
  mutable std::mutex mu_;
  std::condition_variable wake_;  // the writer waits here for work
  std::condition_variable done_;  // adders wait for room, flushers for their outcomes
  std::chrono::milliseconds interval_;
  std::size_t max_;
  std::vector<store::AttemptRecord> queue_;
  std::chrono::steady_clock::time_point oldest_;  // when the first queued outcome came
  std::size_t committing_ = 0;
  std::uint64_t added_ = 0;     // outcomes handed over so far
  std::uint64_t finished_ = 0;  // of those, committed or failed (in order)
  bool flush_wanted_ = false;
  bool stop_ = false;
  Counts counts_;
  std::thread thread_;
};

}  // namespace replenish::dispatch
