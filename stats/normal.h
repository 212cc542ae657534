// The standard normal distribution: its CDF and quantile function (docs/STATISTICS.md).
#pragma once

namespace s1mple::stats {

// Phi(x) = P[Z <= x] for Z ~ N(0, 1) (from std::erfc: accurate in both tails).
double NormalCdf(double x);
// Phi^-1(p) for 0 < p < 1 (Acklam's rational approximation, refined by one Halley step: relative
// error below 1e-13); -inf at 0, +inf at 1, NaN outside [0, 1].
double NormalQuantile(double p);

}  // namespace s1mple::stats
