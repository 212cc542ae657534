// Streaming submission, the one way jobs reach a broker: a sweep's jobs go to the broker straight
// from a JobSource -- its lazy job space (producer/expansion.h), or a list of overrides for diag
// sweeps (tests, benchmarks) -- one SUBMIT_JOBS batch at a time, so a 1,000,000-job plan never
// has its overrides in memory at once (memory is bounded by one batch).
//
// BrokerChannel survives a broker that dies meanwhile: a request that gets no answer is sent
// again on a new connection until the broker is back or a bounded wait has passed. Every request
// sent through it must be safe to resend: PUT (content-addressed), SUBMIT_BEGIN with
// resume_identical (the broker hands back the open sweep of the identical plan), SUBMIT_JOBS (a
// batch the broker already stores is acknowledged again) and SUBMIT_COMMIT (likewise).
//
// Not thread-safe: one thread uses a channel. Interruption (SIGINT) is polled: between batches
// and between tries, and when a call fails (a signal makes the socket's poll fail with EINTR).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "producer/expansion.h"
#include "protocol/messages.h"
#include "transport/client.h"

namespace s1mple::producer {

struct ChannelOptions {
  // Total time one request may go unanswered, over all its tries, before Call gives up
  // (Unavailable, IsTimedOut(), naming the endpoint and how long it waited).
  int64_t give_up_after_ms = 60'000;
  // Pause before a retry: first_pause_ms, doubled each time up to max_pause_ms.
  int64_t first_pause_ms = 100;
  int64_t max_pause_ms = 2'000;
  // True once the user asked to stop (SIGINT): Call and the submit functions return at once.
  // Empty: never.
  std::function<bool()> interrupted;
};

class BrokerChannel {
 public:
  // Makes a new client (a new socket) for the same broker; called for the first request and
  // again after a request went unanswered. Its per-request timeout is the time one try waits.
  using Connector = std::function<Result<std::unique_ptr<transport::Client>>()>;

  BrokerChannel(Connector connect, std::string endpoint, ChannelOptions options = {});
  // Connects with `client` every time (its timeout_ms is the time one try waits).
  explicit BrokerChannel(const transport::ClientOptions& client, ChannelOptions options = {});

  // Sends `request` and returns the broker's reply. A try that gets no reply (timeout, the broker
  // disconnected us, a transport error) is retried on a new connection; an error REPLY (the
  // broker said no) is returned at once (FailedPrecondition, IsRefused()). IsInterrupted() when
  // interrupted; IsTimedOut() when give_up_after_ms passed without an answer.
  [[nodiscard]] Result<protocol::Reply> Call(const protocol::Message& request);
  // Call, but an interruption does not stop it (it still ends after give_up_after_ms): for a
  // request the broker may already have acted on whose answer the user needs, such as the id of
  // a sweep SUBMIT_BEGIN created just before Ctrl-C.
  [[nodiscard]] Result<protocol::Reply> CallThroughInterruption(const protocol::Message& request);
  // Whether the last Call sent its request at least once (an interrupted Call may not have).
  bool last_call_sent() const { return last_call_sent_; }

  bool interrupted() const {
    return !ignore_interruption_ && options_.interrupted && options_.interrupted();
  }
  const std::string& endpoint() const { return endpoint_; }
  // Tries that got no answer and were sent again, over the channel's life (tests, logs).
  uint64_t retries() const { return retries_; }

 private:
  Connector connect_;
  std::string endpoint_;
  ChannelOptions options_;
  std::unique_ptr<transport::Client> client_;
  uint64_t retries_ = 0;
  bool last_call_sent_ = false;
  bool ignore_interruption_ = false;
};

// The jobs of a submission: job i's overrides as compact JSON text, computed when it is sent.
class JobSource {
 public:
  virtual ~JobSource() = default;
  virtual uint64_t size() const = 0;
  virtual std::string Overrides(uint64_t index) const = 0;
};

// A plan's jobs (borrows the space).
class JobSpaceSource final : public JobSource {
 public:
  explicit JobSpaceSource(const JobSpace& space) : space_(space) {}
  uint64_t size() const override { return space_.size(); }
  std::string Overrides(uint64_t index) const override { return space_.Overrides(index).dump(); }

 private:
  const JobSpace& space_;
};

// Overrides given as texts, e.g. the diag jobs of tests and benchmarks (borrows the list).
class OverridesList final : public JobSource {
 public:
  explicit OverridesList(const std::vector<std::string>& overrides) : overrides_(overrides) {}
  uint64_t size() const override { return overrides_.size(); }
  std::string Overrides(uint64_t index) const override { return overrides_[index]; }

 private:
  const std::vector<std::string>& overrides_;
};

struct SubmitOptions {
  size_t batch_jobs = 2000;       // overrides per SUBMIT_JOBS (<= protocol::kMaxJobsPerBatch)
  size_t batch_bytes = 4u << 20;  // and at most about this many bytes of overrides
  // Called after each stored batch with the jobs stored so far and the total. May be empty.
  std::function<void(uint64_t stored, uint64_t total)> on_batch;
};

struct Submission {
  std::string sweep;        // the sweep id (empty until SUBMIT_BEGIN was answered)
  bool resumed = false;     // the broker handed back an open sweep of the identical plan
  uint64_t resumed_at = 0;  // jobs that sweep already stored (resumed)
  bool committed = false;   // SUBMIT_COMMIT was acknowledged
};

// PUTs each artifact (bytes; their hashes are in spec.artifacts), then SUBMIT_BEGIN with
// resume_identical, SUBMIT_JOBS for every job of `jobs` the broker does not hold yet, in index
// order, then SUBMIT_COMMIT. On failure `*out` still says how far it got (out->sweep names the
// sweep once it exists, for the resume hint). A failure after an interruption has
// IsInterrupted() and channel.interrupted() is true.
[[nodiscard]] Status SubmitSweep(BrokerChannel& channel, const protocol::SweepSpec& spec,
                                 const std::vector<std::string>& artifact_bytes,
                                 const JobSource& jobs, const SubmitOptions& options,
                                 Submission* out);
inline Status SubmitSweep(BrokerChannel& channel, const protocol::SweepSpec& spec,
                          const std::vector<std::string>& artifact_bytes, const JobSpace& space,
                          const SubmitOptions& options, Submission* out) {
  return SubmitSweep(channel, spec, artifact_bytes, JobSpaceSource(space), options, out);
}

// SUBMIT_JOBS for jobs first..jobs.size()-1 of an open sweep, then SUBMIT_COMMIT: finishes a
// submission that was cut off (first = the jobs the broker stores).
[[nodiscard]] Status SendJobsAndCommit(BrokerChannel& channel, const std::string& sweep,
                                       const JobSource& jobs, uint64_t first,
                                       const SubmitOptions& options);
inline Status SendJobsAndCommit(BrokerChannel& channel, const std::string& sweep,
                                const JobSpace& space, uint64_t first,
                                const SubmitOptions& options) {
  return SendJobsAndCommit(channel, sweep, JobSpaceSource(space), first, options);
}

// SubmitSweep of `overrides` (already-uploaded artifacts only) through a channel that connects
// with `client`: diag sweeps of tests and benchmarks. Returns the sweep id.
[[nodiscard]] Result<std::string> SubmitOverrides(const transport::ClientOptions& client,
                                                  const protocol::SweepSpec& spec,
                                                  const std::vector<std::string>& overrides,
                                                  const SubmitOptions& options = {});

}  // namespace s1mple::producer
