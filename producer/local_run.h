// Running jobs of a prepared sweep in this process, one at a time, through the engine: the same
// steps a runner takes (ApplyOverrides, ParseOperationTexts, LoadData, RunBacktest, ToJson).
// For tests, tools and reproducing one job; sweeps proper run in runner processes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/operation.h"
#include "producer/analysis.h"
#include "producer/sweep_request.h"

namespace s1mple::producer {

// Keeps the last data set it loaded (jobs of one sweep share it). Not thread-safe. The sweep
// must outlive the runner.
class InProcessRunner {
 public:
  explicit InProcessRunner(const PreparedSweep& sweep, engine::JsonOptions json = {},
                           const engine::PluginRegistry* registry = nullptr);

  // Job `index`'s outcome: ok with the engine's ToJson(result), or the failure reason
  // (attempts 1). Never throws.
  JobOutcome Run(uint64_t index);

 private:
  const PreparedSweep& sweep_;
  engine::JsonOptions json_;
  const engine::PluginRegistry& registry_;
  std::string data_key_;
  std::shared_ptr<const engine::BarSeries> data_;
};

}  // namespace s1mple::producer
