// The "backtest" job kind: the engine glue of the runner (the only runner code that links the
// engine; see runner/CMakeLists.txt).
//
// A backtest job = the sweep's base artifacts, by role:
//   operation  (required) operation.yaml text with exactly one strategy link
//   blueprint  (required) strategy_blueprint.yaml text
//   operators  (optional) operators.yaml text; absent = the engine's defaults
//   data       (optional) CSV bytes, required when the operation's data source is csv
// + the job's overrides (engine/overrides.h ApplyOverrides on blueprint and operators).
// Bad overrides, a config the engine refuses, or data that does not parse are deterministic
// failures ("bad config: ..."), as are errors the engine reports while running ("backtest
// failed: ..."). Data sets are parsed once per worker process and kept (keyed by the data
// artifact's hash, or by the synthetic spec's CacheKey).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "runner/job_executor.h"

namespace s1mple::runner {

struct BacktestExecutorOptions {
  size_t max_equity_points = 500;  // equity curve points kept in the result (0: all)
  bool include_trades = true;
};

std::unique_ptr<JobExecutor> MakeBacktestExecutor(BacktestExecutorOptions options = {});

}  // namespace s1mple::runner
