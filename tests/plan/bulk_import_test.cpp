// Bulk import: both ways of re-planning touched pairs (looked up by name, or found in one ordered
// pass over the store) plan exactly what storing everything and re-planning each pair does.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <random>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "model/model.hpp"
#include "plan/bulk_import.hpp"
#include "plan/engine.hpp"
#include "store/sqlite_store.hpp"
#include "support/temp_dir.hpp"
#include "synth/generator.hpp"

using namespace replenish;

namespace {

// 2024-06-01T08:00:00+08:00, the day after bench/gen's default histories of 10 lines per user.
constexpr core::EpochSeconds kNow = 1717200000;

std::vector<core::OrderLine> history(std::int64_t lines, std::int64_t users) {
  synth::Options o;
  o.lines = lines;
  o.users = users;
  o.seed = 5;
  std::vector<core::OrderLine> out;
  std::ostringstream sink;
  synth::generate(o, sink, [&](const core::OrderLine& l, std::string_view) { out.push_back(l); });
  return out;
}

struct World {
  testing::TempDir dir;
  std::shared_ptr<const config::Config> cfg = std::make_shared<const config::Config>(
      config::load_config(std::string(REPLENISH_SOURCE_DIR) + "/bench/bench.yaml"));
  store::SqliteStore store{dir.file("r.db")};
  core::SimulatedClock clock{kNow, 0};
  plan::Engine engine{cfg, store, clock};

  /// Every pair's state and every reminder, as text, to compare stores.
  std::string dump() {
    std::string out;
    std::set<std::pair<std::string, std::string>> pairs;
    store.for_each_pair([&](const std::string& u, const std::string& c,
                            const std::vector<store::PairLine>&) { pairs.emplace(u, c); });
    for (const auto& [u, c] : pairs) {
      if (const auto p = store.pair(u, c)) {
        out += fmt::format("{} {} n={} next={} lo={} hi={} cycle={:.6f} lapsed={}\n", u, c,
                           p->purchases, p->next_at, p->lo, p->hi, p->cycle_days, p->lapsed);
      }
      for (const auto& r : store.pair_reminders(u, c)) {
        out += fmt::format("  {} {} due={} {} {}\n", r.key, r.kind, r.due_at,
                           core::to_string(r.state), r.payload);
      }
    }
    return out;
  }
};

plan::IngestSummary bulk_import(World& w, const std::vector<core::OrderLine>& lines,
                                std::size_t exact_limit, std::size_t batch = 1000) {
  plan::BulkImport bulk(w.engine, w.store, exact_limit);
  plan::IngestSummary total;
  for (std::size_t i = 0; i < lines.size(); i += batch) {
    std::vector<core::OrderLine> part(
        lines.begin() + static_cast<std::ptrdiff_t>(i),
        lines.begin() + static_cast<std::ptrdiff_t>(std::min(lines.size(), i + batch)));
    const auto s = bulk.add(w.engine.prepare(std::move(part)));
    total.stored += s.stored;
    total.duplicates += s.duplicates;
  }
  bulk.finish(total);
  return total;
}

}  // namespace

TEST_CASE("bulk import: lookups and one ordered pass plan what per-pair re-planning plans") {
  const auto lines = history(6000, 600);

  // The reference: everything stored, the priors learned, then each touched pair re-planned.
  World ref;
  std::set<plan::PairKey> touched;
  for (std::size_t i = 0; i < lines.size(); i += 1000) {
    std::vector<core::OrderLine> part(
        lines.begin() + static_cast<std::ptrdiff_t>(i),
        lines.begin() + static_cast<std::ptrdiff_t>(std::min(lines.size(), i + 1000)));
    const auto s = ref.engine.ingest(part, false);
    touched.insert(s.touched.begin(), s.touched.end());
  }
  ref.engine.refresh_priors();
  plan::IngestSummary ref_sum;
  ref.engine.replan_pairs(touched, ref_sum);
  REQUIRE(ref_sum.pairs_updated > 300);
  REQUIRE(ref_sum.planned > 100);
  const std::string expected = ref.dump();

  World by_name, by_pass;
  const auto a = bulk_import(by_name, lines, 1000000);
  const auto b = bulk_import(by_pass, lines, 10);
  CHECK(a.stored == 6000);
  CHECK(b.stored == 6000);
  CHECK(a.pairs_updated == ref_sum.pairs_updated);
  CHECK(b.pairs_updated == ref_sum.pairs_updated);
  CHECK(a.planned == ref_sum.planned);
  CHECK(b.planned == ref_sum.planned);
  CHECK(by_name.dump() == expected);
  CHECK(by_pass.dump() == expected);
  CHECK(by_pass.store.priors().size() == ref.store.priors().size());

  // The same lines again: all duplicates, no pair touched, nothing planned.
  const auto again = bulk_import(by_pass, lines, 10);
  CHECK(again.stored == 0);
  CHECK(again.duplicates == 6000);
  CHECK(again.pairs_updated == 0);
  CHECK(again.planned == 0);
  CHECK(by_pass.dump() == expected);
}

TEST_CASE("bulk import: a pair touched again later is re-planned once, with all its lines") {
  const auto lines = history(3000, 300);
  World w;
  // Half now, half later: the second import touches pairs whose history is partly in the store.
  const std::vector<core::OrderLine> first(lines.begin(), lines.begin() + 1500);
  const std::vector<core::OrderLine> second(lines.begin() + 1500, lines.end());
  bulk_import(w, first, 10, 300);
  const auto s = bulk_import(w, second, 10, 300);
  CHECK(s.stored == 1500);
  // Each pair with a line in the second half, once.
  std::set<std::pair<std::string, std::string>> expected;
  for (const auto& l : second) {
    const auto slug = w.engine.periodic_of(l);
    if (!slug.empty()) expected.emplace(l.user_id, slug);
  }
  CHECK(s.pairs_updated == static_cast<std::int64_t>(expected.size()));

  World all;
  bulk_import(all, lines, 10, 300);
  CHECK(w.store.order_count() == all.store.order_count());
  // Pair states agree with a single import of everything (reminders may differ: the first import
  // planned some that the second superseded).
  for (const auto& [u, c] : expected) {
    const auto x = w.store.pair(u, c);
    const auto y = all.store.pair(u, c);
    REQUIRE(x);
    REQUIRE(y);
    CHECK(x->purchases == y->purchases);
    CHECK(x->next_at == y->next_at);
  }
}

TEST_CASE("model: the reference pack size from counts equals the one from the list") {
  std::mt19937 rng(3);
  for (int round = 0; round < 200; ++round) {
    std::vector<model::PackSize> list;
    std::vector<std::pair<model::PackSize, std::int64_t>> counts;
    const int distinct = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < distinct; ++i) {
      const model::PackSize size{static_cast<double>(1 + rng() % 5) * 100,
                                 static_cast<model::SizeUnit>(rng() % 3)};
      const auto n = static_cast<std::int64_t>(rng() % 4);  // 0 counts nothing
      counts.emplace_back(size, n);
      for (std::int64_t k = 0; k < n; ++k) list.push_back(size);
    }
    const auto a = model::reference_size(list);
    const auto b = model::reference_size_of_counts(counts);
    REQUIRE(a.has_value() == b.has_value());
    if (a) {
      CHECK(a->value == doctest::Approx(b->value));
      CHECK(a->unit == b->unit);
    }
  }
}
