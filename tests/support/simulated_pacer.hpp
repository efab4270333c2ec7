// Simulated time for rate limits: sleeping moves it forward at once, so tests of a token bucket
// neither sleep nor depend on the machine's speed.
#pragma once

#include <mutex>

#include "notify/limits.hpp"

namespace replenish::testing {

class SimulatedPacer final : public notify::Pacer {
 public:
  Duration now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void sleep_for(Duration d) override { advance(d); }
  void advance(Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  Duration now_{std::chrono::hours(1)};
};

}  // namespace replenish::testing
