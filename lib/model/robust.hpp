// Small robust statistics used by the model: medians, weighted medians, MAD scale, and the
// central quantile of the predictive distribution.
#pragma once

#include <vector>

namespace replenish::model {

/// 1.4826 × MAD estimates the standard deviation of a normal sample.
constexpr double kMadToSigma = 1.4826;

/// Median; the mean of the two middle values for an even count. 0 for an empty input.
double median(std::vector<double> values);

/// Weighted median: the smallest value whose cumulative weight reaches half the total; when the
/// cumulative weight lands exactly on the half, the mean of that value and the next. Weights must
/// be >= 0 with a positive sum; `values` and `weights` have the same size. 0 for an empty input.
double weighted_median(const std::vector<double>& values, const std::vector<double>& weights);

/// Upper quantile z of a central interval with probability `level` (0 < level < 1): of a
/// Student t with `dof` degrees of freedom, or of the standard normal when dof <= 0 or large.
/// The last pair asked for is cached per thread, so repeated calls cost a comparison.
double central_quantile(double level, double dof);

}  // namespace replenish::model
