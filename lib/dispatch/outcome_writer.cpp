#include "dispatch/outcome_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace replenish::dispatch {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto l = spdlog::get("dispatch");
    return l ? l : spdlog::default_logger()->clone("dispatch");
  }();
  return log;
}

}  // namespace

OutcomeWriter::OutcomeWriter(store::Store& store, std::chrono::milliseconds interval,
                             std::size_t max)
    : store_(store), interval_(interval), max_(std::max<std::size_t>(max, 1)) {
  thread_ = std::thread([this] { run(); });
}

OutcomeWriter::~OutcomeWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  done_.notify_all();
  thread_.join();
}

void OutcomeWriter::set_limits(std::chrono::milliseconds interval, std::size_t max) {
  {
    std::lock_guard lock(mu_);
    interval_ = interval;
    max_ = std::max<std::size_t>(max, 1);
  }
  wake_.notify_all();
  done_.notify_all();
}

void OutcomeWriter::add(store::AttemptRecord record) {
  std::unique_lock lock(mu_);
  done_.wait(lock, [this] { return queue_.size() + committing_ < max_ || stop_; });
  if (queue_.empty()) oldest_ = std::chrono::steady_clock::now();
  queue_.push_back(std::move(record));
  ++added_;
  const bool wake = queue_.size() == 1 || queue_.size() >= max_;
  lock.unlock();
  if (wake) wake_.notify_one();
}

void OutcomeWriter::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = added_;
  if (finished_ >= target) return;
  flush_wanted_ = true;
  wake_.notify_one();
  done_.wait(lock, [&] { return finished_ >= target; });
}

OutcomeWriter::Counts OutcomeWriter::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void OutcomeWriter::run() {
  std::vector<store::AttemptRecord> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stopping, and everything is committed
    // Let the group grow until the oldest outcome has waited `interval_`, unless it is full or
    // someone waits for it.
    while (!stop_ && !flush_wanted_ && queue_.size() < max_) {
      if (wake_.wait_until(lock, oldest_ + interval_) == std::cv_status::timeout) break;
    }
    batch.swap(queue_);
    committing_ = batch.size();
    flush_wanted_ = false;
    lock.unlock();

    bool ok = true;
    try {
      store_.finish_attempts(batch);
    } catch (const std::exception& e) {
      // The reminders stay 'sending': their leases run out and they are claimed again.
      ok = false;
      logger()->error("event=record_failed outcomes={} reason=\"{}\"", batch.size(), e.what());
    }

    lock.lock();
    if (ok) {
      for (const auto& r : batch) {
        if (r.deferred) {
          ++counts_.deferred;
        } else {
          ++counts_.by_state[static_cast<std::size_t>(r.new_state)];
        }
      }
      ++counts_.commits;
    } else {
      counts_.failed += static_cast<std::int64_t>(batch.size());
    }
    finished_ += batch.size();
    committing_ = 0;
    batch.clear();
    done_.notify_all();
  }
}

}  // namespace replenish::dispatch
