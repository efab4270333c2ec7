#include "plan/ingest_queue.hpp"

namespace replenish::plan {

IngestQueue::IngestQueue(Engine& engine, store::Store& store)
    : IngestQueue(engine, store, Limits{}) {}

IngestQueue::IngestQueue(Engine& engine, store::Store& store, Limits limits)
    : engine_(engine), store_(store), limits_(limits) {}

IngestSummary IngestQueue::submit(std::vector<core::OrderLine> lines) {
  Request request;
  request.records = engine_.prepare(std::move(lines));  // in the caller's thread
  std::unique_lock lock(mu_);
  waiting_.push_back(&request);
  while (!request.done) {
    if (writing_) {
      done_.wait(lock);
      continue;
    }
    // Nobody is writing: this thread writes the next group (the oldest requests first).
    writing_ = true;
    std::vector<Request*> group;
    std::size_t lines_in = 0;
    while (!waiting_.empty() && group.size() < limits_.max_requests) {
      Request* next = waiting_.front();
      if (!group.empty() && lines_in + next->records.size() > limits_.max_lines) break;
      lines_in += next->records.size();
      group.push_back(next);
      waiting_.pop_front();
    }
    lock.unlock();
    run(group);
    lock.lock();
    for (Request* r : group) r->done = true;
    stats_.requests += static_cast<std::int64_t>(group.size());
    ++stats_.transactions;
    writing_ = false;
    done_.notify_all();
  }
  if (request.error) std::rethrow_exception(request.error);
  return std::move(request.summary);
}

void IngestQueue::run(const std::vector<Request*>& group) {
  try {
    store_.with_transaction([&] {
      for (Request* r : group) r->summary = engine_.ingest_records(r->records);
    });
    return;
  } catch (...) {
    if (group.size() == 1) {
      group.front()->error = std::current_exception();
      return;
    }
  }
  // The transaction failed and was rolled back: each request again on its own, so that only the
  // one that fails gets the error.
  for (Request* r : group) {
    try {
      r->summary = engine_.ingest_records(r->records);
    } catch (...) {
      r->error = std::current_exception();
    }
  }
}

IngestQueue::Stats IngestQueue::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t IngestQueue::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

bool IngestQueue::writing() const {
  std::lock_guard lock(mu_);
  return writing_;
}

}  // namespace replenish::plan
