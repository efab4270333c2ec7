#include "model/robust.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <utility>

namespace replenish::model {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

double weighted_median(const std::vector<double>& values, const std::vector<double>& weights) {
  const std::size_t n = std::min(values.size(), weights.size());
  if (n == 0) return 0;
  if (n == 1) return values[0];
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += weights[i];
  const double half = total / 2;
  const double tolerance = 1e-12 * total;
  double cumulative = 0;
  for (std::size_t k = 0; k < n; ++k) {
    cumulative += weights[order[k]];
    if (cumulative >= half - tolerance) {
      if (std::abs(cumulative - half) <= tolerance && k + 1 < n) {
        return (values[order[k]] + values[order[k + 1]]) / 2;
      }
      return values[order[k]];
    }
  }
  return values[order[n - 1]];
}

double central_quantile(double level, double dof) {
  thread_local std::pair<double, double> cached_key{-1, -1};
  thread_local double cached_value = 0;
  if (cached_key.first == level && cached_key.second == dof) return cached_value;
  const double clamped = std::clamp(level, 0.01, 0.999);
  const double p = 0.5 + clamped / 2;
  double z = 0;
  if (dof > 0 && dof < 1e6) {
    z = boost::math::quantile(boost::math::students_t_distribution<double>(dof), p);
  } else {
    z = boost::math::quantile(boost::math::normal_distribution<double>(), p);
  }
  cached_key = {level, dof};
  cached_value = z;
  return z;
}

}  // namespace replenish::model
