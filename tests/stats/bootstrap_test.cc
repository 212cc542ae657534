// The circular block bootstrap of a Sharpe difference: coverage at the stated rate on simulated
// pairs with a known true difference, determinism, and Holm's adjustment by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "stats/bootstrap.h"

namespace s1mple::stats {
namespace {

// Two correlated daily series with true Sharpe ratios mu_a / sd and mu_b / sd, AR(1) noise (so a
// plain i.i.d. bootstrap would be too narrow).
void Pair(SplitMix64& rng, size_t n, double mu_a, double mu_b, std::vector<double>& a,
          std::vector<double>& b) {
  a.resize(n);
  b.resize(n);
  double ea = 0, eb = 0;
  const double phi = 0.2, rho = 0.6, s = std::sqrt(1 - phi * phi);
  for (size_t t = 0; t < n; ++t) {
    const double z1 = rng.Normal(), z2 = rho * z1 + std::sqrt(1 - rho * rho) * rng.Normal();
    ea = phi * ea + s * z1;
    eb = phi * eb + s * z2;
    a[t] = 0.01 * (mu_a + ea);
    b[t] = 0.01 * (mu_b + eb);
  }
}

TEST(Bootstrap, ConfidenceIntervalCoversTheTrueDifferenceAtTheStatedRate) {
  // True Sharpe ratios 0.08 and 0.02 per day (the marginal sd of the AR(1) noise is 1): true
  // difference 0.06. 300 simulated pairs of 750 days; the 90 % interval should cover it in
  // about 270 (binomial sd 5.2).
  SplitMix64 rng(2024);
  BootstrapOptions o;
  o.resamples = 400;
  o.confidence = 0.90;
  int covered = 0;
  const int pairs = 300;
  std::vector<double> a, b;
  for (int k = 0; k < pairs; ++k) {
    Pair(rng, 750, 0.08, 0.02, a, b);
    o.seed = 1000 + static_cast<uint64_t>(k);
    auto d = TestSharpeDifference(a, b, o);
    ASSERT_TRUE(d);
    covered += d->ci_low <= 0.06 && 0.06 <= d->ci_high;
  }
  EXPECT_NEAR(static_cast<double>(covered) / pairs, 0.90, 0.05) << covered;
}

TEST(Bootstrap, SeededAndDeterministic) {
  SplitMix64 rng(5);
  std::vector<double> a, b;
  Pair(rng, 400, 0.1, 0.0, a, b);
  auto x = TestSharpeDifference(a, b), y = TestSharpeDifference(a, b);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(x->ci_low, y->ci_low);
  EXPECT_EQ(x->ci_high, y->ci_high);
  EXPECT_EQ(x->p_value, y->p_value);
  EXPECT_EQ(x->block_length, 8u);  // ceil(400^(1/3))
  BootstrapOptions other;
  other.seed = 19;
  auto z = TestSharpeDifference(a, b, other);
  ASSERT_TRUE(z);
  EXPECT_NE(z->ci_low, x->ci_low);
  EXPECT_EQ(z->difference, x->difference);
}

TEST(Bootstrap, PValueIsSmallForARealDifferenceAndLargeForNone) {
  SplitMix64 rng(9);
  std::vector<double> a, b;
  Pair(rng, 2000, 0.15, 0.0, a, b);
  auto real = TestSharpeDifference(a, b);
  ASSERT_TRUE(real);
  EXPECT_LT(real->p_value, 0.01);
  EXPECT_GT(real->ci_low, 0);
  auto none = TestSharpeDifference(a, a);
  EXPECT_FALSE(none && none->p_value < 0.5 && none->difference != 0);
  // Rejections under a true null: about 5 % of 200 simulated pairs at 0.05.
  int rejected = 0;
  BootstrapOptions o;
  o.resamples = 400;
  for (int k = 0; k < 200; ++k) {
    Pair(rng, 500, 0.05, 0.05, a, b);
    o.seed = static_cast<uint64_t>(k);
    auto d = TestSharpeDifference(a, b, o);
    ASSERT_TRUE(d);
    rejected += d->p_value < 0.05;
  }
  EXPECT_LE(rejected, 22);  // 10 expected, binomial sd 3.1
}

TEST(Holm, AdjustsByHand) {
  // Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max 0.06.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const auto adj = HolmAdjust(p);
  ASSERT_EQ(adj.size(), 4u);
  EXPECT_NEAR(adj[0], 0.03, 1e-15);
  EXPECT_NEAR(adj[1], 0.06, 1e-15);
  EXPECT_NEAR(adj[2], 0.06, 1e-15);
  EXPECT_NEAR(adj[3], 0.02, 1e-15);
  EXPECT_EQ(HolmAdjust(std::vector<double>{0.6, 0.7})[1], 1.0);
  EXPECT_TRUE(HolmAdjust({}).empty());
}

}  // namespace
}  // namespace s1mple::stats
