// Clock interface: real time in production, fixed or simulated time in tests and the demo.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "core/types.hpp"

namespace replenish::core {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Current time, UTC epoch seconds.
  virtual EpochSeconds now() const = 0;
  /// True when the clock can be moved by hand (tests, demo).
  virtual bool adjustable() const { return false; }
  /// Moves an adjustable clock forward; a no-op returning false otherwise.
  virtual bool advance(EpochSeconds /*seconds*/) { return false; }
};

class SystemClock final : public Clock {
 public:
  EpochSeconds now() const override;
};

/// Simulated time: starts at `start` and runs `speed` simulated seconds per real second
/// (0 = stands still); advance() jumps forward.
class SimulatedClock final : public Clock {
 public:
  SimulatedClock(EpochSeconds start, double speed);
  EpochSeconds now() const override;
  bool adjustable() const override { return true; }
  bool advance(EpochSeconds seconds) override;

 private:
  EpochSeconds start_;
  double speed_;
  std::chrono::steady_clock::time_point real_start_;
  std::atomic<EpochSeconds> offset_{0};
};

}  // namespace replenish::core
