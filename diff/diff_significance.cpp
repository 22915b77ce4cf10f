#include "diff/diff_significance.h"

#include <algorithm>
#include <cmath>

namespace kiln::diff {
namespace {

// Two-sided tail probability of a standard normal beyond |z|.
double two_sided_normal_tail(double z) {
  return std::erfc(std::fabs(z) / std::sqrt(2.0));
}

}  // namespace

std::optional<double> two_proportion_p_value(double hits_before, double n_before, double hits_after,
                                             double n_after) {
  if (n_before <= 0 || n_after <= 0) return std::nullopt;
  const double pooled = (hits_before + hits_after) / (n_before + n_after);
  for (double n : {n_before, n_after}) {
    if (n * pooled < kMinExpectedCount || n * (1 - pooled) < kMinExpectedCount) {
      return std::nullopt;
    }
  }
  const double inverse_sizes = 1 / n_before + 1 / n_after;
  const double difference = std::fabs(hits_after / n_after - hits_before / n_before);
  const double corrected = std::max(0.0, difference - 0.5 * inverse_sizes);
  const double z = corrected / std::sqrt(pooled * (1 - pooled) * inverse_sizes);
  return two_sided_normal_tail(z);
}

std::optional<double> poisson_rate_p_value(double before, double after) {
  const double sum = before + after;
  if (sum / 2 < kMinExpectedCount) return std::nullopt;
  const double corrected = std::max(0.0, std::fabs(after - sum / 2) - 0.5);
  return two_sided_normal_tail(corrected / std::sqrt(sum / 4));
}

}  // namespace kiln::diff
