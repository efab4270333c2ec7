// Group commit for ingest over HTTP: the lines of requests that arrive while a transaction is
// being written are stored and planned together in the next one. Each request gets the counts
// it would have got alone (requests run one after another in arrival order inside the
// transaction), and its answer only once that transaction is committed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <vector>

#include "plan/engine.hpp"

namespace replenish::plan {

class IngestQueue {
 public:
  struct Limits {
    std::size_t max_lines = 20000;   ///< lines per transaction (a larger request goes alone)
    std::size_t max_requests = 512;  ///< requests per transaction
  };

  IngestQueue(Engine& engine, store::Store& store);
  IngestQueue(Engine& engine, store::Store& store, Limits limits);

  /// Stores and plans `lines` (Engine::ingest); returns once they are committed. Throws what
  /// ingest throws; a failing request does not fail the others of its transaction.
  IngestSummary submit(std::vector<core::OrderLine> lines);

  struct Stats {
    std::int64_t requests = 0;
    std::int64_t transactions = 0;
  };
  Stats stats() const;
  /// Requests waiting for the next transaction, and whether one is being written (for tests).
  std::size_t waiting() const;
  bool writing() const;

 private:
  struct Request {
    std::vector<store::LineRecord> records;
    IngestSummary summary;
    std::exception_ptr error;
    bool done = false;
  };
  void run(const std::vector<Request*>& group);

  Engine& engine_;
  store::Store& store_;
  Limits limits_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::deque<Request*> waiting_;
  bool writing_ = false;
  Stats stats_;
};

}  // namespace replenish::plan
