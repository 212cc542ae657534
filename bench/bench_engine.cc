// bench_engine: the engine's speed target (issue 3).
//  - BM_EmaCrossBlueprint/1000000: config/operations/ema_cross.yaml's link (EMA 12/26 crossover
//    via trend_follower, ema/atr/rsi context workers, max_drawdown_monitor, market entry, ATR
//    stops, fixed R:R target, fixed-risk sizing: all five operators, the event bus, ledger,
//    equity curve and metrics) through RunBacktest on 1,000,000 synthetic hourly bars
//    (generated once, outside the timed loop). One iteration = one whole backtest including
//    worker creation and Bind (every context column). Target: >= 10 million bars/s on one core
//    (items_per_second; Google Benchmark reports it per CPU-second).
//    Counters: trades, allocs_per_run (heap allocations of one run, counted by this program's
//    operator new) and allocs_per_kbar; a per-bar allocation would make allocs_per_kbar >= 1000.
//    BM_EmaCrossBlueprint/100000: the same on 100,000 bars.
//  - BM_EmaCrossTradingThroughout: the same blueprint with its drawdown guard off (it trips
//    after 56 trades on this data and then blocks every entry), so it trades through the whole
//    series (~20,700 trades): the heavier case.
//  - BM_ToJsonDownsampled: ToJson of that result with a 500-point equity curve (what a runner
//    sends back per job).
//
// Run from the project root: build/bench/bench_engine
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "bench/backtest_fixture.h"
#include "bench/count_allocations.h"
#include "engine/operation.h"

namespace s1mple::engine {
namespace {

const bench::BacktestFixture& Get(int64_t n) {
  return bench::LoadBacktestFixture("config/operations/ema_cross.yaml", n, "bench_engine");
}

// Times RunBacktest(link, bars) per iteration; counters: trades and heap allocations per run.
void TimeBacktests(benchmark::State& state, const StrategyLink& link, const BarSeries& bars) {
  int64_t trades = 0, allocs = 0;
  for (auto _ : state) {
    const int64_t before = bench::HeapAllocations();
    auto r = RunBacktest(link, bars);
    allocs = bench::HeapAllocations() - before;
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    trades = r->metrics.total_trades;
    benchmark::DoNotOptimize(r->metrics.total_return);
  }
  const auto n = static_cast<int64_t>(bars.size());
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["trades"] = static_cast<double>(trades);
  state.counters["allocs_per_run"] = static_cast<double>(allocs);
  state.counters["allocs_per_kbar"] = 1000.0 * static_cast<double>(allocs) / static_cast<double>(n);
}

void BM_EmaCrossBlueprint(benchmark::State& state) {
  const auto& f = Get(state.range(0));
  TimeBacktests(state, f.link, *f.bars);
}
BENCHMARK(BM_EmaCrossBlueprint)->Arg(1'000'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// The same blueprint with the drawdown guard at 100% (it never blocks), so the strategy trades
// through all 1,000,000 bars: a position is open most of the time, the ledger changes every bar
// and the threat worker runs on every on_ledger_update.
void BM_EmaCrossTradingThroughout(benchmark::State& state) {
  static const StrategyLink link = [] {
    StrategyLink l = Get(1'000'000).link;
    for (auto& w : l.blueprint.threat_workers)
      if (w.plugin == "max_drawdown_monitor") w.params.Set("max_drawdown_percent", 100.0);
    return l;
  }();
  TimeBacktests(state, link, *Get(1'000'000).bars);
}
BENCHMARK(BM_EmaCrossTradingThroughout)->Unit(benchmark::kMillisecond);

void BM_ToJsonDownsampled(benchmark::State& state) {
  const auto& f = Get(1'000'000);
  auto r = RunBacktest(f.link, *f.bars);
  if (!r.ok()) {
    state.SkipWithError(r.status().ToString().c_str());
    return;
  }
  JsonOptions o;
  o.max_equity_points = 500;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string s = ToJson(*r, o).dump();
    bytes = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ToJsonDownsampled)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace s1mple::engine

BENCHMARK_MAIN();
