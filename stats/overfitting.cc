#include "stats/overfitting.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "stats/normal.h"

namespace s1mple::stats {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Sharpe ratio (ddof 1) of n returns with sum s and sum of squares q.
double SharpeOf(double s, double q, double n) {
  if (n < 2) return kNaN;
  const double var = (q - s * s / n) / (n - 1);
  if (!(var > 0)) return kNaN;
  return s / n / std::sqrt(var);
}
}  // namespace

double Moments::Mean() const {
  return n > 0 ? s1 / static_cast<double>(n) : kNaN;
}

double Moments::Variance() const {
  if (n < 2) return kNaN;
  const double dn = static_cast<double>(n);
  return (s2 - s1 * s1 / dn) / (dn - 1);
}

double Moments::Sharpe() const {
  return SharpeOf(s1, s2, static_cast<double>(n));
}

double Moments::Skewness() const {
  if (n < 1) return kNaN;
  const double dn = static_cast<double>(n), m = s1 / dn;
  const double m2 = s2 / dn - m * m;
  const double m3 = s3 / dn - 3 * m * s2 / dn + 2 * m * m * m;
  if (!(m2 > 0)) return kNaN;
  return m3 / std::pow(m2, 1.5);
}

double Moments::Kurtosis() const {
  if (n < 1) return kNaN;
  const double dn = static_cast<double>(n), m = s1 / dn;
  const double m2 = s2 / dn - m * m;
  const double m4 = s4 / dn - 4 * m * s3 / dn + 6 * m * m * s2 / dn - 3 * m * m * m * m;
  if (!(m2 > 0)) return kNaN;
  return m4 / (m2 * m2);
}

double ExpectedMaxSharpe(double sharpe_variance, int64_t trials) {
  if (trials <= 1 || !(sharpe_variance > 0)) return 0;
  const double n = static_cast<double>(trials);
  return std::sqrt(sharpe_variance) * ((1 - kEulerGamma) * NormalQuantile(1 - 1 / n) +
                                       kEulerGamma * NormalQuantile(1 - 1 / (n * std::exp(1.0))));
}

std::optional<DeflatedSharpe> ComputeDeflatedSharpe(const DeflatedSharpeInputs& in) {
  if (in.observations < 2 || !std::isfinite(in.sharpe)) return std::nullopt;
  DeflatedSharpe out;
  out.sr0 = ExpectedMaxSharpe(in.sharpe_variance, in.trials);
  const double sr = in.sharpe;
  const double den = 1 - in.skewness * sr + (in.kurtosis - 1) / 4 * sr * sr;
  if (!(den > 0)) return std::nullopt;
  out.z = (sr - out.sr0) * std::sqrt(static_cast<double>(in.observations - 1)) / std::sqrt(den);
  out.dsr = NormalCdf(out.z);
  return out;
}

BlockSums::BlockSums(size_t blocks, int64_t days)
    : blocks_(blocks), days_(days), block_days_(blocks, 0) {
  for (int64_t t = 0; t < days; ++t) ++block_days_[BlockOf(t)];
}

size_t BlockSums::BlockOf(int64_t t) const {
  // The first b with (b + 1) T / S > t.
  const auto s = static_cast<int64_t>(blocks_);
  int64_t b = (t * s) / days_;
  while (b > 0 && b * days_ / s > t) --b;
  while ((b + 1) * days_ / s <= t) ++b;
  return static_cast<size_t>(b);
}

size_t BlockSums::Add(std::span<const double> returns) {
  std::vector<double> s(blocks_, 0.0), q(blocks_, 0.0);
  const int64_t n = std::min<int64_t>(days_, static_cast<int64_t>(returns.size()));
  size_t b = 0;
  for (int64_t t = 0; t < n; ++t) {
    while ((static_cast<int64_t>(b) + 1) * days_ / static_cast<int64_t>(blocks_) <= t) ++b;
    const double r =
        std::isfinite(returns[static_cast<size_t>(t)]) ? returns[static_cast<size_t>(t)] : 0.0;
    s[b] += r;
    q[b] += r * r;
  }
  return AddSums(s, q);
}

size_t BlockSums::AddSums(std::span<const double> sums, std::span<const double> squares) {
  sums_.insert(sums_.end(), sums.begin(), sums.begin() + static_cast<std::ptrdiff_t>(blocks_));
  squares_.insert(squares_.end(), squares.begin(),
                  squares.begin() + static_cast<std::ptrdiff_t>(blocks_));
  return configurations_++;
}

std::optional<Pbo> ComputePbo(const BlockSums& in, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Pbo> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  const size_t S = in.blocks(), N = in.configurations();
  if (S < 2 || S % 2 != 0 || S > 30) return fail("cscv_blocks must be even, 2 to 30");
  if (N < 2) return fail("fewer than 2 configurations with daily returns");
  for (size_t b = 0; b < S; ++b)
    if (in.block_days(b) < 2)
      return fail("fewer than 2 days in a block (too few days for cscv_blocks)");

  // Block-major copies (each half's sums are then a sum of S/2 contiguous arrays).
  std::vector<double> bs(S * N), bq(S * N), ts(N, 0.0), tq(N, 0.0);
  for (size_t c = 0; c < N; ++c)
    for (size_t b = 0; b < S; ++b) {
      bs[b * N + c] = in.sums()[c * S + b];
      bq[b * N + c] = in.squares()[c * S + b];
      ts[c] += in.sums()[c * S + b];
      tq[c] += in.squares()[c * S + b];
    }
  std::vector<double> sa(N), qa(N), key_a(N), key_b(N);
  // key = s|s| / (n q - s^2): the signed square of the Sharpe ratio up to a factor n / (n - 1)
  // that every configuration of a half shares, so it ranks as the Sharpe ratio does (no sqrt).
  auto key = [](double s, double q, double n) {
    const double den = n * q - s * s;
    return den > 0 ? s * std::fabs(s) / den : kNegInf;
  };

  Pbo out;
  out.blocks = S;
  out.configurations = N;
  out.observations = in.days();
  uint64_t overfit = 0, losses = 0, n_pairs = 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  std::vector<double> logits;
  const double dn = static_cast<double>(N);

  // One direction of a split: select on `is`, rank the selection on `oos`.
  auto evaluate = [&](const std::vector<double>& is, const std::vector<double>& oos, bool a_is_in,
                      double n_in, double n_out) {
    size_t best = 0;
    for (size_t c = 1; c < N; ++c)
      if (is[c] > is[best]) best = c;
    const double thr = oos[best];
    size_t less = 0, equal = 0;
    for (size_t c = 0; c < N; ++c) {
      less += oos[c] < thr;
      equal += oos[c] == thr;
    }
    const double rank = 1 + static_cast<double>(less) + 0.5 * static_cast<double>(equal - 1);
    const double w = rank / (dn + 1);
    const double lambda = std::log(w / (1 - w));
    logits.push_back(lambda);
    overfit += lambda <= 0;
    const double s_a = sa[best], q_a = qa[best];
    const double s_b = ts[best] - s_a, q_b = tq[best] - q_a;
    const double sr_in = a_is_in ? SharpeOf(s_a, q_a, n_in) : SharpeOf(s_b, q_b, n_in);
    const double sr_out = a_is_in ? SharpeOf(s_b, q_b, n_out) : SharpeOf(s_a, q_a, n_out);
    if (!(sr_out >= 0)) ++losses;  // an undefined OOS Sharpe (no variance) is no gain either
    if (std::isfinite(sr_in) && std::isfinite(sr_out)) {
      ++n_pairs;
      sx += sr_in;
      sy += sr_out;
      sxx += sr_in * sr_in;
      sxy += sr_in * sr_out;
    }
  };

  const uint32_t half = static_cast<uint32_t>(S / 2);
  for (uint32_t mask = 1; mask < (1u << S); mask += 2) {  // block 0 in half A: each split once
    if (static_cast<uint32_t>(std::popcount(mask)) != half) continue;
    bool first = true;
    double n_a = 0;
    for (size_t b = 0; b < S; ++b) {
      if (!(mask >> b & 1)) continue;
      n_a += static_cast<double>(in.block_days(b));
      const double* s = &bs[b * N];
      const double* q = &bq[b * N];
      if (first) {
        std::copy(s, s + N, sa.begin());
        std::copy(q, q + N, qa.begin());
        first = false;
      } else {
        for (size_t c = 0; c < N; ++c) sa[c] += s[c];
        for (size_t c = 0; c < N; ++c) qa[c] += q[c];
      }
    }
    const double n_b = static_cast<double>(in.days()) - n_a;
    for (size_t c = 0; c < N; ++c) {
      key_a[c] = key(sa[c], qa[c], n_a);
      key_b[c] = key(ts[c] - sa[c], tq[c] - qa[c], n_b);
    }
    evaluate(key_a, key_b, true, n_a, n_b);
    evaluate(key_b, key_a, false, n_b, n_a);
  }
  out.splits = logits.size();
  const double splits = static_cast<double>(out.splits);
  out.pbo = static_cast<double>(overfit) / splits;
  out.probability_of_oos_loss = static_cast<double>(losses) / splits;
  if (n_pairs > 0) {
    const double np = static_cast<double>(n_pairs);
    out.mean_is_sharpe = sx / np;
    out.mean_oos_sharpe = sy / np;
    const double vxx = sxx - sx * sx / np;
    out.degradation_slope = vxx > 0 ? (sxy - sx * sy / np) / vxx : kNaN;
    out.degradation_intercept =
        std::isfinite(out.degradation_slope) ? (sy - out.degradation_slope * sx) / np : kNaN;
  } else {
    out.mean_is_sharpe = out.mean_oos_sharpe = out.degradation_slope = out.degradation_intercept =
        kNaN;
  }
  std::sort(logits.begin(), logits.end());
  const size_t m = logits.size();
  out.median_logit = m % 2 ? logits[m / 2] : (logits[m / 2 - 1] + logits[m / 2]) / 2;
  return out;
}

}  // namespace s1mple::stats
