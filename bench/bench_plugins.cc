// bench_plugins: a strategy as a built-in against the same strategy in an out-of-tree C++ plugin
// package (issue 17; target: within 5%).
//  - BM_Builtin/<guard>:  config/operations/ema_cross.yaml's link as it is (trend_follower) on
//    1,000,000 synthetic hourly bars.
//  - BM_Package/<guard>:  the same link with trend_follower replaced by pkg_cross from
//    libpkg_signals.so (tests/plugins/packages/pkg_signals.cc: trend_follower's code, built with
//    the SDK as a user builds it: S1mple::plugin, -fvisibility=hidden, loaded with dlopen, every
//    engine call across the library boundary).
//  guard 1: the blueprint's 15% drawdown guard (it blocks entries after 56 trades); guard 0: the
//  guard off, so the strategy trades throughout (~20,700 trades).
// Both give bit-identical results (checked here before timing; the run is skipped otherwise).
//  - BM_PythonBind: the same link with trend_follower replaced by py_sma_cross
//    (bench/plugins/py_bench_signals.py): an SMA crossover computed in bind() with NumPy for the
//    whole series (target >= 5 M bars/s for the whole backtest).
//  - BM_PythonHook: py_sma_cross_hook, the same signal from a per-bar Python hook (one Python
//    call per bar; target >= 0.5 M bars/s). Both with the drawdown guard on (as the link is).
//  (Python ones only when this program carries the Python bridge.)
// Run from the project root: build/bench/bench_plugins
#include <benchmark/benchmark.h>

#include "bench/backtest_fixture.h"
#include "engine/operation.h"
#include "engine/plugin_package.h"

namespace s1mple::engine {
namespace {

const bench::BacktestFixture& Get() {
  return bench::LoadBacktestFixture("config/operations/ema_cross.yaml", 1'000'000, "bench_plugins");
}

StrategyLink Link(bool package, bool guard) {
  StrategyLink l = Get().link;
  if (!guard)
    for (auto& w : l.blueprint.threat_workers)
      if (w.plugin == "max_drawdown_monitor") w.params.Set("max_drawdown_percent", 100.0);
  if (package) {
    PackageRef ref;
    ref.name = "libpkg_signals.so";
    ref.path = S1MPLE_BENCH_PACKAGE;
    ref.named_by = "bench_plugins";
    const std::vector<PackageRef> refs{ref};
    auto reg = RegistryWithPackages(DefaultRegistry(), refs);
    if (!reg.ok()) {
      std::fprintf(stderr, "bench_plugins: %s\n", reg.status().ToString().c_str());
      std::exit(1);
    }
    l.registry = *reg;
    for (auto& w : l.blueprint.opportunity_workers)
      if (w.plugin == "trend_follower") w.plugin = "pkg_cross";
  }
  return l;
}

void Time(benchmark::State& state, bool package) {
  const bool guard = state.range(0) != 0;
  const StrategyLink link = Link(package, guard);
  const StrategyLink twin = Link(!package, guard);
  const BarSeries& bars = *Get().bars;
  auto a = RunBacktest(link, bars);
  auto b = RunBacktest(twin, bars);
  if (!a.ok() || !b.ok()) {
    state.SkipWithError((a.ok() ? b : a).status().ToString().c_str());
    return;
  }
  if (ToJson(*a)["metrics"].dump() != ToJson(*b)["metrics"].dump()) {
    state.SkipWithError("the package and the built-in disagree");
    return;
  }
  int64_t trades = 0;
  for (auto _ : state) {
    auto r = RunBacktest(link, bars);
    trades = r->metrics.total_trades;
    benchmark::DoNotOptimize(r->metrics.total_return);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(bars.size()));
  state.counters["trades"] = static_cast<double>(trades);
}

// The link with trend_follower replaced by a plugin of the Python module.
void TimePython(benchmark::State& state, const char* plugin) {
  StrategyLink l = Get().link;
  PackageRef ref;
  ref.name = "py_bench_signals.py";
  ref.path = S1MPLE_BENCH_PY;
  ref.named_by = "bench_plugins";
  const std::vector<PackageRef> refs{ref};
  auto reg = RegistryWithPackages(DefaultRegistry(), refs);
  if (!reg.ok()) {
    state.SkipWithError(reg.status().ToString().c_str());
    return;
  }
  l.registry = *reg;
  for (auto& w : l.blueprint.opportunity_workers)
    if (w.plugin == "trend_follower") w.plugin = plugin;
  const BarSeries& bars = *Get().bars;
  int64_t trades = 0;
  for (auto _ : state) {
    auto r = RunBacktest(l, bars);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    trades = r->metrics.total_trades;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(bars.size()));
  state.counters["trades"] = static_cast<double>(trades);
}
void BM_PythonBind(benchmark::State& state) {
  TimePython(state, "py_sma_cross");
}
void BM_PythonHook(benchmark::State& state) {
  TimePython(state, "py_sma_cross_hook");
}
BENCHMARK(BM_PythonBind)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PythonHook)->Unit(benchmark::kMillisecond);

void BM_Builtin(benchmark::State& state) {
  Time(state, false);
}
void BM_Package(benchmark::State& state) {
  Time(state, true);
}
BENCHMARK(BM_Builtin)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Package)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace s1mple::engine

BENCHMARK_MAIN();
