#include "runner/runner_metrics.h"

namespace s1mple::runner {

using metrics::TextWriter;
using metrics::Type;

void WriteRunnerMetrics(TextWriter& w, const RunnerStats& s, uint32_t slots) {
  auto d = [](uint64_t v) { return static_cast<double>(v); };
  w.Family("s1mple_runner_jobs_total", Type::kCounter,
           "Job attempts this runner finished, by outcome: succeeded, failed (see "
           "s1mple_runner_failures_total) or handed_back (returned unrun or unfinished at "
           "shutdown or on a revoke; the attempt is not counted).");
  w.Sample({{"outcome", "succeeded"}}, d(s.jobs_succeeded));
  w.Sample({{"outcome", "failed"}}, d(s.jobs_failed));
  w.Sample({{"outcome", "handed_back"}}, d(s.jobs_handed_back));
  w.Family("s1mple_runner_failures_total", Type::kCounter,
           "Failed job attempts by class: deterministic, error (the job's own), crash, timeout, "
           "protocol (its worker process), artifact, start, result_too_large (the runner's).");
  for (size_t i = 0; i < kFailureClassCount; ++i) {
    w.Sample({{"class", std::string(FailureClassName(static_cast<FailureClass>(i)))}},
             d(s.failures[i]));
  }
  w.Family("s1mple_runner_jobs_received_total", Type::kCounter, "JOBs received from the broker.");
  w.Sample({}, d(s.jobs_received));
  w.Family("s1mple_runner_results_acked_total", Type::kCounter,
           "Results the broker acknowledged (durable in its store).");
  w.Sample({}, d(s.results_acked));
  w.Family("s1mple_runner_artifact_cache_hits_total", Type::kCounter,
           "Artifacts a job needed that were in the runner's cache when the job arrived.");
  w.Sample({}, d(s.artifact_cache_hits));
  w.Family("s1mple_runner_artifact_cache_misses_total", Type::kCounter,
           "Artifacts a job needed that were not in the cache when it arrived (fetched from the "
           "broker, once for all jobs waiting on it).");
  w.Sample({}, d(s.artifact_cache_misses));
  w.Family("s1mple_runner_artifacts_fetched_total", Type::kCounter,
           "Artifacts fetched from the broker and verified.");
  w.Sample({}, d(s.artifacts_fetched));
  w.Family("s1mple_runner_pool_processes_started_total", Type::kCounter,
           "Pool worker processes started (first starts and restarts).");
  w.Sample({}, d(s.workers_spawned));
  w.Family("s1mple_runner_pool_restarts_total", Type::kCounter,
           "Pool worker processes started again after one ended (crash, kill, timeout).");
  w.Sample({}, d(s.worker_restarts));
  w.Family("s1mple_runner_reconnects_total", Type::kCounter,
           "Times the runner lost the broker and connected again.");
  w.Sample({}, d(s.reconnects));
  w.Family("s1mple_runner_slots", Type::kGauge, "Slots (concurrent jobs) this runner offers.");
  w.Sample({}, d(slots));
  w.Family("s1mple_runner_prefetch_depth", Type::kGauge,
           "Jobs the runner asks to hold queued beyond its slots now (adaptive by default: about "
           "25 ms of work per slot).");
  w.Sample({}, d(s.prefetch_depth));
}

std::string RenderRunnerMetrics(const RunnerStats& stats, uint32_t slots) {
  TextWriter w;
  WriteRunnerMetrics(w, stats, slots);
  metrics::WriteProcessMetrics(w);
  return w.Take();
}

}  // namespace s1mple::runner
