// bench_gen: writes a synthetic order history to stdout (see lib/synth/generator.hpp and
// bench/README.md). bench/gen runs it.
//   bench_gen --orders 1000000 --users 100000 --seed 1 --format csv > orders.csv
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "core/time.hpp"
#include "synth/generator.hpp"

int main(int argc, char** argv) {
  using namespace replenish;
  CLI::App app{"bench_gen — writes a synthetic order history (CSV or JSON Lines) to stdout"};
  synth::Options o;
  std::string format = "csv";
  std::string start = "2024-01-01";
  bool summary = false;
  app.add_option("--orders", o.lines, "order lines to write")->capture_default_str();
  app.add_option("--users", o.users, "customers")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed: the same seed gives the same bytes")
      ->capture_default_str();
  app.add_option("--format", format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  app.add_option("--start", start, "first day, YYYY-MM-DD (the shop is in UTC+8)")
      ->capture_default_str();
  app.add_option("--days", o.days,
                 "span in days (default: periodic purchases make about half of the lines)");
  app.add_flag("--summary", summary, "print what was written to stderr");
  app.footer(
      "Example: bench_gen --orders 1000000 --users 100000 --seed 1 --format jsonl > orders.jsonl\n"
      "Categories match bench/bench.yaml.");
  CLI11_PARSE(app, argc, argv);

  std::string why;
  const auto t = core::parse_timestamp(start + "T00:00:00+08:00", &why);
  if (!t) {
    std::cerr << "bench_gen: --start: " << why << "\n";
    return 2;
  }
  o.start = *t;
  o.format = format == "jsonl" ? synth::Format::kJsonl : synth::Format::kCsv;
  std::ios::sync_with_stdio(false);
  try {
    const auto s = synth::generate(o, std::cout);
    std::cout.flush();
    if (summary) {
      std::cerr << "bench_gen: " << s.lines << " lines, " << s.orders << " orders, "
                << s.periodic_lines << " periodic lines, " << s.buyers << " buyers, span " << s.days
                << " days, " << core::format_utc(s.first_at) << " .. "
                << core::format_utc(s.last_at) << "\n";
    }
    return std::cout ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_gen: " << e.what() << "\n";
    return 2;
  }
}
