// Constructed histories whose right answer is known.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "model/model.hpp"
#include "model/robust.hpp"

using namespace replenish;
using model::Params;
using model::Prior;

namespace {

constexpr core::EpochSeconds kDay = core::kSecondsPerDay;
// 2017-01-01T12:00:00Z: noon, so that every purchase sits well inside its UTC day.
constexpr core::EpochSeconds kStart = 1483272000;

/// Purchases on the given days after kStart (at noon), amount 1 unless given.
std::vector<core::Purchase> on_days(const std::vector<int>& days,
                                    const std::vector<double>& amounts = {}) {
  std::vector<core::Purchase> out;
  for (std::size_t i = 0; i < days.size(); ++i) {
    out.push_back({kStart + days[i] * kDay, amounts.empty() ? 1.0 : amounts[i]});
  }
  return out;
}

core::EpochSeconds day_at(int day) {
  return kStart + day * kDay;
}

std::int64_t day_number(int day) {
  return (kStart + day * kDay) / kDay;
}

/// Params without recency weighting, so that expected values are plain arithmetic.
Params flat() {
  Params p;
  p.half_life_days = 0;
  return p;
}

}  // namespace

TEST_CASE("model: robust helpers") {
  CHECK(model::median({}) == 0);
  CHECK(model::median({3, 1, 2}) == 2);
  CHECK(model::median({4, 1, 3, 2}) == 2.5);
  CHECK(model::weighted_median({1, 2, 3}, {1, 1, 1}) == 2);
  CHECK(model::weighted_median({1, 2, 3, 4}, {1, 1, 1, 1}) == 2.5);
  CHECK(model::weighted_median({1, 2, 3}, {1, 1, 5}) == 3);
  CHECK(model::central_quantile(0.8, 0) == doctest::Approx(1.2815516));
  CHECK(model::central_quantile(0.8, 4) == doctest::Approx(1.5332063));
  CHECK(model::central_quantile(0.9, 0) == doctest::Approx(1.6448536));
  CHECK(model::central_quantile(0.8, 4) == doctest::Approx(1.5332063));  // cached
}

TEST_CASE("model: regular cycle") {
  const Params params = flat();
  const auto purchases = on_days({0, 30, 60, 90, 120, 150});
  const auto e = model::estimate(purchases, model::default_prior(30, params), params, day_at(150));
  REQUIRE(e.valid);
  CHECK(e.prediction.intervals == 5);
  CHECK_FALSE(e.prediction.from_prior);
  CHECK(e.cycle_days == doctest::Approx(30));
  CHECK(e.next_day == day_number(180));
  CHECK(e.prediction.next_at == day_at(180));
  // Five equal intervals: the user's spread shrinks to 4 * 0.36 / (4 + 5 - 1) = 0.18; the
  // predictive variance adds 1 / (1 / 0.64 + 5 / 0.18).
  const double sd = std::sqrt(0.18 + 1 / (1 / 0.64 + 5 / 0.18));
  CHECK(e.sd == doctest::Approx(sd));
  const double z = model::central_quantile(0.8, 4);
  CHECK(e.lo_days == doctest::Approx(30 * std::exp(-z * sd)));
  CHECK(e.hi_days == doctest::Approx(30 * std::exp(z * sd)));
  CHECK(e.lo_day == day_number(150) + static_cast<std::int64_t>(std::ceil(e.lo_days)));
  CHECK(e.hi_day == day_number(150) + static_cast<std::int64_t>(std::floor(e.hi_days)));
  CHECK(e.shrink_weight == doctest::Approx((5 / 0.18) / (1 / 0.64 + 5 / 0.18)));
  for (const auto& iv : e.intervals) CHECK(iv.weight() == 1);

  // A prior centred on 20 days barely moves a user this regular.
  Prior twenty = model::default_prior(20, params);
  const auto e20 = model::estimate(purchases, twenty, params, day_at(150));
  const double w = e.shrink_weight;
  CHECK(e20.cycle_days == doctest::Approx(std::exp(w * std::log(30) + (1 - w) * std::log(20))));
  CHECK(e20.cycle_days > 29);
  CHECK(e20.next_day == day_number(179));

  // More regular history narrows the interval.
  const auto short_history =
      model::estimate(on_days({0, 30}), model::default_prior(30, params), params, day_at(30));
  CHECK(short_history.sd > e.sd);
}

TEST_CASE("model: quantity doubling stretches the next interval by 2^beta") {
  const Params params = flat();
  Prior prior = model::default_prior(20, params);
  prior.beta = 0.6;
  const auto e =
      model::estimate(on_days({0, 20, 40, 60, 80}, {1, 1, 1, 1, 2}), prior, params, day_at(80));
  // The usual amount is the geometric mean 2^(1/5); the history's y are log 20 + 0.6 log 2 / 5,
  // slightly above the prior's log 20, and the last purchase is 2^(4/5) times the usual one.
  const double r = e.shrink_weight;
  const double mu0 = r * (std::log(20) + 0.6 * std::log(2) / 5) + (1 - r) * std::log(20);
  CHECK(e.amount_factor == doctest::Approx(std::pow(2, 0.6 * 0.8)));
  CHECK(e.cycle_days == doctest::Approx(std::exp(mu0) * std::pow(2, 0.6 * 0.8)));
  CHECK(e.cycle_days == doctest::Approx(20 * std::pow(2, 0.6)).epsilon(0.02));
  CHECK(e.next_day == day_number(80 + 30));  // 20 x 2^0.6 = 30.3

  // Twice as much on every purchase changes nothing: amounts count relative to the user's usual.
  const auto twice =
      model::estimate(on_days({0, 20, 40, 60, 80}, {2, 2, 2, 2, 2}), prior, params, day_at(80));
  CHECK(twice.cycle_days == doctest::Approx(20));
}

TEST_CASE("model: a bigger pack counts as more amount") {
  using model::PackSize;
  using model::SizeUnit;
  const PackSize litre{1000, SizeUnit::kMillilitre};
  const PackSize two_litres{2000, SizeUnit::kMillilitre};
  const PackSize kilo{1000, SizeUnit::kGram};
  CHECK(model::line_amount(1, two_litres, litre) == 2);
  CHECK(model::line_amount(3, two_litres, litre) == 6);
  CHECK(model::line_amount(3, kilo, litre) == 3);  // another dimension: quantity alone
  CHECK(model::line_amount(3, std::nullopt, litre) == 3);
  CHECK(model::line_amount(3, two_litres, std::nullopt) == 3);
  const auto ref = model::reference_size({litre, two_litres, litre, kilo, {0, SizeUnit::kGram}});
  REQUIRE(ref.has_value());
  CHECK(ref->unit == SizeUnit::kMillilitre);
  CHECK(ref->value == 1000);
  CHECK_FALSE(model::reference_size({}).has_value());

  const Params params = flat();
  Prior prior = model::default_prior(20, params);
  prior.beta = 0.6;
  std::vector<double> amounts;
  for (int i = 0; i < 4; ++i) amounts.push_back(model::line_amount(1, litre, *ref));
  amounts.push_back(model::line_amount(1, two_litres, *ref));
  const auto e = model::estimate(on_days({0, 20, 40, 60, 80}, amounts), prior, params, day_at(80));
  CHECK(e.next_day == day_number(110));
}

TEST_CASE("model: one outlier gap does not stretch the cycle") {
  const Params params = flat();
  const auto e = model::estimate(on_days({0, 30, 60, 90, 210, 240, 270}),
                                 model::default_prior(30, params), params, day_at(270));
  REQUIRE(e.intervals.size() == 6);
  CHECK(e.intervals[3].days() == 120);
  // log(120 / 30) is 9.9 times the cut log(1.15): weight 0.10.
  CHECK(e.intervals[3].robust_weight == doctest::Approx(std::log(1.15) / std::log(4)));
  for (std::size_t i : {0, 1, 2, 4, 5}) CHECK(e.intervals[i].robust_weight == 1);
  // The plain mean would say 45 days, the geometric mean 37.8.
  CHECK(e.cycle_days > 30);
  CHECK(e.cycle_days < 31);
  CHECK(e.next_day == day_number(270 + 30));
}

TEST_CASE("model: a top-up soon after a purchase does not halve the cycle") {
  const Params params = flat();
  // Every 30 days, with a top-up 3 days after day 60.
  const auto e = model::estimate(on_days({0, 30, 60, 63, 90, 120, 150}),
                                 model::default_prior(30, params), params, day_at(150));
  REQUIRE(e.intervals.size() == 6);
  CHECK(e.intervals[2].days() == 3);
  CHECK(e.intervals[2].robust_weight < 0.35);
  // Counting purchases would give 150 / 6 = 25 days, the geometric mean 20.7.
  CHECK(e.cycle_days > 27.5);
  CHECK(e.cycle_days <= 30);
}

TEST_CASE("model: a trend is followed as fast as the recency half-life allows") {
  // Intervals lengthen from 10 to 24 days.
  const std::vector<int> days = {0, 10, 22, 36, 52, 70, 90, 112, 136};
  Params slow;  // default half-life of a year
  Params fast;
  fast.half_life_days = 30;
  const Prior prior = model::default_prior(17, slow);
  const auto a = model::estimate(on_days(days), prior, slow, day_at(136));
  const auto b = model::estimate(on_days(days), prior, fast, day_at(136));
  CHECK(a.cycle_days > 15);  // geometric mean of all eight intervals: 16.3
  CHECK(b.cycle_days > a.cycle_days + 2);
  CHECK(b.cycle_days < 24);
  CHECK(b.intervals.back().recency_weight == 1);
  CHECK(b.intervals.front().recency_weight == doctest::Approx(std::exp2(-126.0 / 30)));
}

TEST_CASE("model: one purchase only gives the prior") {
  const Params params;
  Prior prior = model::default_prior(25, params);
  const auto e = model::estimate(on_days({0}), prior, params, day_at(0));
  REQUIRE(e.valid);
  CHECK(e.prediction.from_prior);
  CHECK(e.prediction.intervals == 0);
  CHECK(e.cycle_days == doctest::Approx(25));
  CHECK(e.sd == doctest::Approx(std::sqrt(0.8 * 0.8 + 0.6 * 0.6)));
  CHECK(e.next_day == day_number(25));
  CHECK(e.shrink_weight == 0);
  const auto p = model::predict(on_days({0}), prior, params, day_at(0));
  CHECK(p.next_at == day_at(25));
  CHECK(p.cycle_days == doctest::Approx(25));
}

TEST_CASE("model: same-day lines are one purchase") {
  const core::TimeZone utc;
  // Two lines on day 0 (09:00 and 18:00), one on day 20.
  const core::EpochSeconds day0 = kStart - 3 * 3600;
  const auto purchases =
      model::to_purchases({{day0 + 9 * 3600, 1}, {kStart + 20 * kDay, 2}, {day0, 1.5}}, utc);
  REQUIRE(purchases.size() == 2);
  CHECK(purchases[0].at == day0);
  CHECK(purchases[0].amount == 2.5);
  CHECK(purchases[1].amount == 2);

  // The same split handed to predict() is merged and counted.
  const Params params = flat();
  const auto e = model::estimate({{day0, 1}, {day0 + 9 * 3600, 1.5}, {kStart + 20 * kDay, 2}},
                                 model::default_prior(20, params), params, day_at(20), utc);
  CHECK(e.issues.same_day == 1);
  CHECK(e.purchases == 2);
  CHECK(e.intervals.size() == 1);
  CHECK(e.intervals[0].amount == 2.5);

  // Local days follow the time zone: 23:00 and 01:00 UTC are one day in Shanghai (+8).
  const auto shanghai = core::TimeZone::locate("Asia/Shanghai");
  const core::EpochSeconds late = kStart + 11 * 3600;  // 23:00 UTC = 07:00 next day there
  const auto local = model::to_purchases({{late, 1}, {late + 2 * 3600, 1}}, shanghai);
  CHECK(local.size() == 1);
  CHECK(model::to_purchases({{late, 1}, {late + 2 * 3600, 1}}, utc).size() == 2);
}

TEST_CASE("model: zero, negative and non-finite amounts are ignored and counted") {
  const Params params = flat();
  const Prior prior = model::default_prior(30, params);
  const auto clean = model::estimate(on_days({0, 30, 60}), prior, params, day_at(60));
  auto dirty = on_days({0, 10, 30, 45, 60, 61}, {1, 0, 1, -3, 1, 1});
  dirty[5].amount = std::numeric_limits<double>::quiet_NaN();
  const auto e = model::estimate(dirty, prior, params, day_at(61));
  CHECK(e.issues.bad_amount == 3);
  CHECK(e.purchases == 3);
  CHECK(e.cycle_days == doctest::Approx(clean.cycle_days));

  int dropped = 0;
  const auto p = model::to_purchases({{kStart, 0}, {kStart, -1}, {kStart + kDay, 1}}, {}, &dropped);
  CHECK(dropped == 2);
  CHECK(p.size() == 1);

  // Nothing usable: an empty prediction, no crash.
  CHECK(model::predict(on_days({0, 5}, {0, -1}), prior, params, day_at(5)).next_at == 0);
  const auto none = model::estimate({}, prior, params, day_at(0));
  CHECK_FALSE(none.valid);
  CHECK_FALSE(model::explain(none).empty());

  // An absurd amount is capped: at most a factor e^(beta x 3).
  Prior with_beta = prior;
  with_beta.beta = 0.6;
  const auto huge =
      model::estimate(on_days({0, 30, 60}, {1, 1, 1e12}), with_beta, params, day_at(60));
  CHECK(std::isfinite(huge.cycle_days));
  CHECK(huge.amount_factor <= std::exp(0.6 * model::kMaxLogAmountRatio) + 1e-9);
}

TEST_CASE("model: out-of-order timestamps are sorted and counted") {
  const Params params;
  const Prior prior = model::default_prior(30, params);
  const auto sorted = on_days({0, 25, 55, 80, 110});
  auto shuffled = sorted;
  std::swap(shuffled[0], shuffled[3]);
  std::swap(shuffled[1], shuffled[4]);
  const auto a = model::estimate(sorted, prior, params, day_at(110));
  const auto b = model::estimate(shuffled, prior, params, day_at(110));
  CHECK(a.issues.out_of_order == 0);
  CHECK(b.issues.out_of_order >= 1);
  CHECK(a.next_day == b.next_day);
  CHECK(a.cycle_days == doctest::Approx(b.cycle_days));
  CHECK(a.lo_day == b.lo_day);
  CHECK(a.hi_day == b.hi_day);
}

TEST_CASE("model: purchases after now are ignored and counted") {
  const Params params;
  const Prior prior = model::default_prior(30, params);
  const auto past = model::estimate(on_days({0, 28, 60}), prior, params, day_at(70));
  const auto with_future =
      model::estimate(on_days({0, 28, 60, 75, 400}), prior, params, day_at(70));
  CHECK(with_future.issues.future == 2);
  CHECK(with_future.next_day == past.next_day);
  CHECK(with_future.last_day == day_number(60));
  // Times outside 1970..2100 are bad times, not purchases.
  const auto odd =
      model::estimate({{-5, 1}, {core::kMaxTime + 1, 1}, {day_at(0), 1}}, prior, params, day_at(0));
  CHECK(odd.issues.bad_time == 2);
  CHECK(odd.purchases == 1);
}

TEST_CASE("model: overdue and lapsed") {
  const Params params = flat();
  const Prior prior = model::default_prior(30, params);
  const auto purchases = on_days({0, 30, 60, 90});
  const auto due = model::estimate(purchases, prior, params, day_at(100));
  CHECK_FALSE(due.overdue);
  CHECK_FALSE(due.prediction.lapsed);
  const auto overdue = model::estimate(purchases, prior, params, day_at(125));
  CHECK(overdue.overdue);
  CHECK_FALSE(overdue.prediction.lapsed);
  // Lapsed once now > upper bound + lapse_cycles x cycle.
  const std::int64_t limit = overdue.hi_day + 30;
  const auto at_limit = model::estimate(purchases, prior, params, limit * kDay + 43200);
  CHECK_FALSE(at_limit.prediction.lapsed);
  const auto beyond = model::estimate(purchases, prior, params, (limit + 1) * kDay + 43200);
  CHECK(beyond.prediction.lapsed);
  Params patient = params;
  patient.lapse_cycles = 3;
  CHECK_FALSE(
      model::estimate(purchases, prior, patient, (limit + 1) * kDay + 43200).prediction.lapsed);
}

TEST_CASE("model: explanation in words") {
  const Params params = flat();
  Prior prior = model::default_prior(30, params);
  const auto e = model::estimate(on_days({0, 30, 60, 90, 210, 240}), prior, params, day_at(240));
  const auto lines = model::explain(e);
  REQUIRE(lines.size() >= 4);
  std::string all;
  for (const auto& l : lines) {
    CHECK(l.size() <= 100);
    all += l + "\n";
  }
  MESSAGE(all);
  CHECK(all.find("6 purchase days, last on 2017-08-29") != std::string::npos);
  CHECK(all.find("Intervals used: 30 d, 30 d, 30 d, 120 d weighted 0.10 (long gap), 30 d.") !=
        std::string::npos);
  CHECK(all.find("configured default 30.0 d") != std::string::npos);
  CHECK(all.find("next need 2017-09-") != std::string::npos);

  // The same facts as data, for pages in other languages.
  const auto j = model::explain_json(e);
  CHECK(j["valid"] == true);
  CHECK(j["purchases"] == 6);
  CHECK(j["last_day"] == "2017-08-29");
  REQUIRE(j["intervals"].size() == 5);
  CHECK(j["intervals_total"] == 5);
  CHECK(j["intervals"][3]["days"] == 120.0);
  CHECK(j["intervals"][3]["note"] == "long_gap");
  CHECK(j["intervals"][3]["weight"].get<double>() == doctest::Approx(0.10).epsilon(0.05));
  CHECK(j["intervals"][4]["note"] == "");
  CHECK(j["prior"]["source"] == "default");
  CHECK(j["prior"]["default_days"].get<double>() == doctest::Approx(30));
  CHECK(j["prior"]["learned_days"].is_null());
  CHECK(j["cycle_days"].get<double>() == doctest::Approx(e.cycle_days));
  CHECK(j["next_day"].get<std::string>().rfind("2017-09-", 0) == 0);
  CHECK(j["amount"].is_null());
  CHECK(j["repaired"].is_null());
  CHECK(j["lapsed"] == false);
  CHECK(model::explain_json(model::estimate({}, prior, params, day_at(0)))["valid"] == false);
}

TEST_CASE("model: extreme priors and parameters neither crash nor give NaN days") {
  const auto purchases = on_days({0, 30, 60, 400});
  Prior nan_prior;
  nan_prior.m = std::nan("");
  Params tiny_half_life;
  tiny_half_life.half_life_days = 1e-6;
  Params wild;
  wild.interval_level = 1.5;
  wild.tail_dof = 0.3;
  wild.long_gap_ratio = 0;
  wild.short_gap_ratio = -1;
  wild.user_spread_dof = 1e9;
  for (const auto& [prior, params] :
       {std::pair{nan_prior, Params{}}, std::pair{model::default_prior(30), tiny_half_life},
        std::pair{model::default_prior(1e9), wild},
        std::pair{model::default_prior(-5), Params{}}}) {
    const auto e = model::estimate(purchases, prior, params, day_at(400));
    REQUIRE(e.valid);
    CHECK(e.next_day > e.last_day);
    CHECK(e.lo_day <= e.next_day);
    CHECK(e.next_day <= e.hi_day);
    CHECK(e.hi_day - e.last_day <= static_cast<std::int64_t>(model::kMaxIntervalDays));
  }
  const auto p = model::default_prior(std::nan(""));
  CHECK(p.m == doctest::Approx(std::log(30)));
}
