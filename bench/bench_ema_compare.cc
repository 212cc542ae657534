// bench_ema_compare: the engine's bars/s on the plain EMA-crossover strategy of
// bench/ema_compare.h, measured the way bench/python/ema_cross_numpy.py measures NumPy: the CSV
// is parsed first (not timed), then RunBacktest on the loaded bars is timed `repeat` times (it
// includes building and binding the workers, both EMAs, the bar loop, the equity curve and the
// metrics). scripts/bench runs both on the same CSV and checks the two trade lists equal.
// Reported per run: wall time and CPU time of this (single-threaded) process; bars/s from the
// fastest run, and the median.
//
//   bench_ema_compare --export-csv FILE [--bars 1000000] [--seed 42] [--interval 1m]
//   bench_ema_compare --csv FILE [--fast 12] [--slow 26] [--units 1] [--capital 1e6]
//                     [--repeat 5] [--trades-out FILE] [--json]
//   bench_ema_compare --csv FILE --grid-fast 5,8,.. --grid-slow 50,60,.. [--repeat 1] [--json]
//
// The grid mode is a sweep's work on one runner: every (fast, slow) configuration run once,
// cold (no column cache: every configuration computes its EMAs) and warm (one ColumnCache for
// the whole grid, as a runner's JobRunner keeps, engine/column_cache.h), CPU time of the whole
// grid; configuration-bars per CPU-second, the best of `repeat` rounds, and each configuration's
// trade count and final equity checked equal cold and warm.
//
// Exit codes: 0 ok, 2 bad arguments or input, 1 a failed run.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/ema_compare.h"
#include "engine/data.h"
#include "engine/operation.h"
#include "engine/plugin_registry.h"

namespace {

using s1mple::Status;
namespace engine = s1mple::engine;
namespace bench = s1mple::bench;

struct Args {
  std::string export_csv;
  int64_t bars = 1'000'000;
  uint64_t seed = 42;
  std::string interval = "1m";
  std::string csv;
  bench::EmaCompareOptions strategy;
  int repeat = 5;
  std::string trades_out;
  bool json = false;
  std::vector<int> grid_fast, grid_slow;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(
      stderr,
      "bench_ema_compare: %s\n"
      "usage: bench_ema_compare --export-csv FILE [--bars N] [--seed S] [--interval 1m]\n"
      "       bench_ema_compare --csv FILE [--fast 12] [--slow 26] [--units 1]\n"
      "                         [--capital 1e6] [--repeat 5] [--trades-out FILE] [--json]\n",
      why.c_str());
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(std::string(k) + " needs a value");
      return argv[++i];
    };
    auto number = [&](double lo, double hi) -> double {
      const std::string v = value();
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(d >= lo && d <= hi))
        Usage(std::string(k) + ": '" + v + "' is not a number in [" + std::to_string(lo) + ", " +
              std::to_string(hi) + "]");
      return d;
    };
    if (k == "--export-csv")
      a.export_csv = value();
    else if (k == "--bars")
      a.bars = static_cast<int64_t>(number(1, 50e6));
    else if (k == "--seed")
      a.seed = static_cast<uint64_t>(number(0, 1e15));
    else if (k == "--interval")
      a.interval = value();
    else if (k == "--csv")
      a.csv = value();
    else if (k == "--fast")
      a.strategy.fast = static_cast<int>(number(1, 2000));
    else if (k == "--slow")
      a.strategy.slow = static_cast<int>(number(2, 5000));
    else if (k == "--units")
      a.strategy.units = number(1e-9, 1e12);
    else if (k == "--capital")
      a.strategy.capital = number(1e-6, 1e15);
    else if (k == "--repeat")
      a.repeat = static_cast<int>(number(1, 1000));
    else if (k == "--trades-out")
      a.trades_out = value();
    else if (k == "--json")
      a.json = true;
    else if (k == "--grid-fast" || k == "--grid-slow") {
      std::vector<int>& out = k == "--grid-fast" ? a.grid_fast : a.grid_slow;
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');) {
        char* end = nullptr;
        const long p = std::strtol(item.c_str(), &end, 10);
        if (end == item.c_str() || *end != '\0' || p < 1 || p > 5000)
          Usage(std::string(k) + ": '" + item + "' is not a period in [1, 5000]");
        out.push_back(static_cast<int>(p));
      }
    } else
      Usage("unknown argument '" + std::string(k) + "'");
  }
  if (a.export_csv.empty() == a.csv.empty()) Usage("give exactly one of --export-csv, --csv");
  if (a.grid_fast.empty() != a.grid_slow.empty()) Usage("give both --grid-fast and --grid-slow");
  return a;
}

// CPU seconds used by this process so far (the run is single-threaded: one core's work).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

int ExportCsv(const Args& a) {
  engine::DataSpec spec;
  spec.source = engine::DataSpec::Source::kSynthetic;
  spec.seed = a.seed;
  spec.bars = a.bars;
  auto interval = engine::ParseInterval(a.interval);
  if (!interval) Usage("--interval: unknown interval '" + a.interval + "'");
  spec.interval = *interval;
  auto bars = engine::GenerateSyntheticBars(spec);
  if (!bars.ok()) {
    std::fprintf(stderr, "bench_ema_compare: %s\n", bars.status().ToString().c_str());
    return 2;
  }
  if (!WriteFile(a.export_csv, bench::BarsToCsv(**bars))) {
    std::fprintf(stderr, "bench_ema_compare: cannot write %s\n", a.export_csv.c_str());
    return 2;
  }
  std::printf("wrote %zu bars to %s (%s)\n", (*bars)->size(), a.export_csv.c_str(),
              spec.CacheKey().c_str());
  return 0;
}

// The bars of `csv`, or exit 2 naming what is wrong with it.
std::shared_ptr<const engine::BarSeries> LoadCsvOrExit(const std::string& csv) {
  std::ifstream f(csv, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "bench_ema_compare: cannot read %s\n", csv.c_str());
    std::exit(2);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto bars = engine::ParseCsvBars(ss.str(), csv);
  if (!bars.ok()) {
    std::fprintf(stderr, "bench_ema_compare: %s\n", bars.status().ToString().c_str());
    std::exit(2);
  }
  return *bars;
}

void Print(const Args& a, const nlohmann::json& out) {
  if (a.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    for (const auto& [k, v] : out.items()) std::printf("%s: %s\n", k.c_str(), v.dump().c_str());
  }
}

int RunCompare(const Args& a) {
  using Clock = std::chrono::steady_clock;
  const auto t_load = Clock::now();
  const auto bars = LoadCsvOrExit(a.csv);
  const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();

  engine::PluginRegistry registry = engine::MakeBuiltinRegistry();
  auto added = bench::RegisterMissingBenchPlugins(registry);
  if (!added.ok()) {
    std::fprintf(stderr, "bench_ema_compare: %s\n", added.status().ToString().c_str());
    return 1;
  }
  auto link = bench::MakeEmaCompareLink(a.strategy, *added, registry);
  if (!link.ok()) {
    std::fprintf(stderr, "bench_ema_compare: %s\n", link.status().ToString().c_str());
    return 2;
  }
  engine::RunOptions options;
  options.registry = &registry;

  std::vector<double> times, cpu_times;
  engine::BacktestResult result;
  for (int r = 0; r < a.repeat; ++r) {
    const double c0 = CpuSeconds();
    const auto t0 = Clock::now();
    auto run = engine::RunBacktest(*link, *bars, options);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    cpu_times.push_back(CpuSeconds() - c0);
    if (!run.ok()) {
      std::fprintf(stderr, "bench_ema_compare: %s\n", run.status().ToString().c_str());
      return 1;
    }
    times.push_back(s);
    result = std::move(*run);
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  const double median = times[times.size() / 2];
  const auto n = static_cast<double>(bars->size());
  if (!a.trades_out.empty() &&
      !WriteFile(a.trades_out, bench::TradeRowsCsv(bench::TradeRows(result)))) {
    std::fprintf(stderr, "bench_ema_compare: cannot write %s\n", a.trades_out.c_str());
    return 2;
  }
  nlohmann::json out = {
      {"bars", bars->size()},
      {"trades", result.trades.size()},
      {"final_equity", result.equity.empty() ? 0.0 : result.equity.back().equity},
      {"total_return_pct", result.metrics.total_return},
      {"max_drawdown_pct", result.metrics.max_drawdown},
      {"seconds_min", times.front()},
      {"seconds_median", median},
      {"bars_per_s", n / times.front()},
      {"bars_per_s_median", n / median},
      {"cpu_seconds_min", cpu_times.front()},
      {"bars_per_cpu_s", n / cpu_times.front()},
      {"bars_per_cpu_s_median", n / cpu_times[cpu_times.size() / 2]},
      {"csv_load_seconds", load_s},
      {"plugins", added->bench_local == 0 ? "built-in" : "bench-local"},
  };
  Print(a, out);
  return 0;
}

int RunGrid(const Args& a) {
  const auto bars = LoadCsvOrExit(a.csv);
  engine::PluginRegistry registry = engine::MakeBuiltinRegistry();
  auto added = bench::RegisterMissingBenchPlugins(registry);
  if (!added.ok()) {
    std::fprintf(stderr, "bench_ema_compare: %s\n", added.status().ToString().c_str());
    return 1;
  }
  std::vector<engine::StrategyLink> links;
  for (int fast : a.grid_fast)
    for (int slow : a.grid_slow) {
      bench::EmaCompareOptions o = a.strategy;
      o.fast = fast;
      o.slow = slow;
      auto link = bench::MakeEmaCompareLink(o, *added, registry);
      if (!link.ok()) {
        std::fprintf(stderr, "bench_ema_compare: %s\n", link.status().ToString().c_str());
        return 2;
      }
      links.push_back(std::move(*link));
    }
  struct Outcome {
    size_t trades;
    double equity;
    bool operator==(const Outcome&) const = default;
  };
  // One round: the whole grid, with a fresh cache (warm) or none (cold); CPU seconds.
  auto round = [&](bool warm, std::vector<Outcome>* outcomes,
                   engine::ColumnCache::Stats* stats) -> double {
    engine::ColumnCache cache(size_t{256} << 20);
    engine::RunOptions options;
    options.registry = &registry;
    if (warm) {
      options.column_cache = &cache;
      options.column_cache_key = "bench|" + a.csv + "|";
    }
    outcomes->clear();
    const double c0 = CpuSeconds();
    for (const engine::StrategyLink& link : links) {
      auto run = engine::RunBacktest(link, *bars, options);
      if (!run.ok()) {
        std::fprintf(stderr, "bench_ema_compare: %s\n", run.status().ToString().c_str());
        std::exit(1);
      }
      outcomes->push_back(
          {run->trades.size(), run->equity.empty() ? 0.0 : run->equity.back().equity});
    }
    const double s = CpuSeconds() - c0;
    *stats = cache.stats();
    return s;
  };
  double cold_best = 1e300, warm_best = 1e300;
  std::vector<Outcome> cold, warm;
  engine::ColumnCache::Stats cold_stats, warm_stats;
  size_t trades_total = 0;
  for (int r = 0; r < a.repeat; ++r) {
    cold_best = std::min(cold_best, round(false, &cold, &cold_stats));
    warm_best = std::min(warm_best, round(true, &warm, &warm_stats));
    if (cold != warm) {
      std::fprintf(stderr, "bench_ema_compare: warm and cold grids differ\n");
      return 1;
    }
  }
  for (const Outcome& o : cold) trades_total += o.trades;
  const double config_bars = static_cast<double>(links.size()) * static_cast<double>(bars->size());
  nlohmann::json out = {
      {"bars", bars->size()},
      {"configurations", links.size()},
      {"trades_total", trades_total},
      {"cold_cpu_seconds", cold_best},
      {"warm_cpu_seconds", warm_best},
      {"cold_config_bars_per_cpu_s", config_bars / cold_best},
      {"warm_config_bars_per_cpu_s", config_bars / warm_best},
      {"warm_vs_cold_ratio", cold_best / warm_best},
      {"warm_cache_hits", warm_stats.hits},
      {"warm_cache_misses", warm_stats.misses},
      {"warm_cache_mib", static_cast<double>(warm_stats.bytes) / (1 << 20)},
      {"results_equal", true},
  };
  Print(a, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  if (!a.export_csv.empty()) return ExportCsv(a);
  return a.grid_fast.empty() ? RunCompare(a) : RunGrid(a);
}
