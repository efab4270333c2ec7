#include "plan/model_view.hpp"

#include <array>
#include <cmath>
#include <map>
#include <string>

#include "core/time.hpp"

namespace replenish::plan {

using nlohmann::json;

json cycle_bins(const std::vector<store::CycleCount>& counts, int max_bins) {
  json out = {{"pairs", 0}, {"bin_days", 1}, {"bins", json::array()}};
  if (counts.empty()) return out;
  int lo_day = counts.front().day;
  int hi_day = counts.front().day;
  std::int64_t pairs = 0;
  for (const auto& c : counts) {
    lo_day = std::min(lo_day, c.day);
    hi_day = std::max(hi_day, c.day);
    pairs += c.pairs;
  }
  static constexpr std::array<int, 10> kWidths = {1, 2, 3, 5, 7, 10, 14, 30, 60, 90};
  int width = kWidths.back();
  for (const int w : kWidths) {
    if (hi_day / w - lo_day / w + 1 <= max_bins) {
      width = w;
      break;
    }
  }
  const int first = lo_day / width;
  std::vector<std::int64_t> bins(static_cast<std::size_t>(hi_day / width - first + 1), 0);
  for (const auto& c : counts) bins[static_cast<std::size_t>(c.day / width - first)] += c.pairs;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    const int lo = (first + static_cast<int>(i)) * width;
    out["bins"].push_back({{"lo", lo}, {"hi", lo + width}, {"count", bins[i]}});
  }
  out["pairs"] = pairs;
  out["bin_days"] = width;
  return out;
}

json model_view(store::Store& store, const config::Config& config) {
  std::map<std::string, store::PriorRecord> priors;
  for (auto& p : store.priors()) priors.emplace(p.category, std::move(p));
  std::map<std::string, std::vector<store::CycleCount>> cycles;
  for (auto& c : store.cycle_histogram()) cycles[c.category].push_back(std::move(c));

  json report = nullptr;
  json backtest = nullptr;
  if (const auto saved = store.latest_backtest()) {
    report = json::parse(saved->report, nullptr, false);
    if (report.is_discarded() || !report.is_object()) report = json::object();
    backtest = {{"ran_at", core::format_utc(saved->ran_at)},
                {"source", saved->source},
                {"overall", report.value("overall", json(nullptr))}};
  }

  json categories = json::array();
  for (const auto& c : config.categories) {
    json prior = nullptr;
    if (const auto p = priors.find(c.slug); p != priors.end()) {
      prior = {{"cycle_days", std::exp(p->second.m)},
               {"n_users", p->second.n_users},
               {"learned", p->second.learned_weight > 0},
               {"updated_at", core::format_utc(p->second.updated_at)}};
    }
    json section = nullptr;
    if (report.is_object() && report.contains("categories") &&
        report["categories"].contains(c.slug)) {
      section = report["categories"][c.slug];
    }
    categories.push_back({{"category", c.slug},
                          {"name", c.name},
                          {"default_cycle_days", c.default_cycle_days},
                          {"prior", prior},
                          {"cycles", cycle_bins(cycles[c.slug])},
                          {"backtest", section}});
  }
  return {{"backtest", backtest}, {"categories", categories}};
}

}  // namespace replenish::plan
