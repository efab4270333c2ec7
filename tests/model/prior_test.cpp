// Prior learning on synthetic populations whose parameters are known.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "model/prior.hpp"

using namespace replenish;
using model::Params;
using model::PriorBuilder;

namespace {

constexpr core::EpochSeconds kDay = core::kSecondsPerDay;
constexpr core::EpochSeconds kStart = 1483272000;  // 2017-01-01T12:00:00Z

/// A user whose log cycle is `mu`, with normal noise `sigma` on the log scale, amounts drawn from
/// {0.5, 1, 2} and an interval after purchase j of a_j^beta x exp(mu + noise).
std::vector<core::Purchase> synthetic_user(std::mt19937_64& rng, double mu, double sigma,
                                           double beta, int purchases) {
  std::normal_distribution<double> noise(0, sigma);
  std::uniform_int_distribution<int> pick(0, 2);
  const double amounts[] = {0.5, 1, 2};
  std::vector<core::Purchase> out;
  std::int64_t day = 0;
  for (int j = 0; j < purchases; ++j) {
    const double a = amounts[pick(rng)];
    out.push_back({kStart + day * kDay, a});
    day += std::max<std::int64_t>(1, std::llround(std::exp(mu + beta * std::log(a) + noise(rng))));
  }
  return out;
}

std::vector<std::vector<core::Purchase>> population(std::uint64_t seed, int users, double m,
                                                    double s, double sigma, double beta) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> between(m, s);
  std::vector<std::vector<core::Purchase>> out;
  for (int u = 0; u < users; ++u) out.push_back(synthetic_user(rng, between(rng), sigma, beta, 12));
  return out;
}

}  // namespace

TEST_CASE("model: prior learning recovers the population's centre, spread and elasticity") {
  const Params params;
  const double m = std::log(21);
  const auto pairs = population(7, 400, m, 0.4, 0.3, 0.5);
  const auto prior = model::learn_prior(pairs, 21, params);
  CHECK_FALSE(prior.fallback);
  CHECK(prior.n_users == 400);
  CHECK(std::abs(prior.learned_m - m) < 0.05);
  CHECK(prior.learned_weight == doctest::Approx(400.0 / 420));
  CHECK(std::abs(prior.m - m) < 0.05);
  CHECK(std::abs(prior.beta - 0.5) < 0.1);
  CHECK(std::abs(prior.sigma - 0.3) < 0.03);
  CHECK(prior.s == doctest::Approx(prior.sigma));

  // Without any amount effect, beta is learned near 0, not the default 0.6.
  const auto flat = model::learn_prior(population(8, 400, m, 0.4, 0.3, 0.0), 21, params);
  CHECK(flat.beta < 0.1);
  // Amounts that never vary leave beta at its default.
  std::vector<std::vector<core::Purchase>> constant;
  for (auto p : pairs) {
    for (auto& x : p) x.amount = 1;
    constant.push_back(p);
  }
  CHECK(model::learn_prior(constant, 21, params).beta == doctest::Approx(0.6));
}

TEST_CASE("model: a few absurd users do not poison the prior") {
  const Params params;
  auto pairs = population(9, 200, std::log(30), 0.4, 0.3, 0.0);
  const auto clean = model::learn_prior(pairs, 30, params);
  for (int i = 0; i < 10; ++i) {
    pairs.push_back({{kStart, 1e9},
                     {kStart + 3000 * kDay, 1e-9},
                     {kStart + 3001 * kDay, 1e12},
                     {kStart + 5 * kDay, -4},
                     {kStart + 6 * kDay, std::nan("")}});
  }
  const auto dirty = model::learn_prior(pairs, 30, params);
  CHECK(dirty.n_users == 210);
  CHECK(std::abs(dirty.learned_m - clean.learned_m) < 0.05);
  CHECK(std::abs(dirty.sigma - clean.sigma) < 0.05);
  CHECK(std::isfinite(dirty.beta));
  CHECK(dirty.beta >= 0);
  CHECK(dirty.beta <= params.beta_max);
}

TEST_CASE("model: the default prior stands until min_population users") {
  const Params params;
  const auto pairs = population(10, 20, std::log(10), 0.2, 0.2, 0.0);
  PriorBuilder builder(30, params);
  for (std::size_t i = 0; i < pairs.size(); ++i) CHECK(builder.add(pairs[i]));
  CHECK_FALSE(builder.add({{kStart, 1}}));  // one purchase: no interval, not kept
  REQUIRE(builder.size() == 20);

  const auto nineteen = builder.build_without(0);
  CHECK(nineteen.fallback);
  CHECK(nineteen.n_users == 19);
  CHECK(nineteen.m == doctest::Approx(std::log(30)));
  CHECK(nineteen.s == params.default_between);
  CHECK(nineteen.sigma == params.default_within);

  const auto twenty = builder.build();
  CHECK_FALSE(twenty.fallback);
  CHECK(twenty.learned_weight == doctest::Approx(0.5));
  CHECK(twenty.m == doctest::Approx((twenty.learned_m + std::log(30)) / 2));
  CHECK(std::abs(twenty.learned_m - std::log(10)) < 0.1);

  // Leaving a pair out is the same as never adding it.
  PriorBuilder without_first(30, params);
  for (std::size_t i = 1; i < pairs.size(); ++i) without_first.add(pairs[i]);
  const auto a = without_first.build();
  CHECK(a.n_users == nineteen.n_users);
  CHECK(a.beta == doctest::Approx(nineteen.beta));
  std::vector<char> mask(builder.size(), 0);
  mask[3] = mask[4] = 1;
  CHECK(builder.build_without(mask).n_users == 18);

  // Only purchases before the cut-off count.
  PriorBuilder early(30, params);
  for (const auto& p : pairs) early.add(p, {}, kStart + 5 * kDay);
  CHECK(early.size() < 20);
  CHECK(early.build().fallback);
}
