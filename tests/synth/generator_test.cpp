// The synthetic history generator behind bench/gen: deterministic, readable by our own reader
// without a single error, and mapped by bench/bench.yaml exactly as it was generated.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "ingest/category_mapper.hpp"
#include "ingest/test_util.hpp"
#include "plan/engine.hpp"
#include "synth/generator.hpp"

using namespace replenish;

namespace {

std::string generated(synth::Options o, synth::Stats* stats = nullptr) {
  std::ostringstream out;
  const auto s = synth::generate(o, out);
  if (stats) *stats = s;
  return out.str();
}

synth::Options small(std::uint64_t seed, synth::Format format = synth::Format::kCsv) {
  synth::Options o;
  o.lines = 3000;
  o.users = 300;
  o.seed = seed;
  o.format = format;
  return o;
}

}  // namespace

TEST_CASE("synth: the same seed gives the same bytes, another seed other bytes") {
  for (const auto format : {synth::Format::kCsv, synth::Format::kJsonl}) {
    const std::string a = generated(small(7, format));
    CHECK(a == generated(small(7, format)));
    CHECK(a != generated(small(8, format)));
  }
  // A given span is kept; without one the span follows lines per user.
  auto o = small(7);
  o.days = 90;
  synth::Stats s;
  generated(o, &s);
  CHECK(s.days == 90);
  CHECK(s.last_at < o.start + 90 * 86400);
  std::ostringstream sink;
  o.lines = 0;
  CHECK_THROWS_AS(synth::generate(o, sink), std::invalid_argument);
  o.lines = 10;
  o.days = 4000;
  CHECK_THROWS_AS(synth::generate(o, sink), std::invalid_argument);
}

TEST_CASE("synth: CSV and JSON Lines output read back with zero errors, exactly as many lines") {
  for (const auto format : {synth::Format::kCsv, synth::Format::kJsonl}) {
    synth::Stats stats;
    const std::string text = generated(small(3, format), &stats);
    const auto r = ingest::test::read_text(
        text, format == synth::Format::kCsv ? "gen.csv" : "gen.jsonl", ingest::Format::kAuto);
    CAPTURE(ingest::test::describe(r.errors));
    CHECK(r.errors.empty());
    CHECK(r.stats.rejected == 0);
    CHECK(r.stats.unknown_columns.empty());
    CHECK(r.stats.rows == 3000);
    CHECK(stats.lines == 3000);
    REQUIRE(r.lines.size() == 3000);
    // Sorted by time; (order_id, line) unique; orders numbered in time order.
    std::set<std::pair<std::string, std::int64_t>> ids;
    for (std::size_t i = 0; i < r.lines.size(); ++i) {
      if (i > 0) CHECK(r.lines[i - 1].ordered_at <= r.lines[i].ordered_at);
      ids.emplace(r.lines[i].order_id, r.lines[i].line);
    }
    CHECK(ids.size() == 3000);
    CHECK(r.lines.front().ordered_at == stats.first_at);
    CHECK(r.lines.back().ordered_at == stats.last_at);
  }
}

TEST_CASE("synth: bench/bench.yaml maps every line to the category it was generated for") {
  const auto cfg = config::load_config(std::string(REPLENISH_SOURCE_DIR) + "/bench/bench.yaml");
  const ingest::CategoryMapper mapper(cfg.categories);
  std::ostringstream out;
  int periodic = 0, other = 0, sized = 0, mismatched = 0;
  std::set<std::string> slugs;
  std::set<std::string> raw_of_other;
  // (user, slug) -> purchase days, to see the cycles.
  std::map<std::pair<std::string, std::string>, std::set<std::int64_t>> days;
  auto o = small(11);
  o.lines = 20000;
  o.users = 1000;
  const auto stats = synth::generate(o, out, [&](const core::OrderLine& l, std::string_view slug) {
    const int idx = mapper.map(l.category, l.subcategory);
    const std::string mapped = idx < 0 ? "" : cfg.categories[static_cast<std::size_t>(idx)].slug;
    if (mapped != slug) ++mismatched;
    if (slug.empty()) {
      ++other;
      raw_of_other.insert(l.category);
      return;
    }
    ++periodic;
    slugs.insert(std::string(slug));
    if (plan::line_pack_size(l)) ++sized;
    days[{l.user_id, std::string(slug)}].insert((l.ordered_at + 8 * 3600) / 86400);
  });
  CHECK(mismatched == 0);
  CHECK(stats.periodic_lines == periodic);
  CHECK(slugs.size() == synth::periodic_categories().size());
  // About half periodic; other lines also under raw categories that hold periodic goods.
  CHECK(periodic > 8000);
  CHECK(other > 8000);
  CHECK(raw_of_other.count("母婴") == 1);
  CHECK(raw_of_other.count("洗衣用品") == 1);
  // Most periodic lines carry a pack size that parses; some do not.
  CHECK(sized > periodic * 7 / 10);
  CHECK(sized < periodic);

  // Users' own cycles: per category, the median of users' median intervals lies near the
  // category's cycle (quantities, missed purchases and noise stretch it somewhat).
  std::map<std::string, std::vector<double>> medians;
  for (const auto& [key, d] : days) {
    if (d.size() < 3) continue;
    std::vector<double> gaps;
    for (auto it = std::next(d.begin()); it != d.end(); ++it) {
      gaps.push_back(static_cast<double>(*it - *std::prev(it)));
    }
    std::sort(gaps.begin(), gaps.end());
    medians[key.second].push_back(gaps[gaps.size() / 2]);
  }
  for (const auto& c : synth::periodic_categories()) {
    auto& m = medians[c.slug];
    if (m.size() < 10) continue;  // long cycles have few repeat buyers in a short span
    std::sort(m.begin(), m.end());
    const double median = m[m.size() / 2];
    CAPTURE(c.slug);
    CAPTURE(median);
    CHECK(median > 0.7 * c.cycle_days);
    CHECK(median < 1.6 * c.cycle_days);
    // Users differ: the spread between users is real, not one cycle for all.
    CHECK(m[m.size() * 9 / 10] > 1.3 * m[m.size() / 10]);
  }
}
