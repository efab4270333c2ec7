// Bulk import (replenishctl import): batches of lines stored without planning, then the priors
// learned once from the whole store and every pair that got a new line re-planned once with them.
// Memory does not grow with the lines: a touched pair costs 8 bytes (a hash) once there are many.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "plan/engine.hpp"

namespace replenish::plan {

class BulkImport {
 public:
  /// What finish() is doing: "priors" (no counts), then "planning" (pairs done of total; the total
  /// is the touched pairs).
  using Progress = std::function<void(const char* phase, std::int64_t done, std::int64_t total)>;

  /// Up to `exact_limit` touched pairs are kept by name and re-planned by looking them up; past
  /// that, by one ordered pass over all pairs of the store.
  BulkImport(Engine& engine, store::Store& store, std::size_t exact_limit = 20000);

  /// Stores prepared lines (Engine::prepare) in one transaction without planning.
  IngestSummary add(const std::vector<store::LineRecord>& records);

  /// Pairs that got a new line so far.
  std::size_t touched();

  /// Learns every category's prior from the whole store, then re-plans each touched pair once
  /// with it; adds the counts to `summary`.
  void finish(IngestSummary& summary, const Progress& progress = {});

 private:
  void remember(const PairKey& pair);
  void compact();
  bool contains(std::uint64_t hash) const;

  Engine& engine_;
  store::Store& store_;
  std::size_t exact_limit_;
  std::set<PairKey> exact_;  // while there are few
  bool exact_overflow_ = false;
  std::vector<std::uint64_t> hashes_;  // [0, sorted_) sorted and unique, the rest appended
  std::size_t sorted_ = 0;
};

/// The 64-bit hash BulkImport keeps of a pair.
std::uint64_t pair_hash(std::string_view user_id, std::string_view category);

}  // namespace replenish::plan
