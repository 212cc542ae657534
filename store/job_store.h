// JobStore: the persistent state of every sweep (DESIGN.md decisions 2, 4, 5, 7).
//
// One RocksDB database in one directory holds sweeps (plan, base artifacts, counters), jobs
// (sweep id + index + opaque overrides, state, attempt, lease, attempt history), a dispatch
// index of PENDING jobs, a lease index (mirrored in memory in deadline order), results, and
// content-addressed artifacts. Every state change is one atomic WriteBatch that also rewrites the
// sweep's per-state counters; a result and its DONE are one batch. Key layout and the durability
// promise: docs/STORE.md.
//
// Job lifecycle (attempts are numbered from 1; each lease starts a new attempt):
//
//   PENDING --LeaseNext--> LEASED(runner, attempt, deadline) --Complete--> DONE (+ result)
//                            |  --Fail(deterministic)-----------------> FAILED(reason)
//                            |  --Fail(retryable) / expiry / runner lost:
//                            |        counted < max_attempts  -> PENDING (attempt counted)
//                            |        counted >= max_attempts -> FAILED (attempt history)
//                            |  --ReturnOrphanLeases, Fail(handed_back), EndLeases /
//                            |    ReleaseLeases / Reclaim (not counted) --> PENDING
//                            |                                       (attempt not counted)
//   (counted = attempts started - attempts returned without counting: uncounted_attempts)
//   DONE and FAILED are final. DONE -> LEASED, FAILED -> DONE, etc. are refused.
//
// Late results. Results are deterministic, so the FIRST complete result for a job wins,
// whichever of the job's leases it came from: a result for a job that is PENDING again (its
// lease expired) or LEASED to another runner / attempt is recorded (outcome kDoneLate) and the
// other lease is dropped, provided `runner` held the lease of that attempt (the job's current
// lease, or an earlier attempt recorded in its history with that runner). A result from a
// runner that never held that attempt writes nothing (kRejected), nor does a result for a
// FAILED job, an unknown sweep/job, or a job of a CANCELLED sweep (kRejected; the current
// holder's lease is then returned, uncounted, so the job does not look running). A result for
// a DONE job writes nothing (kDuplicate). The broker ACKs all of them.
//
// Sweep lifecycle: SUBMITTING (CreateSweep, AddJobs in chunks) --SealSweep--> ACTIVE
// <--Pause/Resume--> PAUSED; ACTIVE/PAUSED --(no PENDING or LEASED job left)--> DONE;
// SUBMITTING/ACTIVE/PAUSED --Cancel--> CANCELLED (final: nothing more is leased, results that
// arrive after it are rejected). DeleteSweep removes a sweep in any state.
//
// Thread safety: all methods are thread-safe. Mutations are serialized by one internal mutex
// (each is a short read-decide-write against the memtable); the wait for durability happens
// outside it, so concurrent writers share one WAL sync (group commit). Reads (GetJob,
// ScanResults, ...) can run from other threads (e.g. the HTTP explorer) at any time.
//
// Durability: a call documented as "durable" returns only after its WriteBatch is in the WAL
// and, with SyncPolicy::kFsync, after the WAL was fsync'ed. Calls documented as "applied"
// (LeaseNext, ExpireLeases, ReleaseLeases, EndLeases, ExtendLease, Reclaim) do not wait for a sync:
// they survive kill -9 of this process (the WAL is written to the OS before they return) but
// may be lost on power loss, which is harmless (a lost lease leaves the job PENDING or
// LEASED with its old deadline; its late result is still accepted). Any durable write also
// makes every earlier write durable (one WAL, written in order).
//
// Errors: IOError when the disk says no (a full disk: IsNoSpace()); after a
// failed write the store stops writing and every further mutation (and every wait for
// durability) returns that error until the store is reopened. Nothing already committed is
// damaged. The process never aborts for it (store/info_log.h, store/wal_guard.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "common/vocabulary.h"
#include "store/clock.h"

namespace s1mple::store {

// "sw-" + 12 lowercase hex digits (48 random bits from std::random_device, re-drawn on the
// unlikely collision with a stored sweep). Fixed length 15. Distinct types (common/ids.h).
using s1mple::SweepId;
// Position of a job in its sweep: 0 .. job_count-1, dense.
using JobIndex = std::uint64_t;
// Opaque runner identity chosen by the broker (e.g. the ZeroMQ routing id in hex).
using s1mple::RunnerId;
// Attempt number: 1 for the first lease of a job, +1 per lease. 0 = never leased.
using Attempt = std::uint32_t;
// SHA-256 of an artifact's bytes, 64 lowercase hex digits.
using s1mple::ArtifactHash;

// The shared vocabulary (common/vocabulary.h); stored as their numeric values.
using s1mple::JobState;
using s1mple::SweepKind;
using s1mple::SweepState;

// The spellings of the one table (common/vocabulary.h): "optimization" | "variant" | "diag";
// "submitting" ...; "pending" ...
inline std::string_view ToString(SweepKind kind) {
  return Name(kind);
}
inline std::string_view ToString(SweepState state) {
  return Name(state);
}
inline std::string_view ToString(JobState state) {
  return Name(state);
}

// Jobs of one sweep per state. Maintained in the same WriteBatch as every transition; read
// from memory (never a scan).
struct JobCounts {
  std::uint64_t pending = 0;
  std::uint64_t leased = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t total() const { return pending + leased + done + failed; }
  bool operator==(const JobCounts&) const = default;
};

// What the submitter says about a new sweep.
struct SweepSpec {
  std::string name;
  SweepKind kind = SweepKind::kOptimization;
  std::string plan_text;  // the plan YAML as submitted; kept verbatim (GetPlan)
  // The producer's plan summary (JSON text; empty: none), kept verbatim (GetPlanSummary) for
  // the Trade Explorer, which reads no YAML.
  std::string plan_summary;
  // SHA-256 hex of the plan; empty = the store computes SHA-256(plan_text). Used by
  // FindSweepsByPlanHash to find an unfinished sweep of an identical plan.
  std::string plan_hash;
  // Role -> artifact hash, e.g. "operation", "blueprint", "operators", "data". Every hash must
  // already be stored (PutArtifact) so runners can always fetch it.
  std::map<std::string, ArtifactHash> base_artifacts;
  Attempt max_attempts = 0;             // leases per job before FAILED; 0 = Options default
  std::int64_t timeout_per_run_ms = 0;  // 0 = no limit; the broker turns it into lease_ms
  std::uint32_t max_workers = 0;        // concurrent leases wanted by the plan; 0 = no limit
  // Jobs may be leased while the sweep is still SUBMITTING (adaptive search: the producer adds
  // jobs proposed from the results of earlier ones). It becomes DONE only after SealSweep.
  bool dispatch_open = false;
};

// A stored sweep without its plan text (GetPlan returns that).
struct SweepInfo {
  SweepId id;
  std::string name;
  SweepKind kind = SweepKind::kOptimization;
  std::string plan_hash;
  std::map<std::string, ArtifactHash> base_artifacts;
  Attempt max_attempts = 0;  // resolved (never 0)
  std::int64_t timeout_per_run_ms = 0;
  std::uint32_t max_workers = 0;
  UnixMillis created_ms = 0;
  SweepState state = SweepState::kSubmitting;
  std::uint64_t job_count = 0;  // jobs added so far (final once sealed)
  JobCounts counts;
  bool dispatch_open = false;  // SweepSpec::dispatch_open
  // Whether its jobs may be leased now: ACTIVE, or SUBMITTING with dispatch_open.
  bool leasable() const {
    return state == SweepState::kActive || (dispatch_open && state == SweepState::kSubmitting);
  }
};

// One sweep the broker may lease from now: ACTIVE with PENDING jobs. Cheap (from memory).
struct DispatchableSweep {
  SweepId id;
  std::uint64_t pending = 0;
  std::uint64_t leased = 0;
  std::uint32_t max_workers = 0;  // 0 = no limit
  std::int64_t timeout_per_run_ms = 0;
  UnixMillis created_ms = 0;
};

struct Lease {
  RunnerId runner;
  Attempt attempt = 0;
  UnixMillis deadline_ms = 0;
};

// Why one attempt of a job did not produce a result.
struct AttemptRecord {
  Attempt attempt = 0;
  RunnerId runner;
  std::string reason;  // "lease expired", "runner lost", or the runner's failure text
  UnixMillis at_ms = 0;
};

struct JobInfo {
  SweepId sweep;
  JobIndex index = 0;
  JobState state = JobState::kPending;
  Attempt attempt = 0;                 // attempts started so far (= the current lease's attempt)
  std::optional<Lease> lease;          // set iff LEASED
  std::vector<AttemptRecord> history;  // failed/expired/returned attempts, oldest first
  std::string failure_reason;          // set iff FAILED
  std::string overrides;               // opaque bytes from AddJobs
  // Attempts that ended without running through no fault of the job (ReturnOrphanLeases, a
  // hand-back, a runner that never received or started it): started (they keep their numbers)
  // but not counted against max_attempts. Attempts counted so far: attempt - uncounted_attempts.
  Attempt uncounted_attempts = 0;
};

// A job handed out by LeaseNext: what the broker sends to the runner.
struct LeasedJob {
  SweepId sweep;
  JobIndex index = 0;
  Attempt attempt = 0;
  UnixMillis deadline_ms = 0;
  std::string overrides;
};

// What a transition did. Only kDone, kDoneLate, kRetry and kFailed wrote anything.
enum class Outcome : std::uint8_t {
  kDone,       // result recorded from the job's current lease; job DONE
  kDoneLate,   // result recorded although its lease was no longer current (see top)
  kDuplicate,  // job already DONE: nothing written (ACK and drop)
  kRetry,      // lease ended, job PENDING again (attempt counted, except for the uncounted ends)
  kFailed,     // job FAILED (deterministic failure, or the last allowed attempt ended)
  kStale,      // Fail for an attempt of this runner that already ended: nothing written
  kRejected,   // result for a FAILED job, no such sweep/job, a runner that never held that
               // attempt, or a CANCELLED sweep: no result written
};
std::string_view ToString(Outcome outcome);

// Transitions for the batch API (JobStore::Apply).
struct CompleteOp {
  SweepId sweep;
  JobIndex index = 0;
  Attempt attempt = 0;
  RunnerId runner;
  std::string result;  // opaque bytes, stored verbatim
};
// A failure report. For a job already DONE it is kDuplicate; for a FAILED job, an unknown job
// or a runner that never held that attempt kRejected; for an attempt of this runner that
// already ended kStale.
struct FailOp {
  SweepId sweep;
  JobIndex index = 0;
  Attempt attempt = 0;
  RunnerId runner;
  std::string reason;
  bool retryable = false;  // true: lost runner / timeout / crash; false: deterministic
  // The job did not run through no fault of its own (handed back at a runner's shutdown,
  // revoked, killed by a shutdown): PENDING again, attempt NOT counted; `retryable` is ignored.
  bool handed_back = false;
};
using Transition = std::variant<CompleteOp, FailOp>;

// One attempt of one job as a runner names it (READY's held jobs, REVOKE, started jobs).
struct JobAttempt {
  SweepId sweep;
  JobIndex index = 0;
  Attempt attempt = 0;
  bool operator==(const JobAttempt&) const = default;
  auto operator<=>(const JobAttempt&) const = default;
};

// A job a (re)registering runner says it holds, with the deadline its lease should get.
struct HeldLease {
  JobAttempt job;
  UnixMillis new_deadline_ms = 0;
};

// A lease that ExpireLeases, ReleaseLeases, EndLeases, Reclaim or ReturnOrphanLeases ended.
struct EndedLease {
  SweepId sweep;
  JobIndex index = 0;
  Attempt attempt = 0;
  RunnerId runner;
  Outcome outcome = Outcome::kRetry;  // kRetry or kFailed
};

// What Reclaim did: reclaimed[i] says whether held[i] is (still) leased to the runner;
// `returned` lists the runner's other leases, ended.
struct ReclaimResult {
  std::vector<bool> reclaimed;
  std::vector<EndedLease> returned;
};

// Result of a full scan (Recount): the truth the counters must equal, and every broken
// invariant found (empty when the store is consistent).
struct RecountReport {
  JobCounts counts;
  std::uint64_t results = 0;
  std::vector<std::string> problems;
};

// A fault-injection hook that stands in for a disk of limited size (leveldb's Env idea,
// without exposing RocksDB). While `remaining` bytes are >= 0, appends to the store's files
// consume it; an append that would take it below 0 fails with ENOSPC ("No space left on
// device"). Set it back to a large value to "free space". Thread-safe.
class DiskBudget {
 public:
  explicit DiskBudget(std::int64_t bytes) : remaining_(bytes) {}
  void Set(std::int64_t bytes) { remaining_.store(bytes); }
  std::int64_t remaining() const { return remaining_.load(); }
  // Takes n bytes if available; false (and nothing taken) otherwise.
  bool TryConsume(std::int64_t n) {
    std::int64_t cur = remaining_.load();
    while (cur >= n) {
      if (remaining_.compare_exchange_weak(cur, cur - n)) return true;
    }
    return false;
  }

 private:
  std::atomic<std::int64_t> remaining_;
};

enum class SyncPolicy : std::uint8_t {
  // "Durable" = the WAL was fsync'ed: survives kill -9, OS crash and power loss (if the disk
  // honours fsync). Group commit shares one fsync among concurrent writers.
  kFsync,
  // "Durable" = the WAL record was handed to the OS: survives kill -9 of the process, not an
  // OS crash or power loss. For tests and throwaway sweeps.
  kNone,
};

struct Options {
  // The source of now (lease deadlines, created_ms). nullptr = SystemClock.
  std::shared_ptr<const Clock> clock;
  // max_attempts for sweeps whose spec says 0.
  Attempt default_max_attempts = 3;
  SyncPolicy sync = SyncPolicy::kFsync;
  // Create the directory and an empty store if it does not exist yet.
  bool create_if_missing = true;
  // Open without the writer lock (RocksDB read-only mode): for `s1mple job` / fsck next to a
  // running broker. Every mutation then returns FailedPrecondition; reads see the state as of
  // Open.
  bool read_only = false;
  // RocksDB's memory, in MiB: one LRU block cache that the memtables are charged to as well (a
  // WriteBufferManager; memtables flush once they hold half of it). Whatever the sweep size,
  // the store's caches stay within this.
  std::size_t memory_mib = 48;
  // Memtable size of the jobs, results and artifacts column families, in MiB (the others use
  // 4 MiB).
  std::size_t write_buffer_mib = 16;
  // Test hook: a disk that fills up (see DiskBudget). nullptr = the real disk only.
  std::shared_ptr<DiskBudget> disk_budget;
};

class JobStore {
 public:
  // Opens (or creates) the store in `dir`. Errors:
  //  - FailedPrecondition with IsLockHeld() ("... is in use by another process ...") when
  //    another process (or another JobStore in this one) holds the store's LOCK;
  //  - Corruption when `dir` is not an s1mple store (foreign files, a RocksDB database without
  //    our format marker, damaged files) or when its format version is not this build's;
  //  - NotFound when it does not exist and create_if_missing is false (or read_only).
  // Leases found on open are kept with their stored deadlines: ExpireLeases returns them to
  // PENDING once those pass, unless their runners Reclaim them or send results first.
  [[nodiscard]] static Result<std::unique_ptr<JobStore>> Open(const std::string& dir,
                                                              Options options = {});
  virtual ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // ---- Sweeps -------------------------------------------------------------------------
  // Creates an empty sweep in SUBMITTING. Durable. InvalidArgument for an empty name or a
  // malformed plan hash; NotFound naming the role when a base artifact is not stored.
  [[nodiscard]] Result<SweepId> CreateSweep(const SweepSpec& spec);
  // Appends jobs first_index .. first_index+overrides.size()-1 in one WriteBatch (PENDING,
  // attempt 0). first_index must equal the sweep's current job_count (chunks in order; after
  // a crash continue from GetSweep().job_count). FailedPrecondition unless SUBMITTING.
  // Durable. Keep chunks to a few thousand jobs: memory is bounded by the chunk.
  [[nodiscard]] Status AddJobs(const SweepId& sweep, JobIndex first_index,
                               std::span<const std::string> overrides);
  // SUBMITTING -> ACTIVE (or DONE when it has no jobs). expected_job_count must equal the
  // stored job_count (catches a lost chunk). Durable.
  [[nodiscard]] Status SealSweep(const SweepId& sweep, std::uint64_t expected_job_count);
  // ACTIVE -> PAUSED (LeaseNext hands out nothing; leases already out run to completion).
  [[nodiscard]] Status PauseSweep(const SweepId& sweep);
  // PAUSED -> ACTIVE.
  [[nodiscard]] Status ResumeSweep(const SweepId& sweep);
  // SUBMITTING/ACTIVE/PAUSED -> CANCELLED (final). PENDING jobs stay PENDING and are never
  // leased; results that arrive afterwards are rejected (see "Late results"). Durable.
  [[nodiscard]] Status CancelSweep(const SweepId& sweep);
  // Removes the sweep, its jobs, leases and results (DeleteRange + compaction of those
  // ranges, so the space is freed), and the artifacts it referenced that no other sweep
  // references. Any state. Durable. NotFound if unknown.
  [[nodiscard]] Status DeleteSweep(const SweepId& sweep);

  [[nodiscard]] Result<SweepInfo> GetSweep(const SweepId& sweep) const;
  [[nodiscard]] Result<std::string> GetPlan(const SweepId& sweep) const;
  // The plan summary the sweep was created with; empty when it had none. NotFound if unknown.
  [[nodiscard]] Result<std::string> GetPlanSummary(const SweepId& sweep) const;
  // All sweeps, oldest first (from memory).
  std::vector<SweepInfo> ListSweeps() const;
  // Sweeps whose plan hash equals `plan_hash`, newest first, any state (the caller picks an
  // unfinished one: SUBMITTING to continue or ACTIVE/PAUSED to resume).
  std::vector<SweepInfo> FindSweepsByPlanHash(std::string_view plan_hash) const;
  // ACTIVE sweeps with PENDING jobs, oldest first: the input of the broker's fair dispatch.
  std::vector<DispatchableSweep> Dispatchable() const;
  // Counts by state (from the counters, no scan). NotFound if unknown.
  [[nodiscard]] Result<JobCounts> Counts(const SweepId& sweep) const;

  // ---- Dispatch and transitions --------------------------------------------------------
  // Leases up to n PENDING jobs of an ACTIVE sweep in index order to `runner`: each becomes
  // LEASED(runner, attempt+1, now+lease_ms). One WriteBatch. Applied (not synced; see top).
  // Returns fewer (possibly none) when fewer are PENDING; FailedPrecondition when the sweep
  // is not ACTIVE; NotFound when unknown; InvalidArgument when lease_ms <= 0.
  [[nodiscard]] Result<std::vector<LeasedJob>> LeaseNext(const SweepId& sweep,
                                                         const RunnerId& runner, std::size_t n,
                                                         std::int64_t lease_ms);
  // Records a result (see "Late results" at the top). Durable before it returns.
  [[nodiscard]] Result<Outcome> Complete(const SweepId& sweep, JobIndex index, Attempt attempt,
                                         const RunnerId& runner, std::string_view result);
  // Ends the lease (sweep, index, attempt) of `runner` without a result: retryable -> kRetry
  // or kFailed (attempts exhausted), not retryable -> kFailed. kStale when that lease is not
  // the job's current one (nothing written), kRejected for an unknown job. Durable.
  [[nodiscard]] Result<Outcome> Fail(const SweepId& sweep, JobIndex index, Attempt attempt,
                                     const RunnerId& runner, std::string_view reason,
                                     bool retryable);
  // The batch path for a single-threaded broker: applies the transitions in order as ONE
  // WriteBatch and returns the outcome of each (same rules as Complete/Fail; a later
  // transition sees the earlier ones, e.g. two results for one job give kDone, kDuplicate).
  // Durable before it returns: one sync for the whole batch.
  [[nodiscard]] Result<std::vector<Outcome>> Apply(std::span<const Transition> transitions);
  // The same, without blocking: the batch is applied now (outcomes decided, visible to reads)
  // and `on_durable` is called once it is durable, or with the error if the sync failed, on
  // the store's committer thread (keep it short: e.g. push to a queue and wake a poll loop).
  // If the write itself fails, the error is returned here and on_durable is never called.
  using DurableCallback = std::function<void(Result<std::vector<Outcome>>)>;
  [[nodiscard]] Status ApplyAsync(std::span<const Transition> transitions,
                                  DurableCallback on_durable);

  // Ends every lease held by `runner` (a lost runner) as a retryable failure with `reason`:
  // counted against max_attempts, or not (`counted` false: e.g. a runner that left with a
  // DISCONNECT, so it ran none of them to an end). Applied. Returns what it did.
  [[nodiscard]] Result<std::vector<EndedLease>> ReleaseLeases(const RunnerId& runner,
                                                              std::string_view reason,
                                                              bool counted = true);
  // Ends the listed leases held by `runner` (each must be the job's current lease, with that
  // attempt and runner; others are skipped) as a retry with `reason`, counted or not. One
  // WriteBatch. Applied. Returns what it did.
  [[nodiscard]] Result<std::vector<EndedLease>> EndLeases(const RunnerId& runner,
                                                          std::span<const JobAttempt> jobs,
                                                          std::string_view reason, bool counted);
  // Ends every lease whose deadline is <= now as a retryable failure ("lease expired").
  // Applied. Returns what it did (oldest deadline first), at most `max` leases per call.
  [[nodiscard]] Result<std::vector<EndedLease>> ExpireLeases(UnixMillis now,
                                                             std::size_t max = 10'000);
  // Returns EVERY leased job to PENDING without counting its attempt against max_attempts,
  // recording the attempt in its history with `reason`. Only for a caller that knows no runner
  // can still hold any lease: the embedded sweep session, which holds the store's LOCK, so
  // every lease it finds on open was left by a crashed earlier session (kill -9, power cut).
  // A broker must not use it (its runners may reconnect and Reclaim): it uses ExpireLeases.
  // The attempt keeps its number (the next lease is attempt+1), so a result of the orphaned
  // attempt that still arrives is a late result (kDoneLate, see top) and its Fail is kStale.
  // One WriteBatch per chunk of `chunk` leases. Applied. Returns what it did (outcome kRetry).
  [[nodiscard]] Result<std::vector<EndedLease>> ReturnOrphanLeases(std::string_view reason,
                                                                   std::size_t chunk = 10'000);
  // The earliest lease deadline, or nullopt when no job is LEASED (broker poll timeout).
  std::optional<UnixMillis> NextLeaseDeadline() const;
  // Moves the deadline of the current lease (sweep, index, attempt) held by `runner` to
  // new_deadline_ms (a heartbeat-driven extension). Applied. true if that lease was current
  // and is now extended; false (nothing written) if it is stale or the job unknown.
  [[nodiscard]] Result<bool> ExtendLease(const SweepId& sweep, JobIndex index, Attempt attempt,
                                         const RunnerId& runner, UnixMillis new_deadline_ms);
  // A runner that (re)registers (a reconnect, a restart under its name, a broker restart)
  // lists every job it holds. In ONE WriteBatch: each held job whose current lease is (attempt,
  // runner) gets its new deadline and stays leased (reclaimed[i] true; false when that lease
  // is no longer current: the runner should drop the job, and a result it sends anyway follows
  // the late-result rule); every OTHER lease of `runner` ends as a retry with `reason`, counted
  // or not (a runner process that does not hold a job never got it, or is not the process that
  // got it). Applied.
  [[nodiscard]] Result<ReclaimResult> Reclaim(const RunnerId& runner,
                                              std::span<const HeldLease> held,
                                              std::string_view reason, bool counted);

  // ---- Reads -----------------------------------------------------------------------------
  [[nodiscard]] Result<JobInfo> GetJob(const SweepId& sweep, JobIndex index) const;
  // Calls fn for each job with index >= from_index in index order until fn returns false or
  // `limit` jobs were visited (0 = no limit).
  [[nodiscard]] Status ScanJobs(const SweepId& sweep, JobIndex from_index, std::size_t limit,
                                const std::function<bool(const JobInfo&)>& fn) const;
  // NotFound when the job has no result (not DONE) or is unknown.
  [[nodiscard]] Result<std::string> GetResult(const SweepId& sweep, JobIndex index) const;
  // Calls fn(index, result bytes) for each result with index >= from_index, in index order,
  // until fn returns false or `limit` results were visited (0 = no limit). A range scan.
  [[nodiscard]] Status ScanResults(const SweepId& sweep, JobIndex from_index, std::size_t limit,
                                   const std::function<bool(JobIndex, std::string_view)>& fn) const;
  // The same for the results' summaries (store/result_summary.h: the result without its
  // equity, trades and returns), written with each result in its batch. A result recorded
  // before summaries existed, or one that is not a JSON object's text, has none: the scan
  // skips it and a reader decodes its full result instead. A range scan over small values.
  [[nodiscard]] Status ScanResultSummaries(
      const SweepId& sweep, JobIndex from_index, std::size_t limit,
      const std::function<bool(JobIndex, std::string_view)>& fn) const;
  // Full scan of one sweep (tests, fsck): recounts states and checks every invariant (each
  // job in one state; dispatch entry iff PENDING; lease entry iff LEASED; result iff DONE;
  // counters equal to the recount). Reads only.
  [[nodiscard]] Result<RecountReport> Recount(const SweepId& sweep) const;

  // ---- Artifacts (content-addressed) -----------------------------------------------------
  // Stores bytes under their SHA-256 and returns the hash; storing the same bytes twice is a
  // no-op. If expected_hash is not empty and differs: Corruption naming both. Durable.
  [[nodiscard]] Result<ArtifactHash> PutArtifact(std::string_view bytes,
                                                 std::string_view expected_hash = {});
  [[nodiscard]] Result<std::string> GetArtifact(const ArtifactHash& hash) const;
  bool HasArtifact(const ArtifactHash& hash) const;

  // ---- Maintenance -----------------------------------------------------------------------
  // Live SST files + WAL size in bytes (RocksDB's estimate).
  std::uint64_t ApproximateDiskBytes() const;
  // Flushes memtables and compacts everything (tests, after big deletes). Mutations wait
  // until it is done.
  [[nodiscard]] Status CompactAll();
  const std::string& dir() const;
  // Ok while the store accepts writes; otherwise why every mutation is refused (after a failed
  // write to its WAL, e.g. a full disk, until it is reopened; or a read-only open). Cheap: for a
  // progress line that must say why a sweep stopped moving.
  [[nodiscard]] Status WriteStatus() const;

  class Impl;

 private:
  explicit JobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace s1mple::store
