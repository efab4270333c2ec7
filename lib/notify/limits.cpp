#include "notify/limits.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace replenish::notify {
namespace {

class RealPacer final : public Pacer {
 public:
  Duration now() const override {
    return std::chrono::duration_cast<Duration>(
        std::chrono::steady_clock::now().time_since_epoch());
  }
  void sleep_for(Duration d) override { std::this_thread::sleep_for(d); }
};

Pacer::Duration interval_of(double rate) {
  if (rate <= 0) return Pacer::Duration{0};
  return std::chrono::duration_cast<Pacer::Duration>(std::chrono::duration<double>(1.0 / rate));
}

}  // namespace

Pacer& Pacer::real() {
  static RealPacer pacer;
  return pacer;
}

ChannelLimiter::Permit::Permit(Permit&& other) noexcept
    : owner_(other.owner_), granted_(other.granted_) {
  other.owner_ = nullptr;
  other.granted_ = false;
}

ChannelLimiter::Permit& ChannelLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->release();
    owner_ = other.owner_;
    granted_ = other.granted_;
    other.owner_ = nullptr;
    other.granted_ = false;
  }
  return *this;
}

ChannelLimiter::Permit::~Permit() {
  if (owner_) owner_->release();
}

ChannelLimiter::ChannelLimiter(ChannelLimits limits, Pacer& pacer)
    : limits_(limits),
      pacer_(pacer),
      interval_(interval_of(limits.rate_per_second)),
      // A burst of max(1, rate) messages: one second's worth.
      tolerance_(interval_ *
                 static_cast<std::int64_t>(std::max(1.0, std::ceil(limits.rate_per_second)) - 1)) {}

int ChannelLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

void ChannelLimiter::release() {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  freed_.notify_one();
}

ChannelLimiter::Permit ChannelLimiter::acquire(Pacer::Duration max_wait,
                                               Pacer::Duration* retry_in) {
  const auto start = pacer_.now();
  std::unique_lock lock(mu_);
  if (limits_.concurrency > 0 &&
      !freed_.wait_for(lock, max_wait, [this] { return in_flight_ < limits_.concurrency; })) {
    // Every slot stayed busy: try again in about the time one send takes (unknown: a second).
    if (retry_in) *retry_in = std::chrono::seconds(1);
    return {};
  }
  Pacer::Duration wait{0};
  if (limits_.rate_per_second > 0) {
    const auto now = pacer_.now();
    const auto tat = tat_.value_or(now);
    wait = std::max(now, tat - tolerance_) - now;
    if (wait > max_wait - (now - start)) {
      if (retry_in) *retry_in = wait;
      return {};  // no token taken
    }
    tat_ = std::max(now, tat) + interval_;  // this message's token is reserved
  }
  Permit permit;
  permit.granted_ = true;
  if (limits_.concurrency > 0) {
    ++in_flight_;
    permit.owner_ = this;
  }
  lock.unlock();
  if (wait > Pacer::Duration{0}) pacer_.sleep_for(wait);
  return permit;
}

}  // namespace replenish::notify
