// Synthetic order histories for benchmarks and tests: users with their own purchase cycle per
// periodic category, pack sizes and quantities, noise, missed purchases, churn, and lines of
// non-periodic categories around them. Deterministic for a seed (own RNG and distributions, no
// std::*_distribution, so the bytes do not depend on the standard library). bench/bench.yaml
// maps the categories written here.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"

namespace replenish::synth {

enum class Format { kCsv, kJsonl };

struct Options {
  std::int64_t lines = 1000000;  ///< order lines written, exactly (--orders)
  std::int64_t users = 100000;   ///< customers
  std::uint64_t seed = 1;
  Format format = Format::kCsv;
  /// First day of the history (local midnight, UTC+8).
  core::EpochSeconds start = 1704038400;  // 2024-01-01T00:00:00+08:00
  /// Span of the history in days; 0 picks one so that periodic purchases give about 60 % of the
  /// lines. The output ends after `lines` lines, which may be before the span is over.
  int days = 0;
};

/// What was written.
struct Stats {
  std::int64_t lines = 0;
  std::int64_t orders = 0;
  std::int64_t periodic_lines = 0;  ///< lines of a periodic category (bench/bench.yaml)
  std::int64_t buyers = 0;          ///< users with at least one line
  int days = 0;                     ///< span used
  core::EpochSeconds first_at = 0;
  core::EpochSeconds last_at = 0;
};

/// One generated line and the periodic category slug it was generated for ("" for none), for
/// tests that check the shipped mapping.
using LineObserver = std::function<void(const core::OrderLine&, std::string_view slug)>;

/// Writes the header (CSV) and `options.lines` lines, sorted by time, to `out`. Throws
/// std::invalid_argument for options out of range (no lines or users, days > 3650).
Stats generate(const Options& options, std::ostream& out, const LineObserver& observer = {});

/// The periodic categories the generator writes: slug and mean cycle in days.
struct CategoryInfo {
  std::string slug;
  std::string raw_category;
  double cycle_days = 0;
};
std::vector<CategoryInfo> periodic_categories();

}  // namespace replenish::synth
