// Producer speed: enumerating a 1,000,000-job plan (job i's overrides from i alone) and the
// streaming analysis (results.csv row + JSON entry per outcome).
//   build/bench/bench_producer
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>

#include "producer/analysis.h"
#include "producer/plan_loader.h"

namespace {

using namespace s1mple::producer;

constexpr const char* kMillionJobPlan = R"(optimization_config:
  name: big
  base_operation: config/operations/ema_cross.yaml
  parameter_space:
    - worker_category: context_workers
      worker_plugin: ema
      parameters:
        period: {start: 1, end: 100, step: 1}
    - worker_category: planning_workers
      worker_phase: exit_planning
      worker_plugin: atr_based_stops
      parameters:
        atr_multiplier: {start: 0.01, end: 1.0, step: 0.01}
        atr_period: {start: 2, end: 200, step: 2}
)";

std::shared_ptr<const JobSpace> MillionJobSpace() {
  PlanLoadOptions options;
  options.require_base_operation = false;
  auto plan = ParsePlanText(kMillionJobPlan, "bench.yaml", options);
  auto space = JobSpace::Make(std::make_shared<const Plan>(std::move(plan).value()));
  return std::make_shared<const JobSpace>(std::move(space).value());
}

// Overrides of every job of a 1,000,000-job plan, serialised as the submitter stores them.
void BM_OverridesBytes(benchmark::State& state) {
  auto space = MillionJobSpace();
  uint64_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string blob = space->Overrides(i).dump();
    bytes += blob.size();
    benchmark::DoNotOptimize(blob);
    i = (i + 7919) % space->size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["bytes_per_job"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_OverridesBytes);

// One outcome through SweepAnalyzer: CSV row, JSON entry to the scratch file, ranking.
void BM_AnalyzeOutcome(benchmark::State& state) {
  auto space = MillionJobSpace();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("s1mple-bench-producer-" + std::to_string(::getpid()));
  auto analyzer = SweepAnalyzer::Open(*space, {"sw-bench", "", ""}, {dir});
  nlohmann::json result = {{"metrics",
                            {{"sharpe_ratio", 1.23},
                             {"sortino_ratio", 1.9},
                             {"total_return", 12.5},
                             {"cagr", 4.1},
                             {"max_drawdown", 8.2},
                             {"calmar", 0.5},
                             {"win_rate", 51.0},
                             {"profit_factor", 1.2},
                             {"total_trades", 127},
                             {"avg_trade_duration", 9.5}}},
                           {"causality",
                            {{"opportunities_detected", 245},
                             {"opportunities_rejected", 118},
                             {"threats_detected", 34}}}};
  uint64_t i = 0;
  for (auto _ : state) {
    result["metrics"]["sharpe_ratio"] = static_cast<double>(i % 1000) / 100.0;
    auto st = (*analyzer)->Add({i++, true, result, "", 1});
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  auto finished = (*analyzer)->Finish();
  benchmark::DoNotOptimize(finished);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AnalyzeOutcome)->Iterations(100000);

}  // namespace

BENCHMARK_MAIN();
