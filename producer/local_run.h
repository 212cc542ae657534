// Running jobs of a prepared sweep in this process, one at a time, through engine::JobRunner:
// the same pipeline a runner takes (engine/job.h: ApplyOverrides, ParseOperationTexts, the data,
// RunBacktest, ToJson), so a job's result here is the one a runner would send. For tests, tools
// and reproducing one job; sweeps proper run in runner processes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/job.h"
#include "engine/operation.h"
#include "producer/analysis.h"
#include "producer/sweep_request.h"

namespace s1mple::producer {

// Keeps the data sets it loaded (jobs of one sweep share them). Not thread-safe. The sweep must
// outlive the runner.
class InProcessRunner {
 public:
  explicit InProcessRunner(const PreparedSweep& sweep, engine::JsonOptions json = {},
                           const engine::PluginRegistry* registry = nullptr);

  // Job `index`'s outcome: ok with the engine's ToJson(result), or the failure reason a runner
  // would give ("bad config: job 7: ...", "backtest failed: ..."), attempts 1. Never throws.
  JobOutcome Run(uint64_t index);

 private:
  const PreparedSweep& sweep_;
  engine::JobRunner jobs_;
};

}  // namespace s1mple::producer
