// Fits category priors and predicts 1,000,000 synthetic (user, category) pairs with 10 purchases
// each; prints pairs per second and peak RSS. Usage: bench_model_fit [pairs] [seed]
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "model/prior.hpp"

namespace {

using replenish::core::EpochSeconds;
using replenish::core::Purchase;
namespace model = replenish::model;

constexpr int kPurchases = 10;
constexpr int kCategories = 20;
constexpr EpochSeconds kStart = 1483272000;  // 2017-01-01T12:00:00Z

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t pairs = argc > 1 ? std::stoul(argv[1]) : 1000000;
  const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 42;

  // Synthetic histories: category cycles 7..60 days, users spread 0.4 around them on the log
  // scale, 0.3 within a user, amounts 1 or 2, elasticity 0.5. Flat storage: pair i owns
  // purchases [i * kPurchases, (i + 1) * kPurchases).
  auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> between(0, 0.4), within(0, 0.3);
  std::uniform_int_distribution<int> category_of(0, kCategories - 1);
  std::bernoulli_distribution double_amount(0.2);
  std::vector<double> category_cycle(kCategories);
  for (int c = 0; c < kCategories; ++c) category_cycle[c] = 7 + c * 53.0 / (kCategories - 1);
  std::vector<Purchase> purchases(pairs * kPurchases);
  std::vector<int> category(pairs);
  for (std::size_t i = 0; i < pairs; ++i) {
    category[i] = category_of(rng);
    const double mu =
        std::log(category_cycle[static_cast<std::size_t>(category[i])]) + between(rng);
    EpochSeconds at = kStart + static_cast<EpochSeconds>(rng() % 86400);
    for (int j = 0; j < kPurchases; ++j) {
      const double amount = double_amount(rng) ? 2 : 1;
      purchases[i * kPurchases + static_cast<std::size_t>(j)] = Purchase{at, amount};
      const double days = std::exp(mu + 0.5 * std::log(amount) + within(rng));
      at += std::max<EpochSeconds>(1, std::llround(days)) * 86400;
    }
  }
  const double generate_s = seconds_since(t0);

  // Fit: one prior per category from all its pairs.
  const double cpu0 = cpu_seconds();
  t0 = std::chrono::steady_clock::now();
  const model::Params params;
  std::vector<model::PriorBuilder> builders;
  for (int c = 0; c < kCategories; ++c) builders.emplace_back(30.0, params);
  std::vector<Purchase> history(kPurchases);
  for (std::size_t i = 0; i < pairs; ++i) {
    history.assign(purchases.begin() + static_cast<std::ptrdiff_t>(i * kPurchases),
                   purchases.begin() + static_cast<std::ptrdiff_t>((i + 1) * kPurchases));
    builders[static_cast<std::size_t>(category[i])].add(history);
  }
  const double add_s = seconds_since(t0);
  std::vector<model::Prior> priors;
  for (const auto& b : builders) priors.push_back(b.build());
  const double fit_s = seconds_since(t0);

  // Predict every pair, one at a time, as an order would.
  t0 = std::chrono::steady_clock::now();
  double checksum = 0;
  std::size_t lapsed = 0;
  for (std::size_t i = 0; i < pairs; ++i) {
    history.assign(purchases.begin() + static_cast<std::ptrdiff_t>(i * kPurchases),
                   purchases.begin() + static_cast<std::ptrdiff_t>((i + 1) * kPurchases));
    const auto p = model::predict(history, priors[static_cast<std::size_t>(category[i])], params,
                                  history.back().at);
    checksum += p.cycle_days;
    lapsed += p.lapsed ? 1 : 0;
  }
  const double predict_s = seconds_since(t0);

  const double total = fit_s + predict_s;
  const double cpu = cpu_seconds() - cpu0;
  std::printf("pairs %zu x %d purchases, %d categories (seed %llu)\n", pairs, kPurchases,
              kCategories, static_cast<unsigned long long>(seed));
  std::printf("generate %.2f s\n", generate_s);
  std::printf("fit priors %.2f s (%.0f pairs/s; collecting %.2f s, learning %.2f s)\n", fit_s,
              static_cast<double>(pairs) / fit_s, add_s, fit_s - add_s);
  std::printf("predict %.2f s (%.0f pairs/s)\n", predict_s, static_cast<double>(pairs) / predict_s);
  std::printf("fit + predict %.2f s (%.0f pairs/s), CPU %.2f s\n", total,
              static_cast<double>(pairs) / total, cpu);
  std::printf("peak RSS %.1f MiB\n", static_cast<double>(peak_rss_kib()) / 1024.0);
  // The prior is per purchase of the user's usual amount: 20% doubles with elasticity 0.5 make
  // that 2^(0.5 x 0.2) times the cycle of one unit.
  std::printf(
      "checks: category 0 prior %.2f d (expected %.2f), beta %.2f (true 0.5); mean "
      "cycle %.2f d; lapsed %zu\n",
      std::exp(priors[0].m), category_cycle[0] * std::pow(2.0, 0.5 * 0.2), priors[0].beta,
      checksum / static_cast<double>(pairs), lapsed);
  return 0;
}
