// A supervised pool of worker processes: the runner's isolation. Each busy worker runs one job;
// a crash, abort, exit or hang kills only that worker (the job fails with a retryable reason and
// the worker is respawned on next use), and a job past its timeout is killed with SIGKILL.
//
// Workers are spawned with posix_spawn (no fork() of the multi-threaded runner) from
// PoolOptions::worker_argv, e.g. {"/proc/self/exe", "runner-worker"}, and talk over pipes
// (worker_protocol.h). Artifacts are sent to each worker once; the worker keeps them.
//
// Not thread-safe: owned and driven by the runner's loop thread (poll the fds of Fds(), then
// call Collect()).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "runner/failure_class.h"
#include "runner/job_executor.h"

namespace s1mple::runner {

using SteadyTime = std::chrono::steady_clock::time_point;

struct PoolOptions {
  std::vector<std::string> worker_argv;  // program and arguments of a worker process
  size_t workers = 1;                    // pool size (= the runner's slots)
};

struct PoolCompletion {
  JobInput job;
  JobOutput output;
  uint64_t elapsed_ms = 0;
  uint64_t elapsed_us = 0;  // the same, in microseconds (the prefetch tuner's short jobs)
  // Set when the pool, not the job, ended it (crash, timeout, undecodable answer, KillBusy).
  std::optional<FailureClass> failure;
};

class WorkerPool {
 public:
  // `artifacts` gives the bytes of an artifact the runner holds (nullptr if it does not).
  WorkerPool(PoolOptions options, ArtifactLookup artifacts);
  ~WorkerPool();  // kills and reaps every worker
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return workers_.size(); }
  size_t busy() const;
  size_t idle() const { return size() - busy(); }

  // Starts `job` on an idle worker (spawning one if needed) with a kill deadline of
  // timeout_ms from now (0: none). FailedPrecondition when no worker is idle; Internal when no
  // worker can be spawned. Every artifact the job names must be available from `artifacts`.
  Status Start(const JobInput& job, uint64_t timeout_ms);

  // The read ends of busy workers' pipes (poll them for input).
  std::vector<int> Fds() const;
  // The earliest kill deadline of a busy worker.
  std::optional<SteadyTime> NextDeadline() const;

  // Reads what workers wrote, reaps dead workers and kills those past their deadline; returns
  // the jobs that finished (successfully or not). Never blocks for long.
  std::vector<PoolCompletion> Collect(SteadyTime now);

  // Kills every busy worker; their jobs are returned as failed with `reason` (retryable).
  std::vector<PoolCompletion> KillBusy(const std::string& reason);

  uint64_t spawned() const { return spawned_; }
  // Spawns of a worker that had run before (it died, was killed, or timed out): restarts.
  uint64_t restarts() const { return restarts_; }

 private:
  struct Worker {
    pid_t pid = -1;
    int to_fd = -1;              // we write requests
    int from_fd = -1;            // we read responses (non-blocking)
    std::set<std::string> sent;  // artifact hashes this worker holds
    bool busy = false;
    JobInput job;
    SteadyTime started{};
    std::optional<SteadyTime> deadline;
    uint64_t timeout_ms = 0;
    std::string inbox;
    bool ever_spawned = false;
  };
  Status Spawn(Worker& w);
  void Reap(Worker& w, bool kill);
  PoolCompletion Finish(Worker& w, JobOutput out, SteadyTime now);
  std::string DescribeExit(int status) const;

  PoolOptions options_;
  ArtifactLookup artifacts_;
  std::vector<Worker> workers_;
  uint64_t spawned_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace s1mple::runner
