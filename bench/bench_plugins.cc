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
//
// build/bench/bench_plugins --ab ROUNDS: the side-by-side measurement (what scripts/bench runs).
// The four links (built-in and package, guard 0 and 1) run interleaved in each round, the order
// alternating between rounds (A B / B A), so that a machine whose speed drifts (a shared VM, other
// builds) slows both alike; each round's ratio package speed / built-in speed is one sample, and
// the median of the per-round ratios with its 10th-90th percentile spread is the figure. The
// Python bind and per-bar hook links run in the same rounds. Prints one JSON line; CPU time of
// this process (CLOCK_PROCESS_CPUTIME_ID) per backtest.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
Result<StrategyLink> PythonLink(const char* plugin) {
  StrategyLink l = Get().link;
  PackageRef ref;
  ref.name = "py_bench_signals.py";
  ref.path = S1MPLE_BENCH_PY;
  ref.named_by = "bench_plugins";
  const std::vector<PackageRef> refs{ref};
  auto reg = RegistryWithPackages(DefaultRegistry(), refs);
  if (!reg.ok()) return reg.status();
  l.registry = *reg;
  for (auto& w : l.blueprint.opportunity_workers)
    if (w.plugin == "trend_follower") w.plugin = plugin;
  return l;
}

void TimePython(benchmark::State& state, const char* plugin) {
  auto pl = PythonLink(plugin);
  if (!pl.ok()) {
    state.SkipWithError(pl.status().ToString().c_str());
    return;
  }
  const StrategyLink l = *pl;
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

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The CPU seconds of one backtest of `link` (exits on a failed run: a figure of a failure is none).
double TimeOne(const StrategyLink& link, const BarSeries& bars) {
  const double start = CpuSeconds();
  auto r = RunBacktest(link, bars);
  const double s = CpuSeconds() - start;
  if (!r.ok()) {
    std::fprintf(stderr, "bench_plugins: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  benchmark::DoNotOptimize(r->metrics.total_return);
  return s;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  const double f = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

int RunAb(int rounds) {
  const BarSeries& bars = *Get().bars;
  const double n = static_cast<double>(bars.size());
  struct Pair {
    StrategyLink builtin, package;
    std::vector<double> builtin_s, package_s, ratio;  // ratio: package speed / built-in speed
  };
  std::vector<Pair> pairs;
  for (bool guard : {false, true})
    pairs.push_back({Link(false, guard), Link(true, guard), {}, {}, {}});
  for (const Pair& p : pairs) {  // the same results, or no figure
    auto a = RunBacktest(p.builtin, bars);
    auto b = RunBacktest(p.package, bars);
    if (!a.ok() || !b.ok() || ToJson(*a)["metrics"].dump() != ToJson(*b)["metrics"].dump() ||
        ToJson(*a)["trades"].dump() != ToJson(*b)["trades"].dump()) {
      std::fprintf(stderr, "bench_plugins: the package and the built-in disagree\n");
      return 1;
    }
  }
  auto bind = PythonLink("py_sma_cross");
  auto hook = PythonLink("py_sma_cross_hook");
  const bool python = bind.ok() && hook.ok();
  if (!python)
    std::fprintf(stderr, "bench_plugins: no Python figures: %s\n",
                 (bind.ok() ? hook : bind).status().ToString().c_str());
  std::vector<double> bind_s, hook_s;
  if (python) {  // warm: the interpreter, numpy, the module
    TimeOne(*bind, bars);
    TimeOne(*hook, bars);
  }
  for (Pair& p : pairs) {
    TimeOne(p.builtin, bars);
    TimeOne(p.package, bars);
  }
  for (int r = 0; r < rounds; ++r) {
    for (Pair& p : pairs) {
      double a, b;
      if (r % 2 == 0) {
        a = TimeOne(p.builtin, bars);
        b = TimeOne(p.package, bars);
      } else {
        b = TimeOne(p.package, bars);
        a = TimeOne(p.builtin, bars);
      }
      p.builtin_s.push_back(a);
      p.package_s.push_back(b);
      p.ratio.push_back(a / b);
    }
    if (python) {
      bind_s.push_back(TimeOne(*bind, bars));
      hook_s.push_back(TimeOne(*hook, bars));
    }
  }
  nlohmann::json j;
  j["rounds"] = rounds;
  j["bars"] = bars.size();
  const char* tags[] = {"", "_guard"};
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    const std::string t = tags[i];
    j["builtin_same" + t + "_bars_per_s"] = n / Quantile(p.builtin_s, 0.5);
    j["plugin_cpp" + t + "_bars_per_s"] = n / Quantile(p.package_s, 0.5);
    j["plugin_cpp_vs_builtin" + t + "_ratio"] = Quantile(p.ratio, 0.5);
    j["plugin_cpp_vs_builtin" + t + "_ratio_p10"] = Quantile(p.ratio, 0.1);
    j["plugin_cpp_vs_builtin" + t + "_ratio_p90"] = Quantile(p.ratio, 0.9);
    std::vector<double> cv;  // the spread of the built-in's own times, for scale
    const double med = Quantile(p.builtin_s, 0.5);
    for (double s : p.builtin_s) cv.push_back(std::fabs(s - med) / med);
    j["builtin_same" + t + "_mad_fraction"] = Quantile(cv, 0.5);
  }
  if (python) {
    j["plugin_python_bind_bars_per_s"] = n / Quantile(bind_s, 0.5);
    j["plugin_python_hook_bars_per_s"] = n / Quantile(hook_s, 0.5);
  }
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace s1mple::engine

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--ab") == 0) return s1mple::engine::RunAb(std::atoi(argv[i + 1]));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
