// The metrics registry and its Prometheus text exposition.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "core/metrics.hpp"

using namespace replenish::core;

TEST_CASE("metrics: counters by label, in the text format") {
  Family<Counter> f{"t_sends_total", "Sends", {"channel", "outcome"}};
  f.at({"hook", "delivered"}).inc();
  f.at({"hook", "delivered"}).inc(2);
  f.at({"wx", "permanent"}).inc();
  Exposition out;
  out.counters(f);
  CHECK(out.text() ==
        "# HELP t_sends_total Sends\n"
        "# TYPE t_sends_total counter\n"
        "t_sends_total{channel=\"hook\",outcome=\"delivered\"} 3\n"
        "t_sends_total{channel=\"wx\",outcome=\"permanent\"} 1\n");
}

TEST_CASE("metrics: histogram buckets are cumulative, with sum and count") {
  Family<Histogram> f{"t_seconds", "Latency", {"channel"}, {0.1, 1}};
  auto& h = f.at({"hook"});
  h.observe(0.05);
  h.observe(0.1);  // on the bound: counts in le="0.1"
  h.observe(0.5);
  h.observe(3);
  Exposition out;
  out.histograms(f);
  CHECK(out.text() ==
        "# HELP t_seconds Latency\n"
        "# TYPE t_seconds histogram\n"
        "t_seconds_bucket{channel=\"hook\",le=\"0.1\"} 2\n"
        "t_seconds_bucket{channel=\"hook\",le=\"1\"} 3\n"
        "t_seconds_bucket{channel=\"hook\",le=\"+Inf\"} 4\n"
        "t_seconds_sum{channel=\"hook\"} 3.65\n"
        "t_seconds_count{channel=\"hook\"} 4\n");
}

TEST_CASE("metrics: gauges and label escaping") {
  Exposition out;
  out.gauge("t_info", "Info", {{{{"version", "1.0 \"x\"\\\n"}}, 1}, {{}, 2.5}});
  CHECK(out.text() ==
        "# HELP t_info Info\n# TYPE t_info gauge\n"
        "t_info{version=\"1.0 \\\"x\\\"\\\\\\n\"} 1\n"
        "t_info 2.5\n");
}

TEST_CASE("metrics: counting from many threads loses nothing") {
  Family<Counter> f{"t_total", "n", {"k"}};
  Histogram h({1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        f.at({t % 2 == 0 ? "even" : "odd"}).inc();
        h.observe(0.5);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(f.at({"even"}).value() == 20000);
  CHECK(f.at({"odd"}).value() == 20000);
  CHECK(h.count() == 40000);
  CHECK(h.cumulative(0) == 40000);
}
