#include "stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "stats/overfitting.h"

namespace s1mple::stats {

double SplitMix64::Normal() {
  double u = Uniform();
  while (u <= 0) u = Uniform();
  const double v = Uniform();
  return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
}

namespace {
double Sharpe(std::span<const double> r) {
  Moments m;
  for (double x : r) m.Add(x);
  return m.Sharpe();
}
// The q-quantile of sorted values (linear between order statistics, as numpy's default).
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (pos - static_cast<double>(i)) * (sorted[i + 1] - sorted[i]);
}
}  // namespace

std::optional<SharpeDifference> TestSharpeDifference(std::span<const double> a,
                                                     std::span<const double> b,
                                                     const BootstrapOptions& o) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 8 || o.resamples < 1) return std::nullopt;
  a = a.first(n);
  b = b.first(n);
  SharpeDifference out;
  const double sa = Sharpe(a), sb = Sharpe(b);
  if (!std::isfinite(sa) || !std::isfinite(sb)) return std::nullopt;
  out.difference = sa - sb;
  out.observations = static_cast<int64_t>(n);
  out.resamples = o.resamples;
  out.confidence = o.confidence;
  out.block_length = o.block_length
                         ? std::min(o.block_length, n)
                         : static_cast<size_t>(std::ceil(std::cbrt(static_cast<double>(n))));
  const size_t len = out.block_length;
  SplitMix64 rng(o.seed);
  std::vector<double> diffs;
  diffs.reserve(static_cast<size_t>(o.resamples));
  for (int k = 0; k < o.resamples; ++k) {
    Moments ma, mb;
    size_t taken = 0;
    while (taken < n) {
      size_t i = static_cast<size_t>(rng.Below(n));
      for (size_t j = 0; j < len && taken < n; ++j, ++taken) {
        ma.Add(a[i]);
        mb.Add(b[i]);
        if (++i == n) i = 0;  // circular: a block runs on past the end to the start
      }
    }
    const double d = ma.Sharpe() - mb.Sharpe();
    if (std::isfinite(d)) diffs.push_back(d);
  }
  if (diffs.empty()) return std::nullopt;
  size_t extreme = 0;
  for (double d : diffs) extreme += std::fabs(d - out.difference) >= std::fabs(out.difference);
  out.p_value = static_cast<double>(1 + extreme) / static_cast<double>(diffs.size() + 1);
  std::sort(diffs.begin(), diffs.end());
  const double alpha = 1 - o.confidence;
  out.ci_low = Quantile(diffs, alpha / 2);
  out.ci_high = Quantile(diffs, 1 - alpha / 2);
  return out;
}

std::vector<double> HolmAdjust(std::span<const double> p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<double> out(m);
  double running = 0;
  for (size_t j = 0; j < m; ++j) {
    const double v = std::min(1.0, static_cast<double>(m - j) * p[order[j]]);
    running = std::max(running, v);
    out[order[j]] = running;
  }
  return out;
}

}  // namespace s1mple::stats
