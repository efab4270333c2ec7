#include "plan/bulk_import.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

namespace replenish::plan {
namespace {

// Pairs re-planned per transaction: each commit rewrites the pages of the reminders' indexes
// its random inserts touched, so larger groups write much less.
constexpr std::size_t kGroup = 25000;

}  // namespace

std::uint64_t pair_hash(std::string_view user_id, std::string_view category) {
  const std::uint64_t a = std::hash<std::string_view>{}(user_id);
  const std::uint64_t b = std::hash<std::string_view>{}(category);
  std::uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL + 0x7f4a7c159e3779b9ULL + (a << 6) + (a >> 2));
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

BulkImport::BulkImport(Engine& engine, store::Store& store, std::size_t exact_limit)
    : engine_(engine), store_(store), exact_limit_(exact_limit) {}

IngestSummary BulkImport::add(const std::vector<store::LineRecord>& records) {
  IngestSummary s = engine_.ingest_records(records, false);
  for (const auto& pair : s.touched) remember(pair);
  s.touched.clear();
  return s;
}

void BulkImport::remember(const PairKey& pair) {
  hashes_.push_back(pair_hash(pair.first, pair.second));
  if (hashes_.size() >= 2 * std::max<std::size_t>(sorted_, 1 << 16)) compact();
  if (exact_overflow_) return;
  exact_.insert(pair);
  if (exact_.size() > exact_limit_) {
    exact_overflow_ = true;
    exact_.clear();
  }
}

void BulkImport::compact() {
  std::sort(hashes_.begin() + static_cast<std::ptrdiff_t>(sorted_), hashes_.end());
  std::inplace_merge(hashes_.begin(), hashes_.begin() + static_cast<std::ptrdiff_t>(sorted_),
                     hashes_.end());
  hashes_.erase(std::unique(hashes_.begin(), hashes_.end()), hashes_.end());
  sorted_ = hashes_.size();
}

bool BulkImport::contains(std::uint64_t hash) const {
  const auto end = hashes_.begin() + static_cast<std::ptrdiff_t>(sorted_);
  return std::binary_search(hashes_.begin(), end, hash);
}

std::size_t BulkImport::touched() {
  if (!exact_overflow_) return exact_.size();
  compact();
  return hashes_.size();
}

void BulkImport::finish(IngestSummary& summary, const Progress& progress) {
  if (progress) progress("priors", 0, 0);
  engine_.refresh_priors();
  compact();
  const auto total = static_cast<std::int64_t>(touched());
  std::int64_t done = 0;
  const auto count = [&](const PairOutcome& o) {
    ++summary.pairs_updated;
    summary.planned += o.planned;
    summary.cancelled += o.cancelled;
    summary.converted += o.converted;
  };
  if (progress) progress("planning", 0, total);

  if (!exact_overflow_) {
    // Few pairs: look each one up, in key order.
    auto it = exact_.begin();
    while (it != exact_.end()) {
      store_.with_transaction([&] {
        for (std::size_t i = 0; i < kGroup && it != exact_.end(); ++i, ++it) {
          count(engine_.replan(it->first, it->second));
          ++done;
        }
      });
      if (progress) progress("planning", done, total);
    }
    return;
  }

  // Many pairs: one ordered pass over every pair's lines; the touched ones are re-planned in
  // groups, a transaction each, with the lines the pass read.
  struct Pending {
    std::string user;
    std::string category;
    std::vector<store::PairLine> lines;
  };
  std::vector<Pending> group;
  const auto flush = [&] {
    if (group.empty()) return;
    store_.with_transaction([&] {
      for (const auto& p : group) count(engine_.replan(p.user, p.category, &p.lines));
    });
    done += static_cast<std::int64_t>(group.size());
    group.clear();
    if (progress) progress("planning", done, total);
  };
  store_.for_each_pair([&](const std::string& user, const std::string& category,
                           const std::vector<store::PairLine>& lines) {
    if (!contains(pair_hash(user, category))) return;
    group.push_back(Pending{user, category, lines});
    if (group.size() >= kGroup) flush();
  });
  flush();
}

}  // namespace replenish::plan
