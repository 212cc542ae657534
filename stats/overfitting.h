// Overfitting statistics of a parameter sweep (docs/STATISTICS.md):
//  - the deflated Sharpe ratio of the selected configuration (Bailey & López de Prado, "The
//    Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest Overfitting and
//    Non-Normality", Journal of Portfolio Management 40(5), 2014);
//  - the probability of backtest overfitting by combinatorially symmetric cross-validation, with
//    the performance degradation and the probability of an out-of-sample loss (Bailey, Borwein,
//    López de Prado & Zhu, "The Probability of Backtest Overfitting", Journal of Computational
//    Finance 20(4), 2017).
// Sharpe ratios here are per observation (per day), not annualized: the formulas are written
// for them, and a ranking does not change with the scale. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace s1mple::stats {

// The power sums of one return series: mergeable, so a series can be summarized as it streams.
struct Moments {
  int64_t n = 0;
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;  // sums of r, r^2, r^3, r^4

  void Add(double r) {
    const double r2 = r * r;
    ++n;
    s1 += r;
    s2 += r2;
    s3 += r2 * r;
    s4 += r2 * r2;
  }
  double Mean() const;
  double Variance() const;  // sample variance (ddof = 1); NaN when n < 2
  // mean / sample standard deviation (METRICS.md's Sharpe before annualizing); NaN when n < 2
  // or the variance is not positive.
  double Sharpe() const;
  double Skewness() const;  // m3 / m2^1.5 (central moments over n); NaN when m2 = 0
  double Kurtosis() const;  // m4 / m2^2, not excess (3 for a normal); NaN when m2 = 0
};

// Euler-Mascheroni's constant, in E[max] of N standard normals.
inline constexpr double kEulerGamma = 0.5772156649015328606;

// SR0, the expected maximum of `trials` Sharpe ratios whose true value is 0 and whose estimates
// vary with `sharpe_variance` across the trials:
//   SR0 = sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e))),  g = kEulerGamma.
// 0 when trials <= 1 (nothing was selected).
double ExpectedMaxSharpe(double sharpe_variance, int64_t trials);

struct DeflatedSharpeInputs {
  double sharpe = 0;           // the selected configuration's Sharpe ratio, per observation
  int64_t observations = 0;    // T, its number of returns
  double skewness = 0;         // of its returns
  double kurtosis = 3;         // of its returns, not excess
  double sharpe_variance = 0;  // V, the variance of the Sharpe ratios across the trials
  int64_t trials = 1;          // N, every configuration tried (failed and rejected ones too)
};

struct DeflatedSharpe {
  double sr0 = 0;  // ExpectedMaxSharpe(V, N)
  double z = 0;    // (SR - SR0) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1) / 4 SR^2)
  double dsr = 0;  // Phi(z): the probability that the true Sharpe ratio exceeds SR0
};

// The deflated Sharpe ratio; nullopt when T < 2 or the denominator is not positive.
std::optional<DeflatedSharpe> ComputeDeflatedSharpe(const DeflatedSharpeInputs& in);

// The input of CSCV: the daily returns of N configurations over the same T days, kept as the sum
// of returns and of squared returns per (configuration, block) of S contiguous blocks of days
// (block b holds days [b T / S, (b + 1) T / S)). That is all the Sharpe ratio of any union of
// blocks needs; 10,000 configurations x 16 blocks take 2.5 MB where the full matrix of 2,500
// days takes 200 MB.
class BlockSums {
 public:
  BlockSums(size_t blocks, int64_t days);  // blocks even and >= 2
  // Adds one configuration (its returns over the T days, in order); returns its number.
  size_t Add(std::span<const double> returns);
  // Adds one configuration already summed (sums and squares: one per block).
  size_t AddSums(std::span<const double> sums, std::span<const double> squares);
  // The block that day t (0 <= t < T) belongs to.
  size_t BlockOf(int64_t t) const;

  size_t blocks() const { return blocks_; }
  int64_t days() const { return days_; }
  size_t configurations() const { return configurations_; }
  int64_t block_days(size_t b) const { return block_days_[b]; }
  // Configuration-major: [configuration * blocks + block].
  const std::vector<double>& sums() const { return sums_; }
  const std::vector<double>& squares() const { return squares_; }

 private:
  size_t blocks_;
  int64_t days_;
  size_t configurations_ = 0;
  std::vector<int64_t> block_days_;
  std::vector<double> sums_, squares_;
};

struct Pbo {
  double pbo = 0;       // the share of splits whose in-sample best ranks at or below the OOS median
  uint64_t splits = 0;  // C(S, S/2): every way to pick half of the blocks as in-sample
  size_t configurations = 0;
  size_t blocks = 0;
  int64_t observations = 0;  // T
  // Ordinary least squares of the selected configuration's OOS Sharpe on its IS Sharpe over the
  // splits (per observation): a slope well below 1 is the degradation selection brings.
  double degradation_slope = 0;
  double degradation_intercept = 0;
  double probability_of_oos_loss = 0;  // the share of splits whose selection has OOS Sharpe < 0
  double mean_is_sharpe = 0;           // of the selected configuration, over the splits
  double mean_oos_sharpe = 0;
  double median_logit = 0;  // of lambda = ln(w / (1 - w)), w the OOS relative rank
};

// CSCV over every split of the S blocks into two halves. For each split the configuration with
// the highest in-sample Sharpe ratio (the lower number on a tie) is ranked among all
// configurations by OOS Sharpe (rank 1 the worst; ties count half), w = rank / (N + 1),
// lambda = ln(w / (1 - w)); PBO is the share of splits with lambda <= 0. A configuration whose
// Sharpe ratio is undefined in a half (no variance) ranks below every defined one there.
// nullopt (with `why`) when N < 2 or a block has fewer than 2 days.
std::optional<Pbo> ComputePbo(const BlockSums& sums, std::string* why = nullptr);

}  // namespace s1mple::stats
