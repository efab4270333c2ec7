#include "core/clock.hpp"

namespace replenish::core {

EpochSeconds SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SimulatedClock::SimulatedClock(EpochSeconds start, double speed)
    : start_(start), speed_(speed), real_start_(std::chrono::steady_clock::now()) {}

EpochSeconds SimulatedClock::now() const {
  const double real =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - real_start_).count();
  return start_ + offset_.load() + static_cast<EpochSeconds>(real * speed_);
}

bool SimulatedClock::advance(EpochSeconds seconds) {
  if (seconds < 0) return false;
  offset_ += seconds;
  return true;
}

}  // namespace replenish::core
