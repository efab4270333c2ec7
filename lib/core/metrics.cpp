#include "core/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace replenish::core {
namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out +=
        fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", names[i], escape_label_value(values[i]));
  }
  if (!extra_name.empty()) {
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", extra_name, extra_value);
  }
  return out.empty() ? "" : "{" + out + "}";
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (bounds_.size() > kMaxBuckets) throw std::invalid_argument("too many histogram buckets");
}

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(0.0, seconds) * 1e6)),
                        std::memory_order_relaxed);
}

std::uint64_t Histogram::cumulative(std::size_t i) const {
  std::uint64_t n = 0;
  for (std::size_t k = 0; k <= i && k <= bounds_.size(); ++k) {
    n += buckets_[k].load(std::memory_order_relaxed);
  }
  return n;
}

double Histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

void Metrics::count_ingest(std::int64_t stored, std::int64_t duplicates, std::int64_t conflicts) {
  order_lines.at({"stored"}).inc(static_cast<std::uint64_t>(stored));
  order_lines.at({"duplicate"}).inc(static_cast<std::uint64_t>(duplicates));
  order_lines.at({"conflict"}).inc(static_cast<std::uint64_t>(conflicts));
}

void Metrics::count_send(const std::string& channel, const std::string& outcome, std::int64_t ms) {
  const std::string ch = channel.empty() ? "none" : channel;
  sends.at({ch, outcome}).inc();
  send_seconds.at({ch}).observe(static_cast<double>(ms) / 1000.0);
}

Metrics& metrics() {
  static Metrics m;
  return m;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Exposition::gauge(
    const std::string& name, const std::string& help,
    const std::vector<std::pair<std::map<std::string, std::string>, double>>& samples) {
  header(out_, name, help, "gauge");
  for (const auto& [labels, value] : samples) {
    std::vector<std::string> names, values;
    for (const auto& [k, v] : labels) {
      names.push_back(k);
      values.push_back(v);
    }
    out_ += fmt::format("{}{} {}\n", name, label_set(names, values), number(value));
  }
}

void Exposition::counters(const Family<Counter>& family) {
  header(out_, family.name(), family.help(), "counter");
  family.each([&](const std::vector<std::string>& values, const Counter& c) {
    out_ += fmt::format("{}{} {}\n", family.name(), label_set(family.labels(), values), c.value());
  });
}

void Exposition::histograms(const Family<Histogram>& family) {
  header(out_, family.name(), family.help(), "histogram");
  family.each([&](const std::vector<std::string>& values, const Histogram& h) {
    const auto& bounds = h.bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      const std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
      out_ += fmt::format("{}_bucket{} {}\n", family.name(),
                          label_set(family.labels(), values, "le", le), h.cumulative(i));
    }
    const auto ls = label_set(family.labels(), values);
    out_ += fmt::format("{}_sum{} {}\n", family.name(), ls, number(h.sum()));
    out_ += fmt::format("{}_count{} {}\n", family.name(), ls, h.count());
  });
}

}  // namespace replenish::core
