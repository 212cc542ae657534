// ExplorerSource: the read-only view of sweeps and jobs that the Trade Explorer (HTTP API,
// report.html) is built on.
//
// The explorer never writes. It reads through this narrow interface so that the JSON API can be
// tested without RocksDB and so that the store's own record types stay inside store/.
// MakeStoreExplorerSource (explorer_store_source.h) adapts the real store::JobStore.
//
// Thread-safety: implementations must allow concurrent calls from several threads (the HTTP
// server answers requests on a small thread pool). The store's reads are.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/vocabulary.h"
#include "protocol/messages.h"

namespace s1mple::explorer {

// Per-state job counts of a sweep (from the store's counters, never a full scan).
struct ExplorerCounts {
  uint64_t total = 0;    // jobs in the sweep
  uint64_t pending = 0;  // waiting for a runner (including retries)
  uint64_t leased = 0;   // running on a runner now
  uint64_t done = 0;     // finished with a result
  uint64_t failed = 0;   // failed for good (deterministic failure or attempts exhausted)
};

struct ExplorerSweep {
  std::string id;    // e.g. "sw-1a2b3c4d5e6f"
  std::string name;  // the plan's name
  SweepKind kind = SweepKind::kOptimization;
  SweepState state = SweepState::kSubmitting;  // shown as Name(state) (common/vocabulary.h)
  std::string plan_text;     // the optimization.yaml / variant.yaml text as submitted (shown)
  std::string plan_summary;  // the producer's plan summary (explorer/plan_summary.h); may be empty
  int64_t created_ms = 0;    // wall-clock milliseconds since the Unix epoch
  ExplorerCounts counts;
  uint32_t max_attempts = 0;
  uint32_t max_workers = 0;
  uint64_t timeout_per_run_ms = 0;
  std::map<std::string, std::string> artifacts;  // role ("operation", "data", ...) -> SHA-256
};

struct ExplorerJob {
  uint64_t index = 0;
  JobState state = JobState::kPending;  // shown as Name(state)
  uint32_t attempts = 0;                // attempts started so far
  std::string overrides;                // opaque overrides blob as stored (JSON text or msgpack)
  std::optional<std::string> result;    // opaque result blob (only for done jobs, when asked)
  std::string failure_reason;           // for failed jobs: why (last attempt's reason)
  std::vector<std::string> attempt_history;  // one reason per failed or expired attempt
};

class ExplorerSource {
 public:
  virtual ~ExplorerSource() = default;

  // Every sweep, oldest first.
  [[nodiscard]] virtual Result<std::vector<ExplorerSweep>> ListSweeps() = 0;
  // NotFound when there is no such sweep.
  [[nodiscard]] virtual Result<ExplorerSweep> GetSweep(const std::string& sweep_id) = 0;
  // Calls `fn` for jobs with index >= from_index in index order, at most `limit` of them
  // (0 = no limit), stopping early when fn returns false. Results are read only when
  // `with_results` is set (they are the large part); a source whose reads bring results along
  // anyway may set them regardless (at least metrics and causality of a done job).
  [[nodiscard]] virtual Status ScanJobs(const std::string& sweep_id, uint64_t from_index,
                                        uint64_t limit, bool with_results,
                                        const std::function<bool(const ExplorerJob&)>& fn) = 0;
  // One job with its result. NotFound when the sweep or the index does not exist.
  [[nodiscard]] virtual Result<ExplorerJob> GetJob(const std::string& sweep_id, uint64_t index) = 0;
  // Calls fn(index, result bytes) for the done jobs with from_index <= index < end_index, in
  // index order, stopping early when fn returns false. The bytes are valid during the call
  // only. What the runs table reads when many results are new: a store answers it with one
  // range scan, much cheaper than a GetJob per result. The default asks ScanJobs.
  [[nodiscard]] virtual Status ScanResults(
      const std::string& sweep_id, uint64_t from_index, uint64_t end_index,
      const std::function<bool(uint64_t, std::string_view)>& fn) {
    if (end_index <= from_index) return Status::Ok();
    return ScanJobs(sweep_id, from_index, end_index - from_index, true,
                    [&](const ExplorerJob& job) {
                      if (job.state != JobState::kDone || !job.result) return true;
                      return fn(job.index, *job.result);
                    });
  }
  // The same for the results' summaries (the result without its bulk members, which decodes
  // to what DecodeResultSummary gives of the whole result; store/result_summary.h): fn(index,
  // summary bytes) for the done jobs in range that have one. A job without one (a result
  // recorded before summaries existed, or a source that keeps none: the default) is skipped
  // and its full result must be read. What the first read of a big sweep's table scans.
  [[nodiscard]] virtual Status ScanResultSummaries(
      const std::string& sweep_id, uint64_t from_index, uint64_t end_index,
      const std::function<bool(uint64_t, std::string_view)>& fn) {
    (void)sweep_id, (void)from_index, (void)end_index, (void)fn;
    return Status::Ok();
  }
};

// A connected runner as the broker sees it, for the sweeps page. Filled by the broker through
// ExplorerOptions::runners (a callback), so the explorer does not depend on broker internals.
struct ExplorerRunner {
  std::string id;          // runner identity (e.g. host:pid)
  uint32_t slots = 0;      // concurrent jobs it offers
  uint32_t busy = 0;       // jobs it holds now
  uint64_t jobs_done = 0;  // results received from it since it connected
  int64_t last_seen_ms = 0;
};

using RunnersProvider = std::function<std::vector<ExplorerRunner>()>;

// The runners of a STATUS reply as the panel shows them, seen at `now_ms`.
std::vector<ExplorerRunner> RunnersFromStatus(const std::vector<protocol::RunnerStatus>& runners,
                                              int64_t now_ms);

}  // namespace s1mple::explorer
