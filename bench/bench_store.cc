// bench_store: the job store's durable throughput and the 1,000,000-job sweep.
//
//   build/bench/bench_store                                  everything (a few minutes)
//   build/bench/bench_store --benchmark_filter=Submit        the 1M-job submission alone
//                                                            (peak RSS is the process's)
// The store lives in $S1MPLE_BENCH_DIR (default: the system temp dir), removed afterwards.
// Every figure is with SyncPolicy::kFsync: a result counts only once its WAL sync returned.
//
//   Submit1M          CreateSweep + AddJobs in 10,000-job chunks + SealSweep for 1,000,000
//                     jobs with ~150-byte JSON overrides: wall time, peak RSS, disk size.
//   LeaseComplete/B   one thread, the broker's pattern: LeaseNext(B) then Apply(B completes)
//                     with one sync per batch. transitions/s counts leases and completes.
//   LeaseCompleteAsync/B  the same, pipelined with ApplyAsync (up to 4 batches awaiting
//                     their sync while the next is built): throughput = max(CPU, fsync).
//   transitions/cpu_s is transitions per CPU-second of the whole process (all threads), the
//   figure that does not depend on how many other programs share the cores.
//   CompleteThreads/T T threads each Complete() one job at a time (group commit shares
//                     syncs). Also T=1: one fsync per transition, the baseline.
//   LeaseCompleteEngineResult/B  LeaseComplete with a real result: the ema_cross backtest of
//                     bench/operations/ema_cross_400.yaml as a runner sends it (500 equity
//                     points, 1,000 trades; ~13 kB), so each Complete also writes its summary.
//   SummarizeResult   the summary of that result alone (store/result_summary.h): the part of
//                     a Complete's CPU the explorer's summaries add (docs/BENCHMARKS.md).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/backtest_fixture.h"
#include "engine/result.h"
#include "store/job_store.h"
#include "store/result_summary.h"

namespace {

using namespace s1mple::store;
namespace fs = std::filesystem;

fs::path BenchDir(const std::string& name) {
  const char* base = std::getenv("S1MPLE_BENCH_DIR");
  fs::path dir = fs::path(base ? base : fs::temp_directory_path().string()) /
                 ("s1mple-bench-store-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  return dir;
}

std::unique_ptr<JobStore> OpenStore(const fs::path& dir) {
  s1mple::Result<std::unique_ptr<JobStore>> s = JobStore::Open(dir.string());
  if (!s.ok()) {
    std::fprintf(stderr, "bench_store: %s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(s).value();
}

void Check(const s1mple::Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "bench_store: %s: %s\n", what, st.ToString().c_str());
    std::exit(1);
  }
}

// A realistic override document: the parameters of one grid point (~150 bytes).
std::string OverridesFor(std::uint64_t i) {
  std::string s = "{\"workforce.opportunity_workers[0].params.fast_period\":";
  s += std::to_string(5 + i % 20);
  s += ",\"workforce.opportunity_workers[0].params.slow_period\":";
  s += std::to_string(30 + (i / 20) % 50);
  s += ",\"workforce.planning_workers.exit[0].params.atr_multiple\":";
  s += std::to_string(1 + (i / 1000) % 10);
  s += ".5}";
  return s;
}

SweepId Submit(JobStore& store, std::uint64_t jobs, std::size_t chunk = 10'000) {
  SweepSpec spec;
  spec.name = "bench";
  spec.kind = SweepKind::kDiag;
  spec.plan_text = "bench plan";
  s1mple::Result<SweepId> id = store.CreateSweep(spec);
  Check(id.status(), "CreateSweep");
  std::vector<std::string> batch;
  for (std::uint64_t first = 0; first < jobs; first += chunk) {
    batch.clear();
    for (std::uint64_t i = first; i < std::min(jobs, first + chunk); ++i) {
      batch.push_back(OverridesFor(i));
    }
    Check(store.AddJobs(*id, first, batch), "AddJobs");
  }
  Check(store.SealSweep(*id, jobs), "SealSweep");
  return *id;
}

// CPU seconds used by the whole process so far (all threads: caller, committer, RocksDB).
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void BM_Submit1M(benchmark::State& state) {
  const std::uint64_t jobs = static_cast<std::uint64_t>(state.range(0));
  fs::path dir = BenchDir("submit");
  double disk_mib = 0, disk_compacted_mib = 0;
  for (auto _ : state) {
    auto store = OpenStore(dir);
    SweepId sw = Submit(*store, jobs);
    state.PauseTiming();
    disk_mib = static_cast<double>(store->ApproximateDiskBytes()) / (1 << 20);
    Check(store->CompactAll(), "CompactAll");
    disk_compacted_mib = static_cast<double>(store->ApproximateDiskBytes()) / (1 << 20);
    state.ResumeTiming();
  }
  state.counters["jobs/s"] =
      benchmark::Counter(static_cast<double>(jobs), benchmark::Counter::kIsRate);
  state.counters["disk_MiB"] = disk_mib;
  state.counters["disk_compacted_MiB"] = disk_compacted_mib;
  state.counters["peak_rss_MiB"] = PeakRssMiB();
  fs::remove_all(dir);
}
BENCHMARK(BM_Submit1M)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// The result a runner sends for one ema_cross_400 backtest (runner/backtest/backtest_executor.h:
// 500 equity points; its default trade cap).
const std::string& EngineResult() {
  static const std::string text = [] {
    const auto& f = s1mple::bench::LoadBacktestFixture("bench/operations/ema_cross_400.yaml", 400,
                                                       "bench_store");
    auto r = s1mple::engine::RunBacktest(f.link, *f.bars);
    if (!r.ok()) {
      std::fprintf(stderr, "bench_store: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    s1mple::engine::JsonOptions o;
    o.max_equity_points = 500;
    o.max_trades = 1000;
    return s1mple::engine::ToJson(*r, o).dump();
  }();
  return text;
}

void LeaseComplete(benchmark::State& state, const std::string& result) {
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  const std::uint64_t total = std::max<std::uint64_t>(20'000, batch * 200);
  fs::path dir = BenchDir("lease-complete");
  auto store = OpenStore(dir);
  SweepId sw = Submit(*store, total);
  std::vector<Transition> ops;
  std::uint64_t completed = 0;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    s1mple::Result<std::vector<LeasedJob>> leased = store->LeaseNext(sw, "bench", batch, 600'000);
    Check(leased.status(), "LeaseNext");
    ops.clear();
    for (const LeasedJob& j : *leased) {
      ops.push_back(CompleteOp{sw, j.index, j.attempt, "bench", result});
    }
    s1mple::Result<std::vector<Outcome>> out = store->Apply(ops);
    Check(out.status(), "Apply");
    completed += ops.size();
  }
  // What one fully available core would do: transitions per process-CPU second.
  state.counters["transitions/cpu_s"] =
      2.0 * static_cast<double>(completed) / (ProcessCpuSeconds() - cpu0);
  state.counters["completes/s"] =
      benchmark::Counter(static_cast<double>(completed), benchmark::Counter::kIsRate);
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(2 * completed), benchmark::Counter::kIsRate);
  state.counters["result_bytes"] = static_cast<double>(result.size());
  store.reset();
  fs::remove_all(dir);
}

void BM_LeaseComplete(benchmark::State& state) {
  LeaseComplete(state, "{\"sharpe\":1.23,\"trades\":42}");
}
void BM_LeaseCompleteEngineResult(benchmark::State& state) {
  LeaseComplete(state, EngineResult());
}

void BM_SummarizeResult(benchmark::State& state) {
  const std::string& result = EngineResult();
  size_t summary_bytes = 0;
  for (auto _ : state) {
    auto summary = SummarizeResult(result);
    if (!summary) {
      state.SkipWithError("the engine's result has no summary");
      return;
    }
    summary_bytes = summary->size();
    benchmark::DoNotOptimize(summary->data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(result.size()));
  state.counters["result_bytes"] = static_cast<double>(result.size());
  state.counters["summary_bytes"] = static_cast<double>(summary_bytes);
}
BENCHMARK(BM_SummarizeResult)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LeaseCompleteEngineResult)
    ->Arg(64)
    ->Iterations(100)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LeaseComplete)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->Arg(1024)
    ->Iterations(100)  // fixed: every iteration consumes jobs
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The same pattern pipelined: ApplyAsync returns as soon as the batch is applied, so the
// next LeaseNext/Apply overlaps the previous batch's fsync (at most `kInFlight` batches wait).
void BM_LeaseCompleteAsync(benchmark::State& state) {
  constexpr int kInFlight = 4;
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  const std::uint64_t total = batch * 200;
  fs::path dir = BenchDir("lease-complete-async");
  auto store = OpenStore(dir);
  SweepId sw = Submit(*store, total);
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::uint64_t completed = 0;
  std::vector<Transition> ops;
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    s1mple::Result<std::vector<LeasedJob>> leased = store->LeaseNext(sw, "bench", batch, 600'000);
    Check(leased.status(), "LeaseNext");
    ops.clear();
    for (const LeasedJob& j : *leased) {
      ops.push_back(CompleteOp{sw, j.index, j.attempt, "bench", "{\"sharpe\":1.23,\"trades\":42}"});
    }
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < kInFlight; });
      ++in_flight;
    }
    Check(store->ApplyAsync(ops,
                            [&, n = ops.size()](s1mple::Result<std::vector<Outcome>> r) {
                              Check(r.status(), "ApplyAsync");
                              std::lock_guard lock(mu);
                              --in_flight;
                              completed += n;
                              cv.notify_all();
                            }),
          "ApplyAsync");
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  // What one fully available core would do: transitions per process-CPU second.
  state.counters["transitions/cpu_s"] =
      2.0 * static_cast<double>(completed) / (ProcessCpuSeconds() - cpu0);
  state.counters["completes/s"] =
      benchmark::Counter(static_cast<double>(completed), benchmark::Counter::kIsRate);
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(2 * completed), benchmark::Counter::kIsRate);
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_LeaseCompleteAsync)
    ->Arg(256)
    ->Arg(1024)
    ->Iterations(100)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_CompleteThreads(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const std::uint64_t total = threads == 1 ? 1'000 : 4'000;
  fs::path dir = BenchDir("threads");
  auto store = OpenStore(dir);
  SweepId sw = Submit(*store, total);
  for (std::uint64_t got = 0; got < total;) {
    s1mple::Result<std::vector<LeasedJob>> l = store->LeaseNext(sw, "bench", 10'000, 600'000);
    Check(l.status(), "LeaseNext");
    got += l->size();
  }
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (std::uint64_t i = static_cast<std::uint64_t>(t); i < total;
             i += static_cast<std::uint64_t>(threads)) {
          s1mple::Result<Outcome> o = store->Complete(sw, i, 1, "bench", "{\"sharpe\":1.23}");
          Check(o.status(), "Complete");
        }
      });
    }
    for (auto& th : pool) th.join();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.counters["completes/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_CompleteThreads)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
