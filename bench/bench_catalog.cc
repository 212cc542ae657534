// bench_catalog: the catalog's blueprints through RunBacktest on 1,000,000 synthetic bars each
// (the data spec of their operation with `bars: 1000000`, generated once outside the timed loop;
// each iteration is one whole backtest including Bind, i.e. every context column).
//  - BM_IctSmcBlueprint: config/strategies/ict_smc.yaml (market structure, FVG after a break of
//    structure, limit entries in the gap, order-block stops, liquidity targets, fixed-risk
//    sizing, drawdown monitor). Target: >= 2 million bars/s on one core (items_per_second).
//  - BM_IctSmcWarmContext: the same job on a runner whose column cache (engine/column_cache.h)
//    already holds its context phase, as every job after the first of a grid over opportunity,
//    planning or threat parameters finds it: market structure, ATR and volume average are not
//    computed again. The result is checked equal to the cold run's before timing.
//  - BM_MultiStrategyBlueprint, BM_SmartDcaBlueprint: the other two base operations, for
//    reference.
//
// Run from the project root: build/bench/bench_catalog
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "bench/backtest_fixture.h"
#include "engine/operation.h"

namespace s1mple::engine {
namespace {

void RunBlueprint(benchmark::State& state, const std::string& operation) {
  const auto& f = bench::LoadBacktestFixture(operation, state.range(0), "bench_catalog");
  int64_t trades = 0;
  for (auto _ : state) {
    auto r = RunBacktest(f.link, *f.bars);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    trades = r->metrics.total_trades;
    benchmark::DoNotOptimize(r->metrics.total_return);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.bars->size()));
  state.counters["trades"] = static_cast<double>(trades);
}

void BM_IctSmcBlueprint(benchmark::State& state) {
  RunBlueprint(state, "config/operations/ict_smc_backtest.yaml");
}
void BM_IctSmcWarmContext(benchmark::State& state) {
  const auto& f = bench::LoadBacktestFixture("config/operations/ict_smc_backtest.yaml",
                                             state.range(0), "bench_catalog");
  ColumnCache cache(size_t{1} << 30);
  RunOptions options;
  options.column_cache = &cache;
  options.column_cache_key = "bench_catalog|ict_smc|";
  auto cold = RunBacktest(f.link, *f.bars);
  auto first = RunBacktest(f.link, *f.bars, options);  // fills the cache
  if (!cold.ok() || !first.ok()) {
    state.SkipWithError("the ict_smc backtest failed");
    return;
  }
  int64_t trades = 0;
  for (auto _ : state) {
    auto r = RunBacktest(f.link, *f.bars, options);
    if (!r.ok() || r->metrics.total_return != cold->metrics.total_return ||
        r->trades.size() != cold->trades.size()) {
      state.SkipWithError("a warm run differs from the cold run");
      return;
    }
    trades = r->metrics.total_trades;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.bars->size()));
  state.counters["trades"] = static_cast<double>(trades);
  state.counters["cache_hits"] = static_cast<double>(cache.stats().hits);
}
void BM_MultiStrategyBlueprint(benchmark::State& state) {
  RunBlueprint(state, "config/operations/multi_strategy_backtest.yaml");
}
void BM_SmartDcaBlueprint(benchmark::State& state) {
  RunBlueprint(state, "config/operations/smart_dca.yaml");
}
BENCHMARK(BM_IctSmcBlueprint)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IctSmcWarmContext)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MultiStrategyBlueprint)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SmartDcaBlueprint)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace s1mple::engine

BENCHMARK_MAIN();
