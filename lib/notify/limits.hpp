// Per-channel-instance send limits, options every channel type accepts:
//
//   channels:
//     shop_webhook:
//       type: webhook
//       concurrency: 4        # at most 4 sends of this instance in flight (default: no limit
//                             # beyond dispatch.concurrency)
//       rate_per_second: 20   # at most 20 messages per second, in bursts of at most
//                             # max(1, rate) (a token bucket; default: no limit)
//
// A message over either limit waits for room. One that would wait longer than the dispatcher
// allows (see Dispatcher) is deferred: it goes back to 'planned', due when the channel is
// expected to have room, and the attempt is not counted. Nothing is dropped.
//
// The bucket is a GCRA ("virtual scheduling"): with rate r and burst b, the i-th message of a
// steady stream may go at (i - b) / r seconds after the first; 50 messages at 10/s take 4 s.
// Time comes from a Pacer, so that tests run on a simulated clock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

namespace replenish::notify {

/// Monotonic time for rate limits: real by default, simulated in tests.
class Pacer {
 public:
  using Duration = std::chrono::nanoseconds;
  virtual ~Pacer() = default;
  virtual Duration now() const = 0;
  virtual void sleep_for(Duration d) = 0;
  /// The steady clock and std::this_thread::sleep_for.
  static Pacer& real();
};

struct ChannelLimits {
  int concurrency = 0;         ///< max sends in flight; 0 = no limit
  double rate_per_second = 0;  ///< max messages per second; 0 = no limit
  bool any() const { return concurrency > 0 || rate_per_second > 0; }
};

class ChannelLimiter {
 public:
  /// Holds one concurrency slot (when the limiter has one) until destroyed.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit();
    explicit operator bool() const { return granted_; }

   private:
    friend class ChannelLimiter;
    ChannelLimiter* owner_ = nullptr;  // set when it holds a slot
    bool granted_ = false;
  };

  explicit ChannelLimiter(ChannelLimits limits, Pacer& pacer = Pacer::real());

  /// Waits for a concurrency slot and a token, at most `max_wait` in all. On success the permit
  /// is granted (and the caller may send at once); otherwise it is empty, no token was taken,
  /// and `*retry_in` (when given) says how long until the channel is expected to have room.
  Permit acquire(Pacer::Duration max_wait, Pacer::Duration* retry_in = nullptr);

  const ChannelLimits& limits() const { return limits_; }
  /// Sends in flight now.
  int in_flight() const;

 private:
  void release();

  const ChannelLimits limits_;
  Pacer& pacer_;
  const Pacer::Duration interval_{0};   // 1 / rate
  const Pacer::Duration tolerance_{0};  // (burst - 1) / rate
  mutable std::mutex mu_;
  std::condition_variable freed_;
  int in_flight_ = 0;
  std::optional<Pacer::Duration> tat_;  // theoretical arrival time of the next message
};

}  // namespace replenish::notify
