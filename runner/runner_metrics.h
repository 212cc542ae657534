// A runner's /metrics (Prometheus text exposition, metrics/exposition.h), served on
// `s1mple runner --metrics-addr` and, in the embedded mode, beside the broker's: jobs run by
// outcome, failures by class (failure_class.h), artifact cache hits and misses, pool process
// restarts, plus its slots and connection state. Each metric is named once, here.
#pragma once

#include <string>

#include "metrics/exposition.h"
#include "runner/runner.h"

namespace s1mple::runner {

// Writes the runner families for `stats` (Runner::stats(), thread-safe) of a runner with
// `slots` slots.
void WriteRunnerMetrics(metrics::TextWriter& w, const RunnerStats& stats, uint32_t slots);

// The whole exposition of a runner process: its families and process_*.
std::string RenderRunnerMetrics(const RunnerStats& stats, uint32_t slots);

}  // namespace s1mple::runner
