// A small thread-safe metrics registry (atomics) and its Prometheus text exposition (format
// 0.0.4). Modules count with one line, e.g.
//   core::metrics().sends.at({channel, outcome}).inc();
// Gauges that describe stored state (reminders by state, queue depth) are read from the store
// when /metrics is scraped, not kept here.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace replenish::core {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Cumulative histogram over fixed upper bounds (seconds); lock-free observe().
class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 16;
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative count of observations <= bounds()[i]; i == bounds().size() is +Inf.
  std::uint64_t cumulative(std::size_t i) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

/// A family of metrics by label values; each child is created once and never moves.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}

  T& at(const std::vector<std::string>& values) {
    std::lock_guard lock(mu_);
    auto it = children_.find(values);
    if (it == children_.end()) {
      if constexpr (std::is_same_v<T, Histogram>) {
        it = children_.emplace(values, std::make_unique<T>(bounds_)).first;
      } else {
        it = children_.emplace(values, std::make_unique<T>()).first;
      }
    }
    return *it->second;
  }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  /// Calls fn(label values, child) for each child, in label order.
  template <typename Fn>
  void each(Fn&& fn) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, child] : children_) fn(values, *child);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

/// The process's metrics.
struct Metrics {
  /// Order lines by result: stored, duplicate, conflict, rejected.
  Family<Counter> order_lines{
      "replenish_order_lines_total", "Order lines received, by result", {"result"}};
  /// Delivery attempts by channel and outcome: delivered, retryable, permanent, skipped.
  Family<Counter> sends{
      "replenish_sends_total", "Delivery attempts, by channel and outcome", {"channel", "outcome"}};
  Family<Histogram> send_seconds{"replenish_send_duration_seconds",
                                 "Time to deliver one reminder through its channels",
                                 {"channel"},
                                 {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};
  Family<Histogram> model_refresh_seconds{"replenish_model_refresh_duration_seconds",
                                          "Time to re-learn every category's prior",
                                          {},
                                          {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300}};
  Family<Counter> retention_deleted{
      "replenish_retention_deleted_total", "Rows deleted by retention, by table", {"table"}};

  /// One line for the engine: stored, duplicate and conflicting lines of one batch.
  void count_ingest(std::int64_t stored, std::int64_t duplicates, std::int64_t conflicts);
  /// One line for the dispatcher: one delivery's channel ("none" when empty), outcome, time.
  void count_send(const std::string& channel, const std::string& outcome, std::int64_t ms);
};

/// Observes the time between its construction and destruction into a histogram.
class ScopedTimer {
 public:
  explicit ScopedTimer(Histogram& h) : h_(h), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    h_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  Histogram& h_;
  std::chrono::steady_clock::time_point start_;
};

Metrics& metrics();

/// Renders families in the Prometheus text format.
class Exposition {
 public:
  /// A gauge or counter with one sample per label set.
  void gauge(const std::string& name, const std::string& help,
             const std::vector<std::pair<std::map<std::string, std::string>, double>>& samples);
  void counters(const Family<Counter>& family);
  void histograms(const Family<Histogram>& family);
  const std::string& text() const { return out_; }

  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::string out_;
};

/// Escapes a label value (backslash, double quote, line feed).
std::string escape_label_value(const std::string& value);

}  // namespace replenish::core
