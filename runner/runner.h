// The runner daemon as a library object: connects a DEALER socket to the broker, announces its
// slots (READY), runs the JOBs it is given in a supervised pool of worker processes, sends each
// RESULT and keeps it until the broker ACKs it (resending after a reconnect), fetches missing
// artifacts by hash (GET) into a verified cache, heartbeats, and reconnects with backoff when the
// broker goes silent. Stop() makes it hand back queued jobs, finish running ones (up to a grace
// period), send DISCONNECT and return from Run().
//
// Thread-safety: Run() owns the socket and the pool and runs on one thread; Stop() may be called
// from any thread or a signal handler (async-signal-safe). stats() is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "runner/failure_class.h"
#include "transport/security.h"
#include "transport/sockets.h"
#include "transport/zap_handler.h"

namespace s1mple::runner {

struct RunnerOptions {
  std::string endpoint;                // the broker, e.g. tcp://host:5555
  transport::ClientSecurity security;  // NULL security by default
  uint32_t slots = 0;                  // 0: std::thread::hardware_concurrency()
  // Jobs held queued beyond the slots (hides the broker round trip for short jobs). nullopt,
  // the default: adaptive, about 25 ms of work per slot from the jobs' run times, none for jobs
  // of 25 ms and longer (runner/prefetch_tuner.h).
  std::optional<uint32_t> prefetch;
  std::string name;  // empty: "<hostname>-<pid>"
  // Worker process command line; empty: {"/proc/self/exe", "runner-worker"} (the s1mple binary).
  std::vector<std::string> worker_argv;
  int heartbeat_ms = 1000;     // send a HEARTBEAT when idle this long
  int liveness = 5;            // broker silent for liveness*heartbeat_ms: reconnect
  int reconnect_min_ms = 250;  // backoff after a lost broker: doubles up to max
  int reconnect_max_ms = 8000;
  int shutdown_grace_ms = 30000;          // on Stop(): wait this long for running jobs + ACKs
  std::string cache_dir;                  // artifact disk cache; empty: memory only
  int artifact_reply_timeout_ms = 30000;  // a GET unanswered this long is asked again
  int artifact_tries = 3;                 // GET tries per artifact before its jobs fail
  // Memory each pool process may take (RLIMIT_DATA: heap and private anonymous maps), so that
  // a plugin that leaks fails its job (std::bad_alloc) instead of starving the machine.
  // -1: 80% of physical memory divided among the slots (at least 256 MiB); 0: no limit.
  int64_t worker_memory_mb = -1;
  // The columns a sweep's jobs share, kept in each pool process (engine/column_cache.h), in
  // MiB: at most this, and at most a quarter of worker_memory_mb. 0: no cache (every job
  // computes its columns); nullopt: the executor's default (256).
  std::optional<size_t> column_cache_mib;
  zmq::context_t* context = nullptr;  // borrowed; null: own one (share it for inproc://)
  // Refuse every job that ships plugin packages (artifact roles "plugin:<file>"), as failed and
  // retryable (another runner may take it; a sweep whose runners all refuse fails it with this
  // reason): `s1mple runner --no-plugins`, for machines that run no code but s1mple's own.
  bool no_plugins = false;
  // Tests of the loop's catch-all only: called once per loop iteration, inside it (an exception
  // it throws is one the loop must survive). Empty in every daemon.
  std::function<void()> loop_probe_for_testing;
};

// The artifact role prefix of a sweep's plugin packages (producer/sweep_request.h).
inline constexpr std::string_view kPluginRolePrefix = "plugin:";

// The one check of RunnerOptions (the CLI calls it right after parsing, Runner::Run again):
// InvalidArgument naming the option (its --flag) for a value the runner cannot work with, e.g.
// --liveness 0, which would give up on the broker at the next tick.
[[nodiscard]] Status Validate(const RunnerOptions& options);

struct RunnerStats {
  uint64_t jobs_received = 0;
  uint64_t results_sent = 0;  // first sends (not resends)
  uint64_t results_acked = 0;
  uint64_t reconnects = 0;
  uint64_t artifacts_fetched = 0;
  uint64_t workers_spawned = 0;
  uint64_t loop_exceptions = 0;  // exceptions the loop caught, logged and carried on after
  // For the runner's metrics (runner_metrics.h):
  uint64_t jobs_succeeded = 0;    // attempts that ended with a result
  uint64_t jobs_failed = 0;       // attempts that failed (by class in `failures`)
  uint64_t jobs_handed_back = 0;  // jobs given back unrun or unfinished (shutdown, revoke)
  std::array<uint64_t, kFailureClassCount> failures{};  // indexed by FailureClass
  uint64_t artifact_cache_hits = 0;    // a job's artifact was in the cache when the job came
  uint64_t artifact_cache_misses = 0;  // ... was not (it is fetched, once for all jobs)
  uint64_t worker_restarts = 0;        // pool processes started again after one ended
  uint64_t prefetch_depth = 0;         // jobs it asks to hold queued beyond its slots now
};

class Runner {
 public:
  explicit Runner(RunnerOptions options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs until Stop(); returns OK after a clean shutdown, an error if it cannot start (bad
  // endpoint, no worker program).
  Status Run();
  // Asks Run() to shut down gracefully. Async-signal-safe.
  void Stop();
  RunnerStats stats() const;
  const RunnerOptions& options() const { return options_; }

  class Loop;

 private:
  friend class Loop;
  struct Counters {
    std::atomic<uint64_t> jobs_received{0}, results_sent{0}, results_acked{0}, reconnects{0},
        artifacts_fetched{0}, workers_spawned{0}, loop_exceptions{0}, jobs_succeeded{0},
        jobs_failed{0}, jobs_handed_back{0}, artifact_cache_hits{0}, artifact_cache_misses{0},
        prefetch_depth{0}, worker_restarts{0};
    std::array<std::atomic<uint64_t>, kFailureClassCount> failures{};
  };
  RunnerOptions options_;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stop_requested_{false};
  Counters counters_;
};

}  // namespace s1mple::runner
