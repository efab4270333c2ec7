#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "notify/consent.hpp"

namespace replenish::notify {

TEST_CASE("notify: in-memory consent ledger spends and refunds credits per user and template") {
  InMemoryConsentLedger ledger;
  CHECK_FALSE(ledger.consume("u1", "tmpl-a"));
  ledger.grant("u1", "tmpl-a", 2);
  CHECK(ledger.credits("u1", "tmpl-a") == 2);
  CHECK(ledger.credits("u1", "tmpl-b") == 0);
  CHECK(ledger.credits("u2", "tmpl-a") == 0);
  CHECK_FALSE(ledger.consume("u1", "tmpl-b"));
  CHECK_FALSE(ledger.consume("u2", "tmpl-a"));
  CHECK(ledger.consume("u1", "tmpl-a"));
  CHECK(ledger.consume("u1", "tmpl-a"));
  CHECK_FALSE(ledger.consume("u1", "tmpl-a"));
  ledger.refund("u1", "tmpl-a");
  CHECK(ledger.credits("u1", "tmpl-a") == 1);
  CHECK(ledger.consume("u1", "tmpl-a"));
  CHECK(ledger.credits("u1", "tmpl-a") == 0);
}

TEST_CASE("notify: in-memory consent ledger never spends a credit twice under concurrency") {
  InMemoryConsentLedger ledger;
  ledger.grant("u1", "tmpl-a", 100);
  std::atomic<int> spent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (ledger.consume("u1", "tmpl-a")) ++spent;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(spent == 100);
  CHECK(ledger.credits("u1", "tmpl-a") == 0);
}

}  // namespace replenish::notify
