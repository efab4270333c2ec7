// Per-channel limits: the token bucket on a simulated pacer (no sleeping), the concurrency cap
// with real threads, and the options as the registry reads them.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "notify/channel.hpp"
#include "notify/limits.hpp"
#include "support.hpp"
#include "support/simulated_pacer.hpp"

using namespace replenish;
using notify::ChannelLimiter;
using notify::ChannelLimits;
using notify::Pacer;
using namespace std::chrono_literals;
using testing::SimulatedPacer;

namespace {

double seconds(Pacer::Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

TEST_CASE("limits: 50 messages at 10 per second take 4 s after a burst of 10") {
  SimulatedPacer pacer;
  ChannelLimiter limiter(ChannelLimits{0, 10}, pacer);
  const auto start = pacer.now();
  std::vector<double> sent_at;
  for (int i = 0; i < 50; ++i) {
    auto permit = limiter.acquire(10s);
    REQUIRE(permit);  // never dropped: each one waits its turn
    sent_at.push_back(seconds(pacer.now() - start));
  }
  CHECK(sent_at[9] == doctest::Approx(0.0));  // the burst
  CHECK(sent_at[10] == doctest::Approx(0.1));
  CHECK(sent_at[19] == doctest::Approx(1.0));
  CHECK(sent_at[49] == doctest::Approx(4.0));
  CHECK(sent_at[49] >= 4.0 - 1e-9);
}

TEST_CASE("limits: an idle bucket refills up to one second's burst, not more") {
  SimulatedPacer pacer;
  ChannelLimiter limiter(ChannelLimits{0, 4}, pacer);
  for (int i = 0; i < 4; ++i) CHECK(limiter.acquire(0s));  // the burst of 4
  CHECK_FALSE(limiter.acquire(0s));                        // the fifth would have to wait
  pacer.advance(60s);                                      // a long quiet minute
  const auto start = pacer.now();
  for (int i = 0; i < 8; ++i) REQUIRE(limiter.acquire(10s));
  // Four at once, then four more at 0.25 s intervals: the quiet minute saved no more than 4.
  CHECK(seconds(pacer.now() - start) == doctest::Approx(1.0));
}

TEST_CASE("limits: a message that would wait too long takes no token and says when to retry") {
  SimulatedPacer pacer;
  ChannelLimiter limiter(ChannelLimits{0, 0.5}, pacer);  // one message per 2 s, bursts of 1
  CHECK(limiter.acquire(1s));
  Pacer::Duration retry_in{0};
  CHECK_FALSE(limiter.acquire(1s, &retry_in));
  CHECK(seconds(retry_in) == doctest::Approx(2.0));
  CHECK_FALSE(limiter.acquire(1s, &retry_in));  // the refusal reserved nothing
  CHECK(seconds(retry_in) == doctest::Approx(2.0));
  pacer.advance(1500ms);
  const auto before = pacer.now();
  CHECK(limiter.acquire(1s));  // 0.5 s left: within the wait
  CHECK(seconds(pacer.now() - before) == doctest::Approx(0.5));
}

TEST_CASE("limits: at most `concurrency` sends are in flight, the others wait for a slot") {
  ChannelLimiter limiter(ChannelLimits{3, 0});
  std::atomic<int> in_flight{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto permit = limiter.acquire(10s);
        REQUIRE(permit);
        const int now = ++in_flight;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(200us);
        --in_flight;
        ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(done == 160);
  CHECK(most.load() <= 3);
  CHECK(most.load() >= 1);
  CHECK(limiter.in_flight() == 0);
}

TEST_CASE("limits: with every slot busy past the wait, the message is refused, not queued") {
  ChannelLimiter limiter(ChannelLimits{1, 0});
  auto held = limiter.acquire(1s);
  REQUIRE(held);
  Pacer::Duration retry_in{0};
  CHECK_FALSE(limiter.acquire(20ms, &retry_in));
  CHECK(retry_in == std::chrono::seconds(1));
  held = {};  // released
  CHECK(limiter.acquire(0s));
}

TEST_CASE("limits: every channel type takes concurrency and rate_per_second, checked") {
  notify::ChannelRegistry registry;
  notify::register_builtin_channels(registry);
  std::map<std::string, ChannelLimits> limits;
  const auto channels =
      registry.build({notify::test::spec("a", "type: log\nconcurrency: 2\nrate_per_second: 0.5\n"),
                      notify::test::spec("b", "type: log\n")},
                     {}, &limits);
  CHECK(channels.size() == 2);
  REQUIRE(limits.count("a") == 1);
  CHECK(limits.at("a").concurrency == 2);
  CHECK(limits.at("a").rate_per_second == doctest::Approx(0.5));
  CHECK(limits.count("b") == 0);  // no limits: none kept

  try {
    registry.build({notify::test::spec("c", "type: log\nconcurrency: 0\nrate_per_second: fast\n")},
                   {});
    FAIL("expected a configuration error");
  } catch (const config::ConfigError& e) {
    const std::string what = e.what();
    CHECK(what.find("channels.c.concurrency") != std::string::npos);
    CHECK(what.find("channels.c.rate_per_second") != std::string::npos);
  }
}
