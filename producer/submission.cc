#include "producer/submission.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/sha256.h"

namespace s1mple::producer {

namespace {

using Clock = std::chrono::steady_clock;

Status Interrupted(const std::string& what) {
  return Status::Interrupted("interrupted while " + what);
}

// Sleeps up to `ms`, waking early when interrupted.
void Pause(const BrokerChannel& channel, int64_t ms) {
  const auto end = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < end && !channel.interrupted())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

BrokerChannel::BrokerChannel(Connector connect, std::string endpoint, ChannelOptions options)
    : connect_(std::move(connect)), endpoint_(std::move(endpoint)), options_(std::move(options)) {}

BrokerChannel::BrokerChannel(const transport::ClientOptions& client, ChannelOptions options)
    : BrokerChannel([client] { return transport::Client::Connect(client); }, client.endpoint,
                    std::move(options)) {}

Result<protocol::Reply> BrokerChannel::Call(const protocol::Message& request) {
  const std::string command(protocol::CommandName(request));
  const auto started = Clock::now();
  int64_t pause = options_.first_pause_ms;
  Status last = Status::Unavailable("not sent");
  last_call_sent_ = false;
  for (int attempt = 0;; ++attempt) {
    if (interrupted()) return Interrupted("waiting for " + command);
    if (!client_) {
      auto client = connect_();
      if (!client.ok()) return client.status();  // a bad address or key: retrying cannot help
      client_ = std::move(client).value();
    }
    last_call_sent_ = true;
    auto reply = client_->Call(request);
    if (reply.ok()) return reply;
    // An error REPLY is the broker's answer; a reply we cannot decode would fail again.
    if (reply.status().IsRefused() || reply.status().IsCorruption()) return reply;
    if (interrupted()) return Interrupted("waiting for " + command);
    last = reply.status();
    client_.reset();  // no answer: the broker may have restarted; resend on a new socket
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    if (waited >= options_.give_up_after_ms) {
      return Status::TimedOut("no answer from " + endpoint_ + " to " + command + " for " +
                              std::to_string(waited / 1000) + " s (" + std::to_string(attempt + 1) +
                              " tries; last: " + last.message() + ")");
    }
    ++retries_;
    spdlog::warn("{} to {} got no answer ({}); sending it again", command, endpoint_,
                 last.message());
    Pause(*this, std::min(pause, options_.give_up_after_ms - waited));
    pause = std::min(pause * 2, options_.max_pause_ms);
  }
}

Result<protocol::Reply> BrokerChannel::CallThroughInterruption(const protocol::Message& request) {
  ignore_interruption_ = true;
  auto reply = Call(request);
  ignore_interruption_ = false;
  return reply;
}

Status SendJobsAndCommit(BrokerChannel& channel, const std::string& sweep, const JobSource& source,
                         uint64_t first, const SubmitOptions& options) {
  const size_t max_jobs = std::clamp<size_t>(options.batch_jobs, 1, protocol::kMaxJobsPerBatch);
  uint64_t next = first;
  while (next < source.size()) {
    if (channel.interrupted()) return Interrupted("submitting the jobs of " + sweep);
    protocol::SubmitJobs jobs;
    jobs.sweep = sweep;
    jobs.first_index = next;
    size_t bytes = 0;
    while (next < source.size() && jobs.overrides.size() < max_jobs &&
           (jobs.overrides.empty() || bytes < options.batch_bytes)) {
      jobs.overrides.push_back(source.Overrides(next));
      bytes += jobs.overrides.back().size();
      ++next;
    }
    auto r = channel.Call(jobs);
    if (!r.ok())
      return r.status().WithContext("submitting jobs " + std::to_string(jobs.first_index) +
                                    ".. of " + sweep);
    if (options.on_batch) options.on_batch(next, source.size());
  }
  if (channel.interrupted()) return Interrupted("committing " + sweep);
  protocol::SubmitCommit commit;
  commit.sweep = sweep;
  commit.total = source.size();
  auto r = channel.Call(commit);
  return r.ok() ? Status::Ok() : r.status().WithContext("committing " + sweep);
}

Status SubmitSweep(BrokerChannel& channel, const protocol::SweepSpec& spec,
                   const std::vector<std::string>& artifact_bytes, const JobSource& source,
                   const SubmitOptions& options, Submission* out) {
  *out = Submission{};
  for (const auto& bytes : artifact_bytes) {
    protocol::Put put;
    put.hash = Sha256Hex(bytes);
    put.data = bytes;
    auto r = channel.Call(put);
    if (!r.ok()) return r.status().WithContext("uploading artifact " + put.hash);
  }
  protocol::SubmitBegin begin;
  begin.spec = spec;
  begin.resume_identical = true;  // a resent SUBMIT_BEGIN must not create a second sweep
  auto r = channel.Call(begin);
  bool interrupted = false;
  if (!r.ok() && r.status().IsInterrupted() && channel.last_call_sent()) {
    // Ctrl-C while SUBMIT_BEGIN was out: the broker may have created the sweep already. Ask
    // again (resume_identical answers with that sweep, or creates it) so the user is told which
    // sweep to resume, never "nothing was submitted" while the store holds an open sweep.
    r = channel.CallThroughInterruption(begin);
    interrupted = true;
  }
  if (!r.ok()) return r.status().WithContext("creating the sweep");
  const auto* b = std::get_if<protocol::SubmitBeginReply>(&r->payload);
  if (!b || b->sweep.empty()) return Status::Corruption("SUBMIT_BEGIN reply without a sweep id");
  out->sweep = b->sweep;
  if (interrupted) return Status::Interrupted("interrupted while creating the sweep " + b->sweep);
  out->resumed = b->resumed;
  out->resumed_at = b->resumed ? std::min<uint64_t>(b->job_count, source.size()) : 0;
  S1MPLE_RETURN_IF_ERROR(SendJobsAndCommit(channel, out->sweep, source, out->resumed_at, options));
  out->committed = true;
  return Status::Ok();
}

Result<std::string> SubmitOverrides(const transport::ClientOptions& client,
                                    const protocol::SweepSpec& spec,
                                    const std::vector<std::string>& overrides,
                                    const SubmitOptions& options) {
  BrokerChannel channel(client);
  Submission submission;
  S1MPLE_RETURN_IF_ERROR(
      SubmitSweep(channel, spec, {}, OverridesList(overrides), options, &submission));
  return submission.sweep;
}

}  // namespace s1mple::producer
