#include "model/backtest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>
#include <queue>
#include <unordered_map>

#include "model/prior.hpp"
#include "model/robust.hpp"

namespace replenish::model {
namespace {

struct Line {
  core::EpochSeconds at = 0;
  double amount = 0;
};

struct Pair {
  int user = 0;
  int category = 0;
  std::vector<Line> lines;
  std::vector<DayPurchase> days;
};

/// Collects the outcomes of one method.
class Accumulator {
 public:
  void add(double predicted, std::int64_t actual, int lead_days, int window_days,
           std::optional<bool> covered) {
    const double a = static_cast<double>(actual);
    errors_.push_back(std::abs(predicted - a));
    const double reminder = predicted - lead_days;
    if (a < reminder) {
      ++too_late_;
    } else if (a > reminder + window_days) {
      ++too_early_;
    } else {
      ++hit_;
    }
    if (covered) {
      ++with_interval_;
      if (*covered) ++covered_;
    }
  }

  Metrics metrics() const {
    Metrics m;
    m.n = errors_.size();
    if (m.n == 0) return m;
    const double n = static_cast<double>(m.n);
    double sum = 0;
    std::size_t w3 = 0, w7 = 0;
    for (double e : errors_) {
      sum += e;
      if (e <= 3) ++w3;
      if (e <= 7) ++w7;
    }
    m.mae = sum / n;
    m.median_ae = median(errors_);
    m.within_3d = static_cast<double>(w3) / n;
    m.within_7d = static_cast<double>(w7) / n;
    m.hit = static_cast<double>(hit_) / n;
    m.too_late = static_cast<double>(too_late_) / n;
    m.too_early = static_cast<double>(too_early_) / n;
    if (with_interval_ > 0) {
      m.coverage = static_cast<double>(covered_) / static_cast<double>(with_interval_);
    }
    return m;
  }

 private:
  std::vector<double> errors_;
  std::size_t hit_ = 0, too_late_ = 0, too_early_ = 0, with_interval_ = 0, covered_ = 0;
};

struct SectionAccumulator {
  Accumulator model;
  std::array<Accumulator, 4> baselines;

  BacktestSection section() const {
    BacktestSection s;
    s.model = model.metrics();
    s.n = s.model.n;
    for (std::size_t i = 0; i < baselines.size(); ++i) s.baselines[i] = baselines[i].metrics();
    return s;
  }
};

/// Median of a growing multiset: two heaps.
class RunningMedian {
 public:
  void add(double x) {
    if (low_.empty() || x <= low_.top()) {
      low_.push(x);
    } else {
      high_.push(x);
    }
    if (low_.size() > high_.size() + 1) {
      high_.push(low_.top());
      low_.pop();
    } else if (high_.size() > low_.size()) {
      low_.push(high_.top());
      high_.pop();
    }
  }
  bool empty() const { return low_.empty(); }
  double median() const {
    if (low_.size() > high_.size()) return low_.top();
    return (low_.top() + high_.top()) / 2;
  }

 private:
  std::priority_queue<double> low_;
  std::priority_queue<double, std::vector<double>, std::greater<>> high_;
};

/// FNV-1a: a stable hash for fold assignment.
std::uint64_t stable_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}

struct Request {
  std::size_t pos = 0;  // index into the category's pairs
  std::size_t k = 0;    // purchases known
  core::EpochSeconds at = 0;
  std::int64_t day = 0;
  std::int64_t epoch = 0;
};

struct ModelResult {
  std::int64_t next_day = 0;
  std::int64_t lo_day = 0;
  std::int64_t hi_day = 0;
};

void run_category(const std::vector<Pair>& all_pairs, const std::vector<std::size_t>& members,
                  const std::vector<std::string>& user_names, const CategorySetting& setting,
                  const BacktestOptions& options, std::int64_t first_day,
                  SectionAccumulator& category_acc, SectionAccumulator& overall_acc,
                  BacktestCounts& counts) {
  const std::int64_t refresh = std::max(options.refresh_days, 1);
  const std::size_t min_days = static_cast<std::size_t>(std::max(options.min_purchase_days, 3));

  std::vector<Request> requests;
  std::vector<std::pair<core::EpochSeconds, double>> pool;  // (end time, days) of all intervals
  for (std::size_t pos = 0; pos < members.size(); ++pos) {
    const auto& days = all_pairs[members[pos]].days;
    for (std::size_t i = 0; i + 1 < days.size(); ++i) {
      pool.emplace_back(days[i + 1].at, static_cast<double>(days[i + 1].day - days[i].day));
    }
    if (days.size() < min_days) continue;
    ++counts.pairs_evaluated;
    for (std::size_t k = 2; k < days.size(); ++k) {
      const auto& last = days[k - 1];
      requests.push_back(
          Request{pos, k, last.at, last.day, last.day - floor_mod(last.day - first_day, refresh)});
    }
  }
  if (requests.empty()) return;
  counts.predictions += requests.size();
  std::sort(pool.begin(), pool.end());

  // Model: one prior builder per refresh period, leaving the user (or the user's fold) out.
  std::vector<ModelResult> results(requests.size());
  std::vector<std::size_t> by_epoch(requests.size());
  std::iota(by_epoch.begin(), by_epoch.end(), std::size_t{0});
  std::stable_sort(by_epoch.begin(), by_epoch.end(), [&](std::size_t a, std::size_t b) {
    return requests[a].epoch < requests[b].epoch;
  });
  const int folds = std::max(options.folds, 2);
  std::vector<DayPurchase> history;
  for (std::size_t i = 0; i < by_epoch.size();) {
    const std::int64_t epoch = requests[by_epoch[i]].epoch;
    PriorBuilder builder(setting.default_cycle_days, options.params);
    std::vector<long> index_in_builder(members.size(), -1);
    for (std::size_t pos = 0; pos < members.size(); ++pos) {
      if (builder.add_days(all_pairs[members[pos]].days, epoch)) {
        index_in_builder[pos] = static_cast<long>(builder.size()) - 1;
      }
    }
    const bool exact = builder.size() <= options.exact_leave_one_out_max;
    std::optional<Prior> everyone;
    std::unordered_map<long, Prior> without_one;
    std::unordered_map<int, Prior> without_fold;
    const auto fold_of = [&](std::size_t pos) {
      return static_cast<int>(
          stable_hash(user_names[static_cast<std::size_t>(all_pairs[members[pos]].user)]) %
          static_cast<std::uint64_t>(folds));
    };
    for (; i < by_epoch.size() && requests[by_epoch[i]].epoch == epoch; ++i) {
      const Request& r = requests[by_epoch[i]];
      const long index = index_in_builder[r.pos];
      const Prior* prior = nullptr;
      if (index < 0) {
        if (!everyone) everyone = builder.build();
        prior = &*everyone;
      } else if (exact) {
        auto it = without_one.find(index);
        if (it == without_one.end()) {
          it = without_one.emplace(index, builder.build_without(static_cast<std::size_t>(index)))
                   .first;
        }
        prior = &it->second;
      } else {
        const int fold = fold_of(r.pos);
        auto it = without_fold.find(fold);
        if (it == without_fold.end()) {
          std::vector<char> excluded(builder.size(), 0);
          for (std::size_t pos = 0; pos < members.size(); ++pos) {
            if (index_in_builder[pos] >= 0 && fold_of(pos) == fold) {
              excluded[static_cast<std::size_t>(index_in_builder[pos])] = 1;
            }
          }
          it = without_fold.emplace(fold, builder.build_without(excluded)).first;
        }
        prior = &it->second;
      }
      const auto& days = all_pairs[members[r.pos]].days;
      history.assign(days.begin(), days.begin() + static_cast<std::ptrdiff_t>(r.k));
      const Estimate e = estimate_days(history, *prior, options.params, r.day);
      results[by_epoch[i]] = ModelResult{e.next_day, e.lo_day, e.hi_day};
    }
  }

  // Baselines in time order, so that the pooled median grows as data time advances.
  std::vector<std::size_t> by_time(requests.size());
  std::iota(by_time.begin(), by_time.end(), std::size_t{0});
  std::stable_sort(by_time.begin(), by_time.end(),
                   [&](std::size_t a, std::size_t b) { return requests[a].at < requests[b].at; });
  RunningMedian pooled;
  std::size_t next_interval = 0;
  std::vector<double> own;
  const int lead = setting.lead_days;
  const int window = options.window_days;
  for (std::size_t idx : by_time) {
    const Request& r = requests[idx];
    while (next_interval < pool.size() && pool[next_interval].first < r.at) {
      pooled.add(pool[next_interval].second);
      ++next_interval;
    }
    const auto& days = all_pairs[members[r.pos]].days;
    own.clear();
    double sum = 0;
    for (std::size_t i = 0; i + 1 < r.k; ++i) {
      own.push_back(static_cast<double>(days[i + 1].day - days[i].day));
      sum += own.back();
    }
    const std::int64_t actual = days[r.k].day;
    const double base = static_cast<double>(r.day);
    const double own_median = median(own);
    const std::array<double, 4> baseline_days = {
        base + (pooled.empty() ? own_median : pooled.median()), base + own.back(),
        base + sum / static_cast<double>(own.size()), base + own_median};
    const ModelResult& m = results[idx];
    const bool covered = m.lo_day <= actual && actual <= m.hi_day;
    for (SectionAccumulator* acc : {&category_acc, &overall_acc}) {
      acc->model.add(static_cast<double>(m.next_day), actual, lead, window, covered);
      for (std::size_t b = 0; b < baseline_days.size(); ++b) {
        acc->baselines[b].add(baseline_days[b], actual, lead, window, std::nullopt);
      }
    }
  }
}

nlohmann::ordered_json metrics_json(const Metrics& m) {
  nlohmann::ordered_json j;
  j["mae"] = m.mae;
  j["median_ae"] = m.median_ae;
  j["within_3d"] = m.within_3d;
  j["within_7d"] = m.within_7d;
  if (m.coverage) {
    j["coverage"] = *m.coverage;
  } else {
    j["coverage"] = nullptr;
  }
  j["hit"] = m.hit;
  j["too_late"] = m.too_late;
  j["too_early"] = m.too_early;
  return j;
}

nlohmann::ordered_json section_json(const BacktestSection& s) {
  nlohmann::ordered_json j;
  j["n"] = s.n;
  j["model"] = metrics_json(s.model);
  nlohmann::ordered_json b;
  for (std::size_t i = 0; i < kBaselineNames.size(); ++i) {
    b[kBaselineNames[i]] = metrics_json(s.baselines[i]);
  }
  j["baselines"] = std::move(b);
  return j;
}

std::string percent(double share) {
  return fmt::format("{:.1f}%", share * 100);
}

void table_rows(std::string& out, const std::string& title, const BacktestSection& s) {
  out += fmt::format("{:<24}{:>6}\n", title.substr(0, 24), s.n);
  const auto row = [&](const char* name, const Metrics& m) {
    out += fmt::format("  {:<28}{:>7.2f}{:>7.1f}{:>7}{:>7}{:>7}{:>7}{:>7}{:>7}\n", name, m.mae,
                       m.median_ae, percent(m.within_3d), percent(m.within_7d),
                       m.coverage ? percent(*m.coverage) : std::string("-"), percent(m.hit),
                       percent(m.too_late), percent(m.too_early));
  };
  row("model", s.model);
  for (std::size_t i = 0; i < kBaselineNames.size(); ++i) row(kBaselineNames[i], s.baselines[i]);
}

}  // namespace

BacktestReport run_backtest(const std::vector<BacktestEvent>& events,
                            const std::vector<CategorySetting>& categories,
                            const BacktestOptions& options) {
  BacktestReport report;
  report.options = options;
  BacktestCounts& counts = report.counts;
  counts.events = events.size();
  const int n_categories = static_cast<int>(categories.size());

  std::unordered_map<std::string, int> user_index;
  std::vector<std::string> user_names;
  std::unordered_map<std::int64_t, std::size_t> pair_index;
  std::vector<Pair> pairs;
  for (const auto& ev : events) {
    if (ev.category < 0 || ev.category >= n_categories) {
      ++counts.unknown_category;
      continue;
    }
    if (!(ev.amount > 0) || !std::isfinite(ev.amount)) {
      ++counts.bad_amount;
      continue;
    }
    if (ev.at < core::kMinTime || ev.at > core::kMaxTime) {
      ++counts.bad_time;
      continue;
    }
    if (options.now && ev.at > *options.now) {
      ++counts.future;
      continue;
    }
    auto [uit, new_user] = user_index.emplace(ev.user_id, static_cast<int>(user_names.size()));
    if (new_user) user_names.push_back(ev.user_id);
    const std::int64_t key = static_cast<std::int64_t>(uit->second) * n_categories + ev.category;
    auto [pit, new_pair] = pair_index.emplace(key, pairs.size());
    if (new_pair) pairs.push_back(Pair{uit->second, ev.category, {}, {}});
    Pair& pair = pairs[pit->second];
    if (!pair.lines.empty() && ev.at < pair.lines.back().at) ++counts.out_of_order;
    pair.lines.push_back(Line{ev.at, ev.amount});
  }
  counts.pairs = pairs.size();

  std::int64_t first_day = 0;
  bool any = false;
  std::vector<std::vector<std::size_t>> by_category(categories.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    Pair& p = pairs[i];
    std::stable_sort(p.lines.begin(), p.lines.end(),
                     [](const Line& a, const Line& b) { return a.at < b.at; });
    for (const auto& l : p.lines) {
      const std::int64_t day = options.tz.local_day(l.at);
      if (!p.days.empty() && p.days.back().day == day) {
        p.days.back().amount += l.amount;
        ++counts.same_day;
      } else {
        p.days.push_back(DayPurchase{day, l.amount, l.at});
      }
    }
    p.lines.clear();
    p.lines.shrink_to_fit();
    if (!any || p.days.front().day < first_day) first_day = p.days.front().day;
    any = true;
    by_category[static_cast<std::size_t>(p.category)].push_back(i);
  }

  SectionAccumulator overall;
  for (std::size_t c = 0; c < categories.size(); ++c) {
    SectionAccumulator acc;
    run_category(pairs, by_category[c], user_names, categories[c], options, first_day, acc, overall,
                 counts);
    BacktestSection section = acc.section();
    if (section.n > 0) report.categories.emplace_back(categories[c].slug, std::move(section));
  }
  report.overall = overall.section();
  return report;
}

std::string format_table(const BacktestReport& report) {
  const auto& c = report.counts;
  std::string out;
  out += fmt::format(
      "Walk-forward backtest: {} predictions, {} of {} pairs with >= {} purchase "
      "days.\n",
      c.predictions, c.pairs_evaluated, c.pairs, report.options.min_purchase_days);
  out += fmt::format(
      "Reminder = predicted day - lead days; hit = next purchase within {} days of "
      "it.\n",
      report.options.window_days);
  out += fmt::format(
      "Input: {} lines; ignored {} unknown category, {} bad amount, {} bad time, "
      "{} future;\n",
      c.events, c.unknown_category, c.bad_amount, c.bad_time, c.future);
  out += fmt::format("       {} out of order (sorted), {} merged into same-day purchases.\n\n",
                     c.out_of_order, c.same_day);
  out += fmt::format("{:<24}{:>6}{:>7}{:>7}{:>7}{:>7}{:>7}{:>7}{:>7}{:>7}\n", "section / method",
                     "n", "MAE", "medAE", "<=3d", "<=7d", "cover", "hit", "late", "early");
  table_rows(out, "overall", report.overall);
  std::vector<const std::pair<std::string, BacktestSection>*> order;
  for (const auto& cat : report.categories) order.push_back(&cat);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->second.n > b->second.n; });
  for (const auto* cat : order) table_rows(out, cat->first, cat->second);
  return out;
}

std::string format_json(const BacktestReport& report, int indent) {
  nlohmann::ordered_json j;
  j["overall"] = section_json(report.overall);
  nlohmann::ordered_json cats = nlohmann::ordered_json::object();
  for (const auto& [slug, section] : report.categories) cats[slug] = section_json(section);
  j["categories"] = std::move(cats);
  return j.dump(indent);
}

}  // namespace replenish::model
