// bench_explorer: how the Trade Explorer's API and report scale with a sweep's size.
//
// A store (sync off) holds one optimization sweep of kJobs jobs, each with an overrides
// document of three parameters and a result shaped like the engine's ToJson (metrics,
// causality, a 200-point equity curve, 40 trades; ~9 KB of JSON). Measures:
//   BM_RunsPage/N      GET /api/sweeps/{id}/runs with limit N (decode N results)
//   BM_RunsPageCached  the same page again: finished rows from the api's row cache
//   BM_SweepDocument   GET /api/sweeps/{id} on a fresh api (scans every overrides blob)
//   BM_Report          the report.html snapshot + page for the whole sweep (bytes as counter)
//   BM_RunDetail       GET /api/sweeps/{id}/runs/{index}
// Run: build/bench/bench_explorer [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explorer/api.h"
#include "explorer/report.h"
#include "explorer/store_source.h"
#include "store/job_store.h"

namespace {

using nlohmann::json;
using namespace s1mple;

constexpr int kJobs = 10'000;

json FakeResult(int i) {
  json equity = json::array();
  double v = 10'000;
  for (int k = 0; k < 200; ++k) {
    v *= 1.0 + 0.001 * (((k * 7 + i) % 13) - 6);
    equity.push_back({1'600'000'000'000LL + k * 3'600'000LL, v});
  }
  json trades = json::array();
  for (int k = 0; k < 40; ++k) {
    trades.push_back({{"entry_time", "2021-01-06T04:00:00Z"},
                      {"exit_time", "2021-01-06T16:00:00Z"},
                      {"entry_price", 101.39678700190109},
                      {"exit_price", 100.14198186442333},
                      {"side", k % 2 ? "long" : "short"},
                      {"size", 82.40014504213185},
                      {"pnl", -111.69953722087854 + k * 7.3},
                      {"fees", 8.303411893098911},
                      {"opportunity_id", k + 1},
                      {"exit_reason", "stop_loss"}});
  }
  return {{"metrics",
           {{"sharpe_ratio", 0.001 * i},
            {"sortino_ratio", 0.002 * i},
            {"total_return", 0.01 * i},
            {"cagr", 1.5},
            {"max_drawdown", 15.3},
            {"calmar", 0.1},
            {"win_rate", 37.4},
            {"profit_factor", 1.05},
            {"total_trades", 115},
            {"avg_trade_duration", 44.3}}},
          {"causality",
           {{"opportunities_detected", 173},
            {"opportunities_rejected", 58},
            {"threats_detected", 2},
            {"top_rejection_reasons",
             {{{"threat_type", "MAX_DRAWDOWN_BREACHED"}, {"count", 46}},
              {{"threat_type", "POSITION_OPEN"}, {"count", 12}}}}}},
          {"equity", equity},
          {"trades", trades},
          {"bars", 6000},
          {"period", {{"start", "2021-01-01T00:00:00Z"}, {"end", "2023-09-27T20:00:00Z"}}}};
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<store::JobStore> store;
  std::unique_ptr<explorer::ExplorerSource> source;
  std::string sweep;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("bench-explorer-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    store::Options opts;
    opts.sync = store::SyncPolicy::kNone;
    auto opened = store::JobStore::Open(dir.string(), opts);
    if (!opened.ok()) std::abort();
    store = std::move(*opened);
    store::SweepSpec spec;
    spec.name = "bench";
    spec.plan_text = "optimization_config:\n  name: bench\n";
    sweep = *store->CreateSweep(spec);
    std::vector<std::string> blobs;
    for (int i = 0; i < kJobs; ++i) {
      blobs.push_back(json{
          {"opportunity_workers",
           {{"fvg_entry_detector", {{"params", {{"min_gap_size", 3 + i % 8}, {"x", i % 5}}}}}}},
          {"planning_workers",
           {{"size_planning",
             {{"fixed_risk_sizer",
               {{"params", {{"risk_per_trade_percent", 0.5 + 0.25 * (i / 40 % 7)}}}}}}}}}}
                          .dump());
    }
    (void)store->AddJobs(sweep, 0, blobs);
    (void)store->SealSweep(sweep, blobs.size());
    auto leased = store->LeaseNext(sweep, "r", kJobs, 3'600'000);
    for (const auto& job : *leased) {
      (void)store->Complete(sweep, job.index, job.attempt, "r",
                            FakeResult(static_cast<int>(job.index)).dump());
    }
    source = explorer::MakeStoreExplorerSource(*store);
  }
  ~Fixture() {
    source.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

// Every iteration decodes every result (the row cache is off): the first load of a page.
void BM_RunsPage(benchmark::State& state) {
  Fixture& f = Shared();
  explorer::ExplorerOptions opts;
  opts.row_cache_bytes = 0;
  explorer::ExplorerApi api(*f.source, opts);
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    auto page = api.Runs(f.sweep, 0, n);
    bytes = page->dump().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_RunsPage)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);

// The same page read again (a page polling a running sweep): finished rows come from the cache.
void BM_RunsPageCached(benchmark::State& state) {
  Fixture& f = Shared();
  explorer::ExplorerApi api(*f.source);
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  (void)api.Runs(f.sweep, 0, n);  // warm
  for (auto _ : state) {
    auto page = api.Runs(f.sweep, 0, n);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_RunsPageCached)->Arg(5000)->Unit(benchmark::kMillisecond);

void BM_SweepDocument(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) {
    explorer::ExplorerApi api(*f.source);  // fresh: no cached columns
    auto doc = api.Sweep(f.sweep);
    benchmark::DoNotOptimize(doc);
  }
  state.SetItemsProcessed(state.iterations() * kJobs);
}
BENCHMARK(BM_SweepDocument)->Unit(benchmark::kMillisecond);

void BM_RunDetail(benchmark::State& state) {
  Fixture& f = Shared();
  explorer::ExplorerApi api(*f.source);
  uint64_t i = 0;
  for (auto _ : state) {
    auto run = api.Run(f.sweep, (i++ * 7919) % kJobs);
    benchmark::DoNotOptimize(run->dump());
  }
}
BENCHMARK(BM_RunDetail)->Unit(benchmark::kMicrosecond);

void BM_Report(benchmark::State& state) {
  Fixture& f = Shared();
  size_t bytes = 0;
  for (auto _ : state) {
    auto snap = explorer::BuildReportSnapshot(*f.source, f.sweep);
    bytes = explorer::RenderReportHtml(*snap).size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["html_bytes"] = static_cast<double>(bytes);
  state.counters["runs"] = kJobs;
}
BENCHMARK(BM_Report)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
