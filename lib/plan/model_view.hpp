// The model as the console's Model page shows it: per category the prior, the spread of the
// users' predicted cycles, and the latest saved backtest against the baselines.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "config/config.hpp"
#include "store/store.hpp"

namespace replenish::plan {

/// Histogram bins over whole-day counts: the smallest width from 1, 2, 3, 5, 7, 10, 14, 30, 60,
/// 90 days that needs at most `max_bins` bins (the widest past that). Bins are aligned to
/// multiples of the width, cover the smallest to the largest day, and keep empty bins between.
/// {"pairs": n, "bin_days": w, "bins": [{"lo", "hi", "count"}]}; lo inclusive, hi exclusive.
nlohmann::json cycle_bins(const std::vector<store::CycleCount>& counts, int max_bins = 24);

/// {"backtest": null | {"ran_at", "source", "overall"}, "categories": [{"category", "name",
/// "default_cycle_days", "prior": null | {...}, "cycles": cycle_bins, "backtest": null | {...}}]}
/// in the configuration's category order.
nlohmann::json model_view(store::Store& store, const config::Config& config);

}  // namespace replenish::plan
