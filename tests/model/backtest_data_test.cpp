// Backtests on the shared real data (skipped when ../shared/data is absent).
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <openssl/sha.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "model/backtest.hpp"
#include "model/order_file.hpp"

namespace fs = std::filesystem;
using namespace replenish;
using model::testing::PeriodicMapping;

namespace {

const fs::path kShared = REPLENISH_SHARED_DATA_DIR;

/// default_cycle_days of config/examples/instacart.yaml: the development set's median intervals.
const std::map<std::string, double> kInstacartCycles = {
    {"laundry_detergent", 40}, {"fabric_softener", 65.5},
    {"dish_detergent", 35},    {"dishwasher_detergent", 48},
    {"baby_formula", 14},      {"baby_food", 12},
    {"diapers", 13},           {"baby_wipes", 21.5},
    {"feminine_care", 65.5},   {"adult_incontinence", 30},
    {"cat_food", 10},          {"dog_food", 14.5},
    {"cat_litter", 20},        {"toilet_paper", 21},
    {"paper_towels", 29},      {"facial_tissue", 30},
    {"trash_bags", 47},        {"coffee", 14},
    {"toothpaste", 52.5},      {"shampoo", 19.5},
    {"conditioner", 27},       {"body_soap", 29},
    {"deodorant", 71.5},       {"razors_blades", 59},
    {"shave_cream", 45}};

std::vector<model::CategorySetting> settings(const PeriodicMapping& mapping,
                                             const std::map<std::string, double>& cycles) {
  std::vector<model::CategorySetting> out;
  for (const auto& slug : mapping.slugs()) {
    const auto it = cycles.find(slug);
    out.push_back({slug, 2, it == cycles.end() ? 30.0 : it->second});
  }
  return out;
}

const model::Metrics& baseline(const model::BacktestSection& s, const char* name) {
  for (std::size_t i = 0; i < model::kBaselineNames.size(); ++i) {
    if (std::string(model::kBaselineNames[i]) == name) return s.baselines[i];
  }
  throw std::logic_error(name);
}

/// The half of the split validation a user is in: first byte of sha256("model-split:" + id), mod 2.
int half_of(const std::string& user_id) {
  const std::string text = "model-split:" + user_id;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return digest[0] % 2;
}

std::string summary(const model::BacktestSection& s) {
  std::string out = fmt::format("n {} | model MAE {:.2f} hit {:.1f}% cover {:.1f}%", s.n,
                                s.model.mae, 100 * s.model.hit, 100 * s.model.coverage.value());
  for (std::size_t i = 0; i < s.baselines.size(); ++i) {
    out += fmt::format(" | {} {:.2f} {:.1f}%", model::kBaselineNames[i], s.baselines[i].mae,
                       100 * s.baselines[i].hit);
  }
  return out;
}

}  // namespace

TEST_CASE("model: instacart backtest reproduces the baselines and beats them") {
  const fs::path dir = kShared / "instacart";
  if (!fs::exists(dir / "orders.csv.gz")) {
    MESSAGE("skipped: " << (dir / "orders.csv.gz").string() << " not found");
    return;
  }
  const PeriodicMapping mapping(dir / "periodic.yaml");
  const auto events = model::testing::read_events(dir / "orders.csv.gz", mapping);
  model::BacktestOptions options;
  options.tz = core::TimeZone::locate("Etc/GMT+5");  // the data's nominal -05:00
  const auto report = model::run_backtest(events, settings(mapping, kInstacartCycles), options);
  std::cout << model::format_table(report) << std::flush;

  const auto& all = report.overall;
  CHECK(all.n == 1852);
  // The data README's walk-forward baselines (user_mean 19.33, user_median 18.67, last 21.16).
  CHECK(baseline(all, "user_mean").mae == doctest::Approx(19.33).epsilon(0.0005));
  CHECK(baseline(all, "user_median").mae == doctest::Approx(18.67).epsilon(0.0005));
  CHECK(baseline(all, "last_interval").mae == doctest::Approx(21.16).epsilon(0.0005));
  CHECK(baseline(all, "fixed_cycle").within_3d == doctest::Approx(0.181).epsilon(0.003));
  CHECK(baseline(all, "fixed_cycle").within_7d == doctest::Approx(0.396).epsilon(0.003));
  // Acceptance: 12% below the best baseline (the README's 18.25), better hit rate, calibrated
  // interval.
  double best = 18.25;
  double best_hit = 0;
  for (const auto& b : all.baselines) {
    best = std::min(best, b.mae);
    best_hit = std::max(best_hit, b.hit);
  }
  CHECK(all.model.mae <= 0.88 * best);
  CHECK(all.model.hit > best_hit);
  REQUIRE(all.model.coverage.has_value());
  CHECK(*all.model.coverage >= 0.75);
  CHECK(*all.model.coverage <= 0.85);
}

TEST_CASE("model: completejourney backtest runs") {
  const fs::path dir = kShared / "completejourney";
  if (!fs::exists(dir / "orders.csv.gz")) {
    MESSAGE("skipped: " << (dir / "orders.csv.gz").string() << " not found");
    return;
  }
  const PeriodicMapping mapping(dir / "periodic.yaml");
  const auto events = model::testing::read_events(dir / "orders.csv.gz", mapping);
  model::BacktestOptions options;
  options.tz = core::TimeZone::locate("Etc/GMT+5");
  const auto report = model::run_backtest(events, settings(mapping, {}), options);
  std::cout << model::format_table(report) << std::flush;
  // The data README counts 68 predictions; one purchase day there has only quantity-0 lines,
  // which the model ignores as bad amounts.
  CHECK(report.overall.n == 67);
  CHECK(report.counts.bad_amount > 0);  // lines with quantity 0
  CHECK(report.overall.model.mae > 0);
}

TEST_CASE("model: instacart split validation, each half on its own") {
  const fs::path dir = kShared / "instacart";
  if (!fs::exists(dir / "orders.csv.gz")) {
    MESSAGE("skipped: " << (dir / "orders.csv.gz").string() << " not found");
    return;
  }
  const PeriodicMapping mapping(dir / "periodic.yaml");
  const auto events = model::testing::read_events(dir / "orders.csv.gz", mapping);
  model::BacktestOptions options;
  options.tz = core::TimeZone::locate("Etc/GMT+5");
  for (int half = 0; half < 2; ++half) {
    CAPTURE(half);
    std::vector<model::BacktestEvent> part;
    for (const auto& e : events) {
      if (half_of(e.user_id) == half) part.push_back(e);
    }
    const auto report = model::run_backtest(part, settings(mapping, kInstacartCycles), options);
    const auto& all = report.overall;
    std::cout << "half " << half << ": " << summary(all) << "\n" << std::flush;
    for (const auto& b : all.baselines) {
      CHECK(all.model.mae < 0.9 * b.mae);
      CHECK(all.model.hit > b.hit);
    }
    CHECK(*all.model.coverage >= 0.75);
    CHECK(*all.model.coverage <= 0.85);
  }
}
