// Why an attempt of a job failed on this runner, for the runner's metrics
// (s1mple_runner_failures_total{class=...}, runner_metrics.h). The reason text still goes to the
// broker; this is the coarse class an operator watches.
#pragma once

#include <cstddef>
#include <string_view>

namespace s1mple::runner {

enum class FailureClass {
  kDeterministic,   // the job itself failed and would fail again (bad config, plugin error)
  kError,           // the job failed with a retryable error of its own
  kCrash,           // its worker process died (signal, exit) mid-job
  kTimeout,         // killed at timeout_per_run
  kProtocol,        // its worker answered something undecodable (killed)
  kArtifact,        // an artifact it needs could not be fetched
  kStart,           // no worker process could be started for it
  kResultTooLarge,  // the result is over the protocol's 16 MiB
};
inline constexpr size_t kFailureClassCount = 8;

inline std::string_view FailureClassName(FailureClass c) {
  switch (c) {
    case FailureClass::kDeterministic:
      return "deterministic";
    case FailureClass::kError:
      return "error";
    case FailureClass::kCrash:
      return "crash";
    case FailureClass::kTimeout:
      return "timeout";
    case FailureClass::kProtocol:
      return "protocol";
    case FailureClass::kArtifact:
      return "artifact";
    case FailureClass::kStart:
      return "start";
    case FailureClass::kResultTooLarge:
      return "result_too_large";
  }
  return "error";
}

}  // namespace s1mple::runner
