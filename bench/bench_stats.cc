// The overfitting statistics of a large sweep (docs/STATISTICS.md, docs/BENCHMARKS.md):
//
//   build/bench/bench_stats --benchmark_filter=Pbo
//
// BM_Pbo: CSCV over every split of 16 blocks (12,870 splits) of N configurations x 2,500 days,
// from per-block sums (what a sweep keeps per run). BM_BlockSums: summing the daily returns of
// N runs into those blocks. BM_Bootstrap: one Sharpe-difference test of two 2,500-day series
// with 2,000 resamples. One thread.
#include <benchmark/benchmark.h>

#include <optional>
#include <vector>

#include "stats/bootstrap.h"
#include "stats/overfitting.h"

namespace {

using namespace s1mple::stats;

constexpr int64_t kDays = 2500;

std::vector<double> Series(SplitMix64& rng) {
  std::vector<double> r(kDays);
  for (auto& x : r) x = 0.01 * rng.Normal();
  return r;
}

BlockSums MakeSums(size_t n) {
  SplitMix64 rng(1);
  BlockSums s(16, kDays);
  for (size_t c = 0; c < n; ++c) s.Add(Series(rng));
  return s;
}

void BM_Pbo(benchmark::State& state) {
  const BlockSums sums = MakeSums(static_cast<size_t>(state.range(0)));
  std::optional<Pbo> r;
  for (auto _ : state) {
    r = ComputePbo(sums);
    benchmark::DoNotOptimize(r);
  }
  state.counters["pbo"] = benchmark::Counter(r ? r->pbo : -1.0);
  state.counters["splits"] = benchmark::Counter(r ? static_cast<double>(r->splits) : -1.0);
  state.counters["configurations"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_Pbo)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_BlockSums(benchmark::State& state) {
  SplitMix64 rng(2);
  const std::vector<double> r = Series(rng);
  for (auto _ : state) {
    BlockSums s(16, kDays);
    for (int64_t c = 0; c < state.range(0); ++c) s.Add(r);
    benchmark::DoNotOptimize(s.sums().data());
  }
}
BENCHMARK(BM_BlockSums)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_Bootstrap(benchmark::State& state) {
  SplitMix64 rng(3);
  const std::vector<double> a = Series(rng), b = Series(rng);
  for (auto _ : state) benchmark::DoNotOptimize(TestSharpeDifference(a, b));
}
BENCHMARK(BM_Bootstrap)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
