// Tests of a difference of Sharpe ratios between two return series over the same days, by a
// circular block bootstrap (Politis & Romano, "A circular block-resampling procedure for
// stationary data", 1992), and Holm's step-down adjustment of p-values across several such
// tests (Holm, "A simple sequentially rejective multiple test procedure", 1979). Seeded:
// the same inputs and seed give the same numbers on every machine. docs/STATISTICS.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace s1mple::stats {

struct BootstrapOptions {
  int resamples = 2000;
  size_t block_length = 0;  // 0: ceil(T^(1/3)), the rate that is optimal for the variance
  double confidence = 0.95;
  uint64_t seed = 18;
};

struct SharpeDifference {
  double difference = 0;           // Sharpe(a) - Sharpe(b), per observation (ddof 1)
  double ci_low = 0, ci_high = 0;  // percentile interval of the bootstrap differences
  // Two-sided p-value of "no difference": (1 + #{|d* - d| >= |d|}) / (B + 1), d* the bootstrap
  // differences (centred on d, they estimate the distribution under the null).
  double p_value = 1;
  size_t block_length = 0;
  int resamples = 0;
  int64_t observations = 0;
  double confidence = 0;
};

// a and b are paired (the same days, equal length); every resample draws the same days from
// both, so their correlation is kept. nullopt when fewer than 8 days or a Sharpe ratio of the
// full series is undefined.
std::optional<SharpeDifference> TestSharpeDifference(std::span<const double> a,
                                                     std::span<const double> b,
                                                     const BootstrapOptions& options = {});

// Holm-adjusted p-values, in the order given: with p sorted ascending, adjusted p_(i) =
// max over j <= i of min(1, (m - j + 1) p_(j)).
std::vector<double> HolmAdjust(std::span<const double> p);

// SplitMix64 (Steele, Lea & Flood 2014): a small generator whose sequence is fixed by its seed on
// every platform (std:: distributions are not).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n < 2^32; bias below n / 2^32).
  uint64_t Below(uint64_t n) { return ((Next() >> 32) * n) >> 32; }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; for simulations in tests and benchmarks).
  double Normal();

 private:
  uint64_t state_;
};

}  // namespace s1mple::stats
