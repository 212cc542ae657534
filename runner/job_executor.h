// What a runner does with one job, behind an interface so the runner, its tests and the broker
// benchmark do not need the engine. An executor runs inside a pool worker process (see
// worker_pool.h): it may crash, abort, throw or hang without harming the runner.
//
// Job kinds:
//   "backtest"  the sweep's base artifacts (operation, blueprint, operators texts; csv data
//               bytes if any) + the job's overrides -> one engine Operation (BacktestExecutor).
//   "diag"      a diagnostic job for tests and benchmarks (DiagExecutor). Its overrides JSON
//               object says what to do, checked in this order:
//                 {"crash": true}         SIGSEGV (retryable failure "worker crashed ...")
//                 {"crash_attempts": N}   SIGSEGV while the attempt number is <= N
//                 {"abort": true}         std::abort() (SIGABRT)
//                 {"exit": CODE}          _exit(CODE) (the worker vanishes mid-job)
//                 {"hang": true}          sleeps forever (killed at timeout_per_run)
//                 {"fail": "reason"}      deterministic failure with that reason
//                 {"throw": "what"}       throws std::runtime_error (deterministic failure)
//                 {"sleep_ms": N}         sleeps N ms, then succeeds
//                 {"spin_ms": N}          burns CPU for N ms, then succeeds
//               The result is {"index": I, "value": V, "echo": overrides}, where V is
//               overrides["value"] if present, else I * 2. Unknown keys are ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace s1mple::runner {

struct JobInput {
  std::string sweep;
  uint64_t index = 0;
  uint32_t attempt = 0;
  std::string kind;                              // "backtest" or "diag"
  std::map<std::string, std::string> artifacts;  // role -> SHA-256 hex
  std::string overrides;                         // JSON object text
};

struct JobOutput {
  bool ok = false;
  std::string result;      // ok: result JSON text
  std::string error;       // !ok: reason
  bool retryable = false;  // !ok: worth another attempt (deterministic failures are not)
};

// Looks up an artifact's bytes by hash (nullptr when the worker was not given it).
using ArtifactLookup = std::function<const std::string*(const std::string& hash)>;

// Runs jobs in one worker process. Implementations may keep caches across jobs (parsed data
// sets by artifact hash). Called from one thread only.
class JobExecutor {
 public:
  virtual ~JobExecutor() = default;
  virtual JobOutput Execute(const JobInput& job, const ArtifactLookup& artifacts) = 0;
};

// The "diag" kind described above.
class DiagExecutor final : public JobExecutor {
 public:
  JobOutput Execute(const JobInput& job, const ArtifactLookup& artifacts) override;
};

// Dispatches on JobInput::kind: "diag" -> DiagExecutor; "backtest" -> `backtest` (if given;
// otherwise a deterministic failure "this runner cannot run backtests"). Exceptions thrown by
// an executor become deterministic failures "exception: <what>".
class KindDispatcher final : public JobExecutor {
 public:
  explicit KindDispatcher(std::unique_ptr<JobExecutor> backtest = nullptr);
  JobOutput Execute(const JobInput& job, const ArtifactLookup& artifacts) override;

 private:
  DiagExecutor diag_;
  std::unique_ptr<JobExecutor> backtest_;
};

}  // namespace s1mple::runner
