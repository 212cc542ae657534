// The wire messages of the s1mple sweep protocol, version 1 (docs/PROTOCOL.md is the reference).
//
// Every message is a ZeroMQ multipart message of three frames:
//   frame 0  protocol header, the ASCII text "s1mple/<version>" (kHeader)
//   frame 1  command, an upper-case ASCII name ("READY", "JOB", "SUBMIT_JOBS", ...)
//   frame 2  body, one msgpack map with named fields (a map with string keys)
// A ROUTER socket (the broker) sees the sender's routing id in front of these frames.
//
// Runner side (Majordomo worker style): READY, JOB, RESULT, ACK, HEARTBEAT, DISCONNECT, REVOKE.
// Client side (request/REPLY, matched by `req`): SUBMIT_BEGIN, SUBMIT_JOBS, SUBMIT_COMMIT,
// STATUS, RESULTS, PAUSE, RESUME, CANCEL, PUT, GET. Runners use GET to fetch artifacts too.
//
// These are plain value types; encode/decode lives in protocol/codec.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace s1mple::protocol {

inline constexpr uint32_t kProtocolVersion = 2;
inline constexpr std::string_view kHeader = "s1mple/2";
inline constexpr std::string_view kHeaderPrefix = "s1mple/";

// Bounds checked by decode (a message beyond them is rejected, naming the field).
inline constexpr size_t kMaxMessageBytes = 64u << 20;    // whole body; also ZMQ_MAXMSGSIZE
inline constexpr size_t kMaxNameBytes = 256;             // names, ids, hashes, reasons (short)
inline constexpr size_t kMaxTextBytes = 16u << 20;       // JSON texts, plans, error texts
inline constexpr size_t kMaxJobsPerBatch = 10000;        // overrides in one SUBMIT_JOBS
inline constexpr size_t kMaxOverridesBytes = 64u << 10;  // one job's overrides JSON
inline constexpr size_t kMaxArtifactsPerJob = 16;
inline constexpr uint32_t kMaxResultsPage = 10000;
// Artifact bytes at most (PUT data): a PUT with its other fields stays within kMaxMessageBytes.
inline constexpr size_t kMaxArtifactBytes = kMaxMessageBytes - (64u << 10);

// Byte budgets of replies, well under kMaxMessageBytes (docs/PROTOCOL.md, "Replies are bounded").
// A RESULTS page stops adding items once their texts reach kReplyBudgetBytes (it always holds at
// least one, and one item is at most 2 x kMaxTextBytes + kMaxOverridesBytes, so the reply stays
// under the frame limit whatever the size of a result); a STATUS reply stops adding sweeps at
// the same budget; a GET reply carries at most kArtifactChunkBytes of the artifact.
inline constexpr size_t kReplyBudgetBytes = 8u << 20;
inline constexpr size_t kArtifactChunkBytes = 4u << 20;

inline constexpr size_t kMaxJobRefs = 100000;  // entries of READY held, HEARTBEAT started, REVOKE

// ---- runner side ---------------------------------------------------------------------------

// One attempt of one job, as READY `held`, HEARTBEAT `started` and REVOKE name it.
struct JobRef {
  std::string sweep;
  uint64_t index = 0;
  uint32_t attempt = 0;
  bool operator==(const JobRef&) const = default;
};

// runner -> broker, first message after connecting (and after every reconnect).
struct Ready {
  std::string runner;   // a stable, human-readable name, e.g. "host-1234"
  uint32_t slots = 0;   // how many jobs it runs at once (>= 1)
  uint32_t credit = 0;  // how many jobs it accepts right now (<= slots + queue)
  uint32_t queue = 0;   // jobs it is willing to hold beyond its slots (prefetch; optional)
  // Random per runner process, the same across its reconnects (optional; empty: not sent). Tells
  // a reconnect (same instance) from a restart or a second runner with the same name.
  std::string instance{};
  // Every job the runner holds: queued, running, or finished with its RESULT not yet ACKed
  // (optional; nullopt: not sent, the broker then keeps the runner's leases as they are).
  std::optional<std::vector<JobRef>> held{};
};

// broker -> runner: one leased job. The runner executes it and answers with a RESULT.
struct Job {
  std::string sweep;                             // sweep id
  uint64_t index = 0;                            // job index within the sweep
  uint32_t attempt = 1;                          // 1 for the first lease, +1 per retry
  uint64_t timeout_ms = 0;                       // kill the run after this long (0: no limit)
  std::string kind;                              // "backtest" or "diag"
  std::map<std::string, std::string> artifacts;  // role -> SHA-256 hex (fetch with GET)
  std::string overrides;                         // JSON object text: this job's overrides
};

enum class Outcome { kDone, kFailed };

// runner -> broker: the outcome of one JOB. Kept by the runner until ACKed.
struct JobResult {
  std::string sweep;
  uint64_t index = 0;
  uint32_t attempt = 0;
  Outcome outcome = Outcome::kDone;
  std::string result;      // kDone: the result JSON text
  std::string error;       // kFailed: the reason ("timeout after 500 ms", "bad config: ...")
  bool retryable = false;  // kFailed: true for crash/timeout/lost, false for deterministic
  uint64_t elapsed_ms = 0;
  uint32_t credit = 0;  // slots this message hands back to the broker (usually 1)
  // kFailed: the job did not run through no fault of its own (handed back at shutdown,
  // revoked, killed because the runner shut down); its attempt is not counted.
  bool handed_back = false;
};

enum class AckDisposition { kRecorded, kDuplicate, kRejected };

// broker -> runner: the result for (sweep, index, attempt) is durable (or was a duplicate, or
// was refused as invalid); the runner drops it either way.
struct Ack {
  std::string sweep;
  uint64_t index = 0;
  uint32_t attempt = 0;
  AckDisposition disposition = AckDisposition::kRecorded;
};

// Both ways; any message counts as a sign of life, HEARTBEAT is sent when idle.
struct Heartbeat {
  uint32_t running = 0;  // runner -> broker: jobs in progress (informational)
  // runner -> broker: jobs that started running since the last report (sent at once); the
  // broker restarts their lease clock. Empty: not sent.
  std::vector<JobRef> started{};
};

// broker -> runner: hand these jobs back (RESULT failed, handed_back) if they have not started;
// jobs already running (or unknown) are not affected.
struct Revoke {
  std::vector<JobRef> jobs;
};

// Both ways: the peer is dropped. A runner that receives it reconnects as new.
struct Disconnect {
  std::string reason;
};

// ---- client side ---------------------------------------------------------------------------

struct SweepSpec {
  std::string name;                              // human-readable
  std::string kind = "optimization";             // "optimization", "variant" or "diag"; the
                                                 // jobs of a "diag" sweep are diag jobs
  std::string plan;                              // the plan text (YAML), kept for reference
  std::map<std::string, std::string> artifacts;  // role -> SHA-256 hex, PUT before SUBMIT_BEGIN
  uint32_t max_workers = 0;                      // concurrent leases (0: unlimited)
  uint64_t timeout_ms = 0;                       // timeout_per_run (0: broker default)
  uint32_t max_attempts = 0;                     // (0: broker default)
  // The producer's plan summary (JSON text, docs/PROTOCOL.md "Plan summary"): what the Trade
  // Explorer shows of the plan without reading YAML. Optional: empty is not sent, and a broker
  // keeps whatever it is given with the sweep.
  std::string summary = {};
  // Adaptive search (docs/PROTOCOL.md "dispatch_open"): the broker dispatches each job as it is
  // stored, while the submission is still open, so the producer can propose the next jobs from
  // the results of the first. The sweep is done only once committed and every job finished.
  bool dispatch_open = false;
};

struct SubmitBegin {
  uint64_t req = 0;
  SweepSpec spec;
  // When the broker holds a sweep of this plan (same plan text and artifacts) whose submission
  // never committed (state "submitting"), answer with that sweep and its stored job count instead
  // of creating a new one: a producer that was cut off, or that resends SUBMIT_BEGIN after a lost
  // reply, finishes the submission it started.
  bool resume_identical = false;
};

// Jobs are numbered first_index, first_index+1, ... in order; batches may be resent (a batch
// whose jobs already exist with the same overrides is accepted again).
struct SubmitJobs {
  uint64_t req = 0;
  std::string sweep;
  uint64_t first_index = 0;
  std::vector<std::string> overrides;  // JSON object texts
};

struct SubmitCommit {
  uint64_t req = 0;
  std::string sweep;
  uint64_t total = 0;  // must equal the number of jobs added
};

struct StatusRequest {
  uint64_t req = 0;
  std::string sweep;          // empty: all sweeps
  bool include_plan = false;  // with a sweep: its plan text in SweepStatus::plan
  std::string after = {};     // all sweeps: start after this sweep id (StatusReply::next)
};

struct ResultsRequest {
  uint64_t req = 0;
  std::string sweep;
  uint64_t after = 0;            // first index to return
  uint32_t limit = 1000;         // at most this many jobs looked at (<= kMaxResultsPage)
  bool include_pending = false;  // also list jobs that are not finished
  // Stop adding items once their texts hold this many bytes (0 or more than kReplyBudgetBytes:
  // kReplyBudgetBytes). A page always holds at least one item when one is left.
  uint64_t max_bytes = 0;
  // Only these top-level members of each result JSON object (e.g. {"metrics", "causality"});
  // empty: the whole result text.
  std::vector<std::string> fields = {};
};

enum class ControlAction { kPause, kResume, kCancel };

struct SweepControl {
  uint64_t req = 0;
  ControlAction action = ControlAction::kPause;
  std::string sweep;
};

struct Put {
  uint64_t req = 0;
  std::string hash;  // SHA-256 hex of data; the broker verifies it
  std::string data;
};

// Fetches bytes [offset, offset + length) of an artifact; the reply says its total size. A
// client asks again from offset + data.size() until it has `total` bytes.
struct Get {
  uint64_t req = 0;
  std::string hash;
  uint64_t offset = 0;
  uint64_t length = 0;  // 0 or more than kArtifactChunkBytes: kArtifactChunkBytes
};

// ---- replies -------------------------------------------------------------------------------

struct SweepStatus {
  std::string sweep;
  std::string name;
  // Name(SweepState) (common/vocabulary.h): "submitting", "active", "paused", "cancelled",
  // "done"
  std::string state;
  uint64_t total = 0;
  uint64_t pending = 0;
  uint64_t running = 0;
  uint64_t done = 0;
  uint64_t failed = 0;
  double rate = 0;    // finished jobs per second, recent
  double eta_s = -1;  // seconds to completion at that rate (-1: unknown)
  uint32_t max_workers = 0;
  std::string plan;          // the plan text, only when the request asked for it (include_plan)
  std::string summary = {};  // with include_plan: the plan summary it was submitted with, if any
};

struct RunnerStatus {
  std::string runner;
  uint32_t slots = 0;
  uint32_t credit = 0;
  uint32_t running = 0;
  uint64_t done = 0;  // results received from it since it connected
  double rate = 0;    // results per second, recent
  double connected_s = 0;
};

struct StatusReply {
  std::vector<SweepStatus> sweeps;
  std::vector<RunnerStatus> runners;
  std::map<std::string, uint64_t> counters;  // broker counters (messages dropped, duplicates)
  std::string next;  // all sweeps: more follow; pass as StatusRequest::after (empty: no more)
};

struct ResultItem {
  uint64_t index = 0;
  std::string state;  // Name(JobState): "pending", "leased", "done", "failed"
  uint32_t attempts = 0;
  std::string overrides;  // the job's overrides JSON text
  std::string result;     // "done": result JSON text
  std::string error;      // "failed": reason
};

struct ResultsReply {
  std::vector<ResultItem> items;  // at most `limit` jobs looked at, bounded by the byte budget
  uint64_t next = 0;              // pass as `after` for the next page
  bool end = false;               // no job with index >= next exists
};

struct SubmitBeginReply {
  std::string sweep;
  bool resumed = false;    // an open sweep of the identical plan (SubmitBegin::resume_identical)
  uint64_t job_count = 0;  // jobs it already stores: continue SUBMIT_JOBS from this index
};

struct GetReply {
  std::string hash;
  std::string data;     // bytes [offset, offset + data.size()) of the artifact
  uint64_t offset = 0;  // as asked
  uint64_t total = 0;   // the artifact's size in bytes
};

// The answer to any client request. `ok == false` carries `error`; otherwise the payload that
// belongs to the request's command (monostate for PAUSE/RESUME/CANCEL/PUT/SUBMIT_*).
struct Reply {
  uint64_t req = 0;
  std::string command;  // the request's command, e.g. "STATUS"
  bool ok = true;
  std::string error;
  std::variant<std::monostate, SubmitBeginReply, StatusReply, ResultsReply, GetReply> payload;
};

using Message = std::variant<Ready, Job, JobResult, Ack, Heartbeat, Disconnect, SubmitBegin,
                             SubmitJobs, SubmitCommit, StatusRequest, ResultsRequest, SweepControl,
                             Put, Get, Reply, Revoke>;

// The command name of a message ("READY", "PAUSE", ...).
std::string_view CommandName(const Message& m);

std::string_view OutcomeName(Outcome o);
std::string_view DispositionName(AckDisposition d);

}  // namespace s1mple::protocol
