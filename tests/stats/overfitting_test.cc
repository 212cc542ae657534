// The deflated Sharpe ratio and CSCV's probability of backtest overfitting against known
// answers: closed forms computed by hand (and the numerical example of Bailey & López de Prado
// 2014), pure noise (PBO near 0.5), a planted edge (PBO near 0), and a brute-force CSCV over the
// full return matrix.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "stats/bootstrap.h"
#include "stats/normal.h"
#include "stats/overfitting.h"

namespace s1mple::stats {
namespace {

TEST(Normal, CdfAndQuantileAgreeWithReferenceValues) {
  // Python's statistics.NormalDist (stdlib): cdf(1.96), inv_cdf(0.975), inv_cdf(1e-10).
  EXPECT_NEAR(NormalCdf(1.96), 0.9750021048517796, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.975), 1.9599639845400536, 1e-12);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-10);
  for (double p : {1e-12, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9})
    EXPECT_NEAR(NormalCdf(NormalQuantile(p)), p, 1e-14 + 1e-12 * p) << p;
  EXPECT_TRUE(std::isinf(NormalQuantile(0)));
  EXPECT_TRUE(std::isnan(NormalQuantile(1.5)));
}

TEST(Moments, SkewnessAndKurtosisOfASmallSeriesByHand) {
  // r = {1, 2, 3, 10}: mean 4, central deviations -3 -2 -1 6; m2 = 50/4 = 12.5,
  // m3 = (-27 - 8 - 1 + 216)/4 = 45, m4 = (81 + 16 + 1 + 1296)/4 = 348.5.
  Moments m;
  for (double r : {1.0, 2.0, 3.0, 10.0}) m.Add(r);
  EXPECT_DOUBLE_EQ(m.Mean(), 4.0);
  EXPECT_NEAR(m.Variance(), 50.0 / 3, 1e-12);
  EXPECT_NEAR(m.Sharpe(), 4.0 / std::sqrt(50.0 / 3), 1e-12);
  EXPECT_NEAR(m.Skewness(), 45 / std::pow(12.5, 1.5), 1e-12);
  EXPECT_NEAR(m.Kurtosis(), 348.5 / (12.5 * 12.5), 1e-12);
}

TEST(DeflatedSharpe, MatchesTheClosedFormOnAHandComputedCase) {
  // SR = 0.1 per day, T = 1000, skew -0.5, kurtosis 5, V = 0.0004, N = 100:
  //   SR0 = 0.02 ((1 - g) Phi^-1(0.99) + g Phi^-1(1 - 1/(100 e)))
  //       = 0.02 (0.4227843 x 2.3263479 + 0.5772157 x 2.6798960) = 0.0506121
  //   z = (0.1 - 0.0506121) sqrt(999) / sqrt(1 + 0.05 + 1 x 0.01) = 1.5161799
  //   DSR = Phi(1.5161799) = 0.9352631
  DeflatedSharpeInputs in;
  in.sharpe = 0.1;
  in.observations = 1000;
  in.skewness = -0.5;
  in.kurtosis = 5;
  in.sharpe_variance = 0.0004;
  in.trials = 100;
  auto d = ComputeDeflatedSharpe(in);
  ASSERT_TRUE(d);
  EXPECT_NEAR(d->sr0, 0.050612057864033694, 1e-12);
  EXPECT_NEAR(d->z, 1.5161799252257862, 1e-10);
  EXPECT_NEAR(d->dsr, 0.9352630686397334, 1e-10);
}

TEST(DeflatedSharpe, ReproducesThePapersNumericalExample) {
  // Bailey & López de Prado (2014), section 5: an annualized Sharpe ratio of 2.5 over five years
  // of daily returns (T = 1250, 250 a year) after N = 100 trials whose annualized Sharpe ratios
  // vary by 0.5, skewness -3 and kurtosis 10 give SR0 = 0.1132 per day and DSR = 0.9004.
  DeflatedSharpeInputs in;
  in.sharpe = 2.5 / std::sqrt(250.0);
  in.observations = 1250;
  in.skewness = -3;
  in.kurtosis = 10;
  in.sharpe_variance = 0.5 / 250;
  in.trials = 100;
  auto d = ComputeDeflatedSharpe(in);
  ASSERT_TRUE(d);
  EXPECT_NEAR(d->sr0, 0.1132, 5e-5);
  EXPECT_NEAR(d->dsr, 0.9004, 5e-5);
}

TEST(DeflatedSharpe, OneTrialIsTheProbabilisticSharpeRatioAgainstZero) {
  DeflatedSharpeInputs in;
  in.sharpe = 0.05;
  in.observations = 500;
  in.trials = 1;
  in.sharpe_variance = 0.01;
  auto d = ComputeDeflatedSharpe(in);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->sr0, 0);
  EXPECT_NEAR(d->dsr, NormalCdf(0.05 * std::sqrt(499.0) / std::sqrt(1 + 0.5 * 0.0025)), 1e-14);
  in.observations = 1;
  EXPECT_FALSE(ComputeDeflatedSharpe(in));
}

// T x N returns: N(0, 0.01) noise, plus `edge` x 0.01 per day for the first `with_edge`
// configurations.
std::vector<std::vector<double>> Matrix(size_t n, int64_t t, uint64_t seed, size_t with_edge = 0,
                                        double edge = 0) {
  SplitMix64 rng(seed);
  std::vector<std::vector<double>> m(n, std::vector<double>(static_cast<size_t>(t)));
  for (size_t c = 0; c < n; ++c)
    for (auto& r : m[c]) r = 0.01 * rng.Normal() + (c < with_edge ? edge * 0.01 : 0.0);
  return m;
}

BlockSums Sums(const std::vector<std::vector<double>>& m, size_t blocks) {
  BlockSums s(blocks, static_cast<int64_t>(m.front().size()));
  for (const auto& r : m) s.Add(r);
  return s;
}

TEST(Pbo, PureNoiseGivesAboutOneHalf) {
  // Selecting the in-sample best among configurations without skill lands anywhere out of
  // sample: PBO is 0.5 in expectation (a single matrix varies by about 0.1 around it).
  double total = 0, loss = 0, slope = 0;
  const int matrices = 12;
  for (int k = 0; k < matrices; ++k) {
    auto pbo = ComputePbo(Sums(Matrix(60, 800, 100 + k), 16));
    ASSERT_TRUE(pbo);
    EXPECT_EQ(pbo->splits, 12870u);
    total += pbo->pbo;
    loss += pbo->probability_of_oos_loss;
    slope += pbo->degradation_slope;
  }
  EXPECT_NEAR(total / matrices, 0.5, 0.08);
  EXPECT_NEAR(loss / matrices, 0.5, 0.1);  // no edge: the OOS Sharpe is as often below 0 as above
  EXPECT_LT(slope / matrices, 0.3);        // IS performance says little about OOS
}

TEST(Pbo, APlantedEdgeGivesAboutZero) {
  // 10 of 100 configurations earn 0.15 standard deviations a day (an annualized Sharpe near
  // 2.4): the in-sample best is one of them and stays in the top OOS.
  auto pbo = ComputePbo(Sums(Matrix(100, 1000, 7, 10, 0.15), 16));
  ASSERT_TRUE(pbo);
  EXPECT_LT(pbo->pbo, 0.02);
  EXPECT_LT(pbo->probability_of_oos_loss, 0.01);
  EXPECT_GT(pbo->mean_oos_sharpe, 0.08);
  EXPECT_GT(pbo->median_logit, 1.0);
}

// CSCV straight from the paper on the full matrix: every split, the halves' rows concatenated,
// Sharpe ratios computed from the returns themselves.
double BruteForcePbo(const std::vector<std::vector<double>>& m, size_t S, double* loss) {
  const size_t N = m.size();
  const int64_t T = static_cast<int64_t>(m[0].size());
  BlockSums layout(S, T);
  size_t splits = 0, overfit = 0, losses = 0;
  for (uint32_t mask = 0; mask < (1u << S); ++mask) {
    if (static_cast<size_t>(__builtin_popcount(mask)) != S / 2) continue;
    ++splits;
    std::vector<double> is(N), oos(N);
    for (size_t c = 0; c < N; ++c) {
      Moments a, b;
      for (int64_t t = 0; t < T; ++t)
        ((mask >> layout.BlockOf(t)) & 1 ? a : b).Add(m[c][static_cast<size_t>(t)]);
      is[c] = a.Sharpe();
      oos[c] = b.Sharpe();
    }
    const size_t best = static_cast<size_t>(std::max_element(is.begin(), is.end()) - is.begin());
    double rank = 1;
    for (size_t c = 0; c < N; ++c)
      if (c != best) rank += oos[c] < oos[best] ? 1 : oos[c] == oos[best] ? 0.5 : 0;
    const double w = rank / static_cast<double>(N + 1);
    overfit += std::log(w / (1 - w)) <= 0;
    losses += oos[best] < 0;
  }
  *loss = static_cast<double>(losses) / static_cast<double>(splits);
  return static_cast<double>(overfit) / static_cast<double>(splits);
}

TEST(Pbo, BlockSumsGiveWhatTheFullMatrixGives) {
  for (uint64_t seed : {1, 2, 3}) {
    auto m = Matrix(25, 203, seed, 3, 0.05);  // 203 days: blocks of 25 and 26 days
    double loss = 0;
    const double expected = BruteForcePbo(m, 8, &loss);
    auto pbo = ComputePbo(Sums(m, 8));
    ASSERT_TRUE(pbo);
    EXPECT_EQ(pbo->splits, 70u);
    EXPECT_DOUBLE_EQ(pbo->pbo, expected) << seed;
    EXPECT_DOUBLE_EQ(pbo->probability_of_oos_loss, loss) << seed;
  }
}

TEST(Pbo, RefusesWhatItCannotSplit) {
  std::string why;
  BlockSums one(16, 500);
  one.Add(std::vector<double>(500, 0.001));
  EXPECT_FALSE(ComputePbo(one, &why));
  EXPECT_NE(why.find("fewer than 2 configurations"), std::string::npos) << why;
  auto m = Matrix(5, 20, 1);
  EXPECT_FALSE(ComputePbo(Sums(m, 16), &why));
  EXPECT_NE(why.find("fewer than 2 days in a block"), std::string::npos) << why;
}

TEST(BlockSums, BlocksAreContiguousAndCoverEveryDay) {
  BlockSums s(16, 2500);
  int64_t total = 0;
  for (size_t b = 0; b < 16; ++b) {
    EXPECT_GE(s.block_days(b), 156);
    EXPECT_LE(s.block_days(b), 157);
    total += s.block_days(b);
  }
  EXPECT_EQ(total, 2500);
  for (int64_t t = 1; t < 2500; ++t) EXPECT_LE(s.BlockOf(t - 1), s.BlockOf(t));
  EXPECT_EQ(s.BlockOf(0), 0u);
  EXPECT_EQ(s.BlockOf(2499), 15u);
}

// scipy (python3-scipy), where installed: skewness, kurtosis, the normal quantile and the DSR of
// a generated series as scipy computes them.
TEST(DeflatedSharpe, AgreesWithScipy) {
  if (std::system("/usr/bin/python3 -c 'import scipy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-scipy is not installed";
  SplitMix64 rng(42);
  std::vector<double> r(1500);
  for (auto& x : r) {
    const double z = rng.Normal();
    x = 0.0005 + 0.01 * (z + 0.3 * (z * z - 1));  // skewed, fat-tailed
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("s1mple-scipy-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "r.txt");
    f.precision(17);
    for (double x : r) f << x << "\n";
  }
  const std::string script =
      "import numpy as np, scipy.stats as st\n"
      "r = np.loadtxt('" +
      (dir / "r.txt").string() +
      "')\n"
      "sr = r.mean() / r.std(ddof=1); g3 = st.skew(r); g4 = st.kurtosis(r, fisher=False)\n"
      "V, N, g = 0.0003, 250, 0.5772156649015329\n"
      "sr0 = np.sqrt(V) * ((1 - g) * st.norm.ppf(1 - 1 / N) + g * st.norm.ppf(1 - 1 / (N * "
      "np.e)))\n"
      "z = (sr - sr0) * np.sqrt(len(r) - 1) / np.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr ** 2)\n"
      "print(repr(sr), repr(g3), repr(g4), repr(sr0), repr(st.norm.cdf(z)))\n";
  {
    std::ofstream f(dir / "dsr.py");
    f << script;
  }
  const std::string cmd =
      "/usr/bin/python3 " + (dir / "dsr.py").string() + " > " + (dir / "out.txt").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream out(dir / "out.txt");
  double sr, g3, g4, sr0, dsr;
  ASSERT_TRUE(out >> sr >> g3 >> g4 >> sr0 >> dsr);
  Moments m;
  for (double x : r) m.Add(x);
  EXPECT_NEAR(m.Sharpe(), sr, 1e-12);
  EXPECT_NEAR(m.Skewness(), g3, 1e-9);
  EXPECT_NEAR(m.Kurtosis(), g4, 1e-9);
  DeflatedSharpeInputs in{m.Sharpe(), 1500, m.Skewness(), m.Kurtosis(), 0.0003, 250};
  auto d = ComputeDeflatedSharpe(in);
  ASSERT_TRUE(d);
  EXPECT_NEAR(d->sr0, sr0, 1e-12);
  EXPECT_NEAR(d->dsr, dsr, 1e-9);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::stats
