// Maps a raw (category, subcategory) of an order line to a configured periodic category.
#pragma once

#include <cstddef>
#include <optional>
#include <regex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/config.hpp"

namespace replenish::ingest {

/// Decides, for raw (category, subcategory) pairs, which periodic category they belong to.
/// Thread-safe: map() may be called from several threads at once.
class CategoryMapper {
 public:
  /// Compiles every pattern once (ECMAScript, case-insensitive). Throws std::invalid_argument
  /// naming the category when a pattern does not compile (config validation rejects those first).
  explicit CategoryMapper(const std::vector<config::CategoryConfig>& categories);

  /// Index into the constructor's `categories` of the first category with a match rule that holds,
  /// else -1. A rule holds when each of its given conditions does: `category` lists the raw
  /// category (exact; empty list = any), `subcategory` lists the subcategory (exact; empty = any),
  /// `include` is found in the subcategory and `exclude` is not (patterns look at its first
  /// kMaxPatternText bytes). Results of pattern rules are memoised per pair, so repeated pairs
  /// cost one hash lookup.
  int map(std::string_view category, std::string_view subcategory) const;

  /// Bytes of the subcategory that include/exclude patterns see: std::regex recurses once per
  /// character, and a 64 KB product name would overflow a thread's stack.
  static constexpr std::size_t kMaxPatternText = 1024;

  /// Number of memoised pairs (for tests and metrics).
  std::size_t cached_pairs() const;

  /// Pairs memoised at most (about 10 MB with product names as subcategories); past that,
  /// results are computed without being stored, so that a large catalogue cannot grow the
  /// daemon's memory.
  static constexpr std::size_t kMaxCachedPairs = 1 << 16;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

  struct Rule {
    int category = -1;
    StringSet categories;
    StringSet subcategories;
    std::optional<std::regex> include;
    std::optional<std::regex> exclude;
  };

  struct PairKey {
    std::string category;
    std::string subcategory;
  };
  struct PairView {
    std::string_view category;
    std::string_view subcategory;
  };
  struct PairHash {
    using is_transparent = void;
    std::size_t operator()(const PairView& p) const;
    std::size_t operator()(const PairKey& p) const {
      return (*this)(PairView{p.category, p.subcategory});
    }
  };
  struct PairEqual {
    using is_transparent = void;
    static PairView view(const PairKey& k) { return {k.category, k.subcategory}; }
    static PairView view(const PairView& v) { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      const PairView x = view(a), y = view(b);
      return x.category == y.category && x.subcategory == y.subcategory;
    }
  };

  int evaluate(std::string_view category, std::string_view subcategory) const;

  std::vector<Rule> rules_;
  bool has_patterns_ = false;
  mutable std::shared_mutex mutex_;
  mutable std::unordered_map<PairKey, int, PairHash, PairEqual> cache_;
};

}  // namespace replenish::ingest
