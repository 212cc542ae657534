// The "backtest" job kind: the engine glue of the runner (the only runner code that links the
// engine; see runner/CMakeLists.txt).
//
// A backtest job = the sweep's base artifacts, by role:
//   operation  (required) operation.yaml text with exactly one strategy link
//   blueprint  (required) strategy_blueprint.yaml text
//   operators  (optional) operators.yaml text; absent = the engine's defaults
//   data       (optional) CSV bytes, required when the operation's data source is csv
//   plugin:F   (optional, any number) the bytes of the plugin package with file name F that the
//              operation or blueprint lists; written once into the plugin cache
//              (<plugin_dir>/<sha256>/F) and loaded in this worker process. A package this
//              machine cannot load (another ABI, SDK, compiler or architecture; no Python) fails
//              the job retryable (another runner may); a plugin that crashes or hangs takes this
//              worker process with it (worker_pool.h), never the runner.
// + the job's overrides (engine/overrides.h ApplyOverrides on blueprint and operators).
// The job runs through engine::JobRunner (engine/job.h), the pipeline the producer's in-process
// runner uses too. Bad overrides, a config the engine refuses, or data that does not parse are
// deterministic failures ("bad config: ..."), as are errors the engine reports while running
// ("backtest failed: ..."). Data sets are parsed once per worker process and kept by the
// executor's JobRunner (keyed by the data artifact's hash, or by the synthetic spec's CacheKey).
#pragma once

#include <memory>
#include <string>

#include "runner/job_executor.h"

namespace s1mple::runner {

// What a sweep keeps of each backtest (docs/STORE.md, "What a stored result carries"): metrics,
// causality, period and warnings whole; the equity curve down to 500 points (the first, the
// last, the maximum drawdown's peak and trough, evenly spaced points between); the first 1,000
// trades with "trades_total" when there were more. The complete result of any job comes back
// with `s1mple job SWEEP/INDEX --export DIR` and `s1mple run DIR/operation.yaml`.
struct BacktestExecutorOptions {
  size_t max_equity_points = 500;  // equity curve points kept in the result (0: all)
  bool include_trades = true;
  size_t max_trades = 1000;  // trades kept in the result (0: all)
  // Where plugin packages are written to be loaded; empty: $TMPDIR/s1mple-plugins-<uid>.
  std::string plugin_dir;
  // The columns this pool process's jobs share (engine/column_cache.h), at most this many MiB
  // (0: none). The runner gives each pool process a quarter of its memory limit, at most 256.
  size_t column_cache_mib = 256;
};

std::unique_ptr<JobExecutor> MakeBacktestExecutor(BacktestExecutorOptions options = {});

}  // namespace s1mple::runner
