// The significance tests behind `kiln diff`: is a function's change larger than sampling noise?
// Each sample is a Bernoulli trial "is the function on the stack (or at its top)?", so the
// function's count in a profile of n samples is binomial. README.md (section diff) explains the
// method, its assumptions and why each guard below exists.
#pragma once

#include <optional>

namespace kiln::diff {

// Below this many expected samples in any cell of the 2x2 table the normal approximation is not
// trusted and no p-value is given (Cochran's rule for the chi-square / z test).
inline constexpr double kMinExpectedCount = 5;

// Two-sided p-value of the two-proportion z-test (pooled variance, Yates continuity correction)
// that `hits_before / n_before` and `hits_after / n_after` estimate the same proportion;
// nullopt when the test is not valid for these counts.
std::optional<double> two_proportion_p_value(double hits_before, double n_before, double hits_after,
                                             double n_after);

// Two-sided p-value that two Poisson counts observed over the same exposure have the same rate
// (conditional test: given the sum s, `after` is Binomial(s, 1/2); normal approximation with
// continuity correction); nullopt when s / 2 < kMinExpectedCount.
std::optional<double> poisson_rate_p_value(double before, double after);

}  // namespace kiln::diff
