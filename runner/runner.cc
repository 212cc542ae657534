#include "runner/runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include <spdlog/spdlog.h>

#include "common/flag_check.h"
#include "protocol/codec.h"
#include "runner/artifact_cache.h"
#include "runner/artifact_fetch.h"
#include "runner/prefetch_tuner.h"
#include "runner/worker_pool.h"

namespace s1mple::runner {

namespace pr = s1mple::protocol;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string DefaultName() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

// 64 random bits as 16 hex digits: this runner process's READY `instance`.
std::string RandomInstance() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

pr::JobRef RefOf(const pr::Job& job) {
  return pr::JobRef{job.sweep, job.index, job.attempt};
}

using ResultKey = std::tuple<std::string, uint64_t, uint32_t>;  // sweep, index, attempt

}  // namespace

// The state of one Run(): everything here belongs to the loop thread.
class Runner::Loop {
 public:
  Loop(Runner& owner)
      : r_(owner),
        o_(owner.options_),
        cache_(o_.cache_dir),
        instance_(RandomInstance()),
        tuner_(o_.slots, o_.prefetch),
        fetches_(FetchOptions{o_.artifact_reply_timeout_ms, o_.artifact_tries}) {
    PoolOptions po;
    po.workers = o_.slots;
    po.worker_argv = o_.worker_argv;
    pool_ =
        std::make_unique<WorkerPool>(po, [this](const std::string& h) { return cache_.Get(h); });
  }

  Status Run();

 private:
  struct Queued {
    pr::Job job;
  };

  Status Connect();
  void Disconnect(const std::string& why);
  void Send(const pr::Message& m);
  void HandleMessage(pr::Message m);
  void HandleJob(pr::Job job);
  void HandleReply(const pr::Reply& reply);
  void FailJobsNeeding(const std::string& hash, const std::string& reason);
  void OnFetchTimers(SteadyClock::time_point now);
  void StartQueued();
  // `failure`: the class of a failure the runner or its pool caused (the job's own failures are
  // classed by `retryable`).
  void FinishJob(const pr::Job& job, bool ok, std::string result, std::string error, bool retryable,
                 uint64_t elapsed_ms, bool handed_back = false,
                 std::optional<FailureClass> failure = std::nullopt);
  // Hands a job that did not run back to the broker: its attempt is not counted.
  void HandBack(const pr::Job& job, std::string why);
  void HandleRevoke(const pr::Revoke& revoke);
  void OnCompletions(std::vector<PoolCompletion> done, bool handed_back = false);
  pr::Ready MakeReady(uint32_t credit, bool with_held) const;
  void ReportStarted();
  uint32_t FreeCredit() const;
  void BeginDrain();
  bool Drained(SteadyClock::time_point now) const;
  long TimeoutMs(SteadyClock::time_point now) const;

  Runner& r_;
  const RunnerOptions& o_;
  ArtifactCache cache_;
  const std::string instance_;  // random per process: READY `instance`
  PrefetchTuner tuner_;         // how many jobs to hold queued beyond the slots
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<zmq::context_t> owned_ctx_;
  zmq::context_t* ctx_ = nullptr;
  std::unique_ptr<zmq::socket_t> socket_;
  std::deque<pr::Job> queue_;  // received, not started
  ArtifactFetches fetches_;    // artifacts being downloaded, range by range
  std::map<ResultKey, pr::JobResult> unacked_;
  std::map<std::string, pr::Job> running_;  // "sweep/index" -> job (pool tracks the rest)
  std::vector<pr::JobRef> started_;         // started since the last report (HEARTBEAT)
  SteadyClock::time_point last_recv_{}, last_send_{}, next_connect_{};
  int backoff_ms_ = 0;
  bool draining_ = false;
  SteadyClock::time_point drain_deadline_{};
};

uint32_t Runner::Loop::FreeCredit() const {
  if (draining_) return 0;
  size_t used = pool_->busy() + queue_.size();
  size_t capacity = o_.slots + tuner_.depth();
  return used >= capacity ? 0 : static_cast<uint32_t>(capacity - used);
}

void Runner::Loop::Send(const pr::Message& m) {
  if (!socket_) return;
  auto st = transport::SendMessage(*socket_, m);
  if (!st.ok()) spdlog::debug("runner: send {} failed: {}", pr::CommandName(m), st.ToString());
  last_send_ = SteadyClock::now();
}

Status Runner::Loop::Connect() {
  try {
    socket_ = std::make_unique<zmq::socket_t>(*ctx_, zmq::socket_type::dealer);
    S1MPLE_RETURN_IF_ERROR(transport::ConfigureCommon(*socket_));
    S1MPLE_RETURN_IF_ERROR(transport::ConfigureClient(*socket_, o_.security));
    socket_->connect(o_.endpoint);
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return Status::InvalidArgument("connect " + o_.endpoint + ": " + e.what());
  }
  auto now = SteadyClock::now();
  last_recv_ = now;
  // READY lists every job held (queued, running, result unacknowledged): the broker keeps
  // those leased to us and returns the others at once.
  Send(MakeReady(FreeCredit(), /*with_held=*/true));
  // Results not yet acknowledged go again; their slots are already in READY's credit.
  for (auto& [key, res] : unacked_) {
    res.credit = 0;
    Send(res);
  }
  // The jobs running now, so the broker knows they started (its lease clock for them).
  started_.clear();
  for (const auto& [key, job] : running_) started_.push_back(RefOf(job));
  ReportStarted();
  // Artifact requests of the old connection are lost with it.
  fetches_.Reset();
  spdlog::info("runner {}: connected to {} ({} slots, {} results to resend)", o_.name, o_.endpoint,
               o_.slots, unacked_.size());
  return Status::Ok();
}

void Runner::Loop::Disconnect(const std::string& why) {
  if (!socket_) return;
  spdlog::warn("runner {}: {}; reconnecting", o_.name, why);
  socket_.reset();
  backoff_ms_ =
      backoff_ms_ == 0 ? o_.reconnect_min_ms : std::min(o_.reconnect_max_ms, backoff_ms_ * 2);
  next_connect_ = SteadyClock::now() + milliseconds(backoff_ms_);
  r_.counters_.reconnects++;
}

pr::Ready Runner::Loop::MakeReady(uint32_t credit, bool with_held) const {
  pr::Ready ready{o_.name, o_.slots, credit, tuner_.depth()};
  ready.instance = instance_;
  if (with_held) {
    std::vector<pr::JobRef> held;
    for (const auto& job : queue_) held.push_back(RefOf(job));
    for (const auto& [key, job] : running_) held.push_back(RefOf(job));
    for (const auto& [key, res] : unacked_) held.push_back({res.sweep, res.index, res.attempt});
    if (held.size() > pr::kMaxJobRefs) held.resize(pr::kMaxJobRefs);  // the rest: late results
    ready.held = std::move(held);
  }
  return ready;
}

void Runner::Loop::ReportStarted() {
  if (started_.empty() || !socket_) return;
  pr::Heartbeat hb{static_cast<uint32_t>(pool_->busy())};
  hb.started.swap(started_);
  Send(hb);
}

void Runner::Loop::HandBack(const pr::Job& job, std::string why) {
  FinishJob(job, false, "", std::move(why), true, 0, /*handed_back=*/true);
}

void Runner::Loop::HandleJob(pr::Job job) {
  r_.counters_.jobs_received++;
  if (draining_) {
    HandBack(job, "handed back: runner " + o_.name + " is shutting down");
    return;
  }
  if (o_.no_plugins) {
    // A sweep that ships plugin packages runs their code here: this runner was told not to.
    std::string packages;
    for (const auto& [role, hash] : job.artifacts)
      if (role.rfind(kPluginRolePrefix, 0) == 0)
        packages += (packages.empty() ? "" : ", ") + role.substr(kPluginRolePrefix.size());
    if (!packages.empty()) {
      FinishJob(job, false, "",
                "runner " + o_.name +
                    " refuses plugin jobs (started with --no-plugins); the "
                    "sweep ships the plugin package(s) " +
                    packages,
                /*retryable=*/true, 0);
      return;
    }
  }
  for (const auto& [role, hash] : job.artifacts) {
    if (cache_.Has(hash))
      r_.counters_.artifact_cache_hits++;
    else
      r_.counters_.artifact_cache_misses++;
  }
  queue_.push_back(std::move(job));
}

void Runner::Loop::HandleRevoke(const pr::Revoke& revoke) {
  // Only jobs still queued go back; a job that started runs to its end.
  std::deque<pr::Job> keep;
  size_t back = 0;
  for (auto& job : queue_) {
    bool revoked =
        std::find(revoke.jobs.begin(), revoke.jobs.end(), RefOf(job)) != revoke.jobs.end();
    if (revoked) {
      HandBack(job, "handed back: revoked by the broker for an idle runner");
      back++;
    } else {
      keep.push_back(std::move(job));
    }
  }
  queue_.swap(keep);
  if (back > 0) spdlog::info("runner {}: handed back {} queued jobs (revoked)", o_.name, back);
}

void Runner::Loop::HandleReply(const pr::Reply& reply) {
  auto now = SteadyClock::now();
  ArtifactFetches::Event e = fetches_.OnReply(reply, now);
  if (e.kind == ArtifactFetches::Event::Kind::kComplete) {
    Status st = cache_.Put(e.hash, std::move(e.data));
    if (st.ok()) {
      r_.counters_.artifacts_fetched++;
      return;
    }
    spdlog::warn("runner {}: artifact {}: {}", o_.name, e.hash, st.ToString());
    e = fetches_.Rejected(e.hash, st.message(), now);
  } else if (e.kind == ArtifactFetches::Event::Kind::kMore && !e.next->offset) {
    spdlog::warn("runner {}: artifact {}: asking again", o_.name, e.hash);
  }
  if (e.kind == ArtifactFetches::Event::Kind::kMore) {
    Send(*e.next);
  } else if (e.kind == ArtifactFetches::Event::Kind::kFailed) {
    FailJobsNeeding(e.hash, e.reason);
  }
}

// Jobs that need the artifact fail, retryable: another runner (or a later try) may fetch it.
void Runner::Loop::FailJobsNeeding(const std::string& hash, const std::string& reason) {
  spdlog::error("runner {}: artifact {} {}", o_.name, hash, reason);
  std::deque<pr::Job> keep;
  for (auto& job : queue_) {
    bool needs = false;
    for (const auto& [role, h] : job.artifacts) needs = needs || h == hash;
    if (needs)
      FinishJob(job, false, "", "artifact " + hash + " unavailable: " + reason, true, 0, false,
                FailureClass::kArtifact);
    else
      keep.push_back(std::move(job));
  }
  queue_.swap(keep);
}

void Runner::Loop::OnFetchTimers(SteadyClock::time_point now) {
  if (!socket_) return;
  ArtifactFetches::Expired expired = fetches_.OnTimer(now);
  for (const auto& get : expired.resend) {
    spdlog::warn("runner {}: no reply for artifact {}: asking again", o_.name, get.hash);
    Send(get);
  }
  for (const auto& e : expired.failed) FailJobsNeeding(e.hash, e.reason);
}

void Runner::Loop::HandleMessage(pr::Message m) {
  if (auto* job = std::get_if<pr::Job>(&m)) {
    HandleJob(std::move(*job));
  } else if (auto* ack = std::get_if<pr::Ack>(&m)) {
    if (unacked_.erase({ack->sweep, ack->index, ack->attempt})) r_.counters_.results_acked++;
  } else if (std::holds_alternative<pr::Heartbeat>(m)) {
    // liveness only
  } else if (auto* d = std::get_if<pr::Disconnect>(&m)) {
    spdlog::warn("runner {}: broker sent DISCONNECT: {}", o_.name, d->reason);
    socket_.reset();
    next_connect_ = SteadyClock::now();  // at once: the broker is there, it just forgot us
    r_.counters_.reconnects++;
  } else if (auto* reply = std::get_if<pr::Reply>(&m)) {
    HandleReply(*reply);
  } else if (auto* revoke = std::get_if<pr::Revoke>(&m)) {
    HandleRevoke(*revoke);
  } else {
    spdlog::warn("runner {}: unexpected {} from broker ignored", o_.name, pr::CommandName(m));
  }
}

void Runner::Loop::FinishJob(const pr::Job& job, bool ok, std::string result, std::string error,
                             bool retryable, uint64_t elapsed_ms, bool handed_back,
                             std::optional<FailureClass> failure) {
  if (ok && result.size() > pr::kMaxTextBytes) {
    failure = FailureClass::kResultTooLarge;
    // The broker would refuse the message; the job's result is too big to keep (deterministic).
    error = "result of " + std::to_string(result.size()) + " bytes exceeds the limit of " +
            std::to_string(pr::kMaxTextBytes) + " bytes (16 MiB)";
    ok = false;
    retryable = false;
    result.clear();
  }
  pr::JobResult res;
  res.sweep = job.sweep;
  res.index = job.index;
  res.attempt = job.attempt;
  res.outcome = ok ? pr::Outcome::kDone : pr::Outcome::kFailed;
  res.result = std::move(result);
  res.error = std::move(error);
  res.retryable = retryable;
  res.elapsed_ms = elapsed_ms;
  res.handed_back = handed_back;
  res.credit = draining_ ? 0 : 1;
  r_.counters_.results_sent++;
  if (handed_back) {
    r_.counters_.jobs_handed_back++;
  } else if (ok) {
    r_.counters_.jobs_succeeded++;
  } else {
    r_.counters_.jobs_failed++;
    const FailureClass c =
        failure ? *failure : (retryable ? FailureClass::kError : FailureClass::kDeterministic);
    r_.counters_.failures[static_cast<size_t>(c)]++;
  }
  Send(res);
  res.credit = 0;
  unacked_[{res.sweep, res.index, res.attempt}] = std::move(res);
}

void Runner::Loop::StartQueued() {
  std::deque<pr::Job> waiting;
  while (!queue_.empty()) {
    pr::Job job = std::move(queue_.front());
    queue_.pop_front();
    bool ready = true;
    for (const auto& [role, hash] : job.artifacts) {
      if (cache_.Has(hash)) continue;
      ready = false;
      if (socket_) {
        if (auto get = fetches_.Want(hash, SteadyClock::now())) Send(*get);
      }
    }
    if (!ready || pool_->idle() == 0) {
      waiting.push_back(std::move(job));
      continue;
    }
    JobInput in{job.sweep, job.index, job.attempt, job.kind, job.artifacts, job.overrides};
    Status st = pool_->Start(in, job.timeout_ms);
    if (!st.ok()) {
      spdlog::error("runner {}: cannot start job {}/{}: {}", o_.name, job.sweep, job.index,
                    st.ToString());
      FinishJob(job, false, "", "runner cannot start a worker: " + st.message(), true, 0, false,
                FailureClass::kStart);
      continue;
    }
    started_.push_back(RefOf(job));
    running_[job.sweep + "/" + std::to_string(job.index)] = job;
  }
  queue_.swap(waiting);
  r_.counters_.workers_spawned = pool_->spawned();
  r_.counters_.worker_restarts = pool_->restarts();
}

void Runner::Loop::OnCompletions(std::vector<PoolCompletion> done, bool handed_back) {
  bool retune = false;
  for (auto& c : done) {
    auto it = running_.find(c.job.sweep + "/" + std::to_string(c.job.index));
    if (it == running_.end()) continue;
    pr::Job job = std::move(it->second);
    running_.erase(it);
    // Jobs that ran to their own end tell how long jobs take (not crashes, timeouts, kills).
    if (!handed_back && !c.failure) retune = tuner_.OnJobFinished(c.elapsed_us) || retune;
    FinishJob(job, c.output.ok, std::move(c.output.result), std::move(c.output.error),
              c.output.retryable, c.elapsed_ms, handed_back, c.failure);
  }
  r_.counters_.prefetch_depth = tuner_.depth();
  if (retune && socket_ && !draining_) {
    // READY again on this connection: the broker takes the new queue depth and credit.
    spdlog::debug("runner {}: prefetch depth {} (jobs take {:.0f} us on average)", o_.name,
                  tuner_.depth(), tuner_.average_us());
    Send(MakeReady(FreeCredit(), /*with_held=*/false));
  }
}

void Runner::Loop::BeginDrain() {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = SteadyClock::now() + milliseconds(o_.shutdown_grace_ms);
  spdlog::info("runner {}: shutting down: handing back {} queued jobs, finishing {} running",
               o_.name, queue_.size(), pool_->busy());
  Send(MakeReady(0, /*with_held=*/false));  // no more credit
  std::deque<pr::Job> q;
  q.swap(queue_);
  for (auto& job : q) HandBack(job, "handed back: runner " + o_.name + " is shutting down");
}

bool Runner::Loop::Drained(SteadyClock::time_point now) const {
  if (now >= drain_deadline_) return true;
  return queue_.empty() && pool_->busy() == 0 && unacked_.empty();
}

long Runner::Loop::TimeoutMs(SteadyClock::time_point now) const {
  auto next = now + milliseconds(o_.heartbeat_ms);
  if (socket_) {
    next = std::min(next, last_send_ + milliseconds(o_.heartbeat_ms));
    next = std::min(next, last_recv_ + milliseconds(o_.heartbeat_ms * o_.liveness));
  } else {
    next = std::min(next, next_connect_);
  }
  if (auto d = pool_->NextDeadline()) next = std::min(next, *d);
  if (auto d = fetches_.NextDeadline(); d && socket_) next = std::min(next, *d);
  if (draining_) next = std::min(next, drain_deadline_);
  long ms = std::chrono::duration_cast<milliseconds>(next - now).count();
  return std::max(0L, ms) + 1;
}

Status Runner::Loop::Run() {
  if (o_.context) {
    ctx_ = o_.context;
  } else {
    owned_ctx_ = std::make_unique<zmq::context_t>(1);
    ctx_ = owned_ctx_.get();
  }
  S1MPLE_RETURN_IF_ERROR(Connect());
  while (true) {
    auto now = SteadyClock::now();
    std::vector<zmq::pollitem_t> items;
    items.push_back({nullptr, r_.stop_pipe_[0], ZMQ_POLLIN, 0});
    if (socket_) items.push_back({socket_->handle(), 0, ZMQ_POLLIN, 0});
    for (int fd : pool_->Fds()) items.push_back({nullptr, fd, ZMQ_POLLIN, 0});
    try {
      zmq::poll(items.data(), items.size(), milliseconds(TimeoutMs(now)));
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return Status::Ok();
    }
    // No exception leaves the loop (like the broker's): a job, a message or a worker that
    // makes one throw is logged and counted, and the runner carries on.
    try {
      if (o_.loop_probe_for_testing) o_.loop_probe_for_testing();
      now = SteadyClock::now();
      if (items[0].revents & ZMQ_POLLIN) {
        char buf[64];
        while (::read(r_.stop_pipe_[0], buf, sizeof buf) > 0) {
        }
        BeginDrain();
      }
      if (r_.stop_requested_.load() && !draining_) BeginDrain();
      // Messages from the broker (bounded per iteration so workers are served too).
      for (int i = 0; socket_ && i < 1000; ++i) {
        auto parts = transport::RecvParts(*socket_);
        if (!parts) break;
        last_recv_ = now;
        backoff_ms_ = 0;
        std::vector<std::string_view> views;
        for (const auto& p : *parts)
          views.emplace_back(static_cast<const char*>(p.data()), p.size());
        auto m = pr::Decode(views);
        if (!m.ok()) {
          spdlog::warn("runner {}: dropped a bad message from the broker: {}", o_.name,
                       m.status().ToString());
          continue;
        }
        HandleMessage(std::move(*m));
      }
      OnCompletions(pool_->Collect(now));
      OnFetchTimers(now);
      StartQueued();
      ReportStarted();
      if (socket_ && now - last_recv_ > milliseconds(o_.heartbeat_ms * o_.liveness)) {
        Disconnect("broker silent for " + std::to_string(o_.heartbeat_ms * o_.liveness) + " ms");
      }
      if (!socket_ && now >= next_connect_) {
        if (draining_) break;  // nobody to hand results to; the broker's lease expiry covers them
        S1MPLE_RETURN_IF_ERROR(Connect());
      }
      if (socket_ && now - last_send_ >= milliseconds(o_.heartbeat_ms)) {
        Send(pr::Heartbeat{static_cast<uint32_t>(pool_->busy())});
      }
      if (draining_ && Drained(now)) break;
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return Status::Ok();
      r_.counters_.loop_exceptions++;
      spdlog::error("runner {}: socket error in the loop: {}", o_.name, e.what());
    } catch (const std::exception& e) {
      r_.counters_.loop_exceptions++;
      spdlog::error("runner {}: unexpected exception in the loop: {}", o_.name, e.what());
    }
  }
  // Jobs killed by our shutdown did not fail: handed back, their attempts are not counted.
  if (pool_->busy() > 0)
    OnCompletions(
        pool_->KillBusy("handed back: runner " + o_.name + " shut down before the job finished"),
        /*handed_back=*/true);
  if (socket_) Send(pr::Disconnect{"runner " + o_.name + " shutting down"});
  spdlog::info("runner {}: stopped ({} results unacknowledged)", o_.name, unacked_.size());
  socket_.reset();
  return Status::Ok();
}

Runner::Runner(RunnerOptions options) : options_(std::move(options)) {
  if (options_.slots == 0) options_.slots = std::max(1u, std::thread::hardware_concurrency());
  if (options_.name.empty()) options_.name = DefaultName();
  if (options_.worker_argv.empty()) {
    options_.worker_argv = {"/proc/self/exe", "runner-worker"};
    if (options_.worker_memory_mb < 0) {
      const int64_t pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
      const int64_t total_mb = pages > 0 && page > 0 ? pages / 1024 * page / 1024 : 0;
      options_.worker_memory_mb =
          total_mb > 0 ? std::max<int64_t>(256, total_mb * 8 / 10 / options_.slots) : 0;
    }
    if (options_.worker_memory_mb > 0) {
      options_.worker_argv.push_back("--memory-limit-mb");
      options_.worker_argv.push_back(std::to_string(options_.worker_memory_mb));
    }
    if (options_.column_cache_mib) {
      options_.worker_argv.push_back("--column-cache-mib");
      options_.worker_argv.push_back(std::to_string(*options_.column_cache_mib));
    }
  }
  if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) stop_pipe_[0] = stop_pipe_[1] = -1;
}

Runner::~Runner() {
  if (stop_pipe_[0] >= 0) ::close(stop_pipe_[0]);
  if (stop_pipe_[1] >= 0) ::close(stop_pipe_[1]);
}

Status Validate(const RunnerOptions& o) {
  if (o.endpoint.empty()) return Status::InvalidArgument("runner: no broker endpoint (--connect)");
  const auto at_least = FlagAtLeast;
  S1MPLE_RETURN_IF_ERROR(at_least("--heartbeat-ms", o.heartbeat_ms, 1, "the heartbeat interval"));
  S1MPLE_RETURN_IF_ERROR(at_least("--liveness", o.liveness, 1,
                                  "missed beats before the broker is presumed gone; 0 gives up "
                                  "on it at the next tick"));
  S1MPLE_RETURN_IF_ERROR(
      at_least("--grace-ms", o.shutdown_grace_ms, 0, "the wait for running jobs on SIGTERM"));
  S1MPLE_RETURN_IF_ERROR(
      at_least("reconnect_min_ms", o.reconnect_min_ms, 1, "the first reconnect backoff"));
  S1MPLE_RETURN_IF_ERROR(at_least("reconnect_max_ms", o.reconnect_max_ms, o.reconnect_min_ms,
                                  "the backoff cap, at least reconnect_min_ms"));
  S1MPLE_RETURN_IF_ERROR(at_least("artifact_reply_timeout_ms", o.artifact_reply_timeout_ms, 1,
                                  "the wait for an artifact range"));
  S1MPLE_RETURN_IF_ERROR(at_least("artifact_tries", o.artifact_tries, 1, "GET tries per artifact"));
  return Status::Ok();
}

Status Runner::Run() {
  std::signal(SIGPIPE, SIG_IGN);  // a worker that dies while we write to it is an EPIPE, not a kill
  if (stop_pipe_[0] < 0) return Status::Internal("runner: cannot create its stop pipe");
  S1MPLE_RETURN_IF_ERROR(Validate(options_));
  Loop loop(*this);
  return loop.Run();
}

void Runner::Stop() {
  stop_requested_.store(true);
  if (stop_pipe_[1] >= 0) {
    ssize_t n = ::write(stop_pipe_[1], "x", 1);
    (void)n;
  }
}

RunnerStats Runner::stats() const {
  RunnerStats s;
  s.jobs_received = counters_.jobs_received;
  s.results_sent = counters_.results_sent;
  s.results_acked = counters_.results_acked;
  s.reconnects = counters_.reconnects;
  s.artifacts_fetched = counters_.artifacts_fetched;
  s.loop_exceptions = counters_.loop_exceptions;
  s.workers_spawned = counters_.workers_spawned;
  s.jobs_succeeded = counters_.jobs_succeeded;
  s.jobs_failed = counters_.jobs_failed;
  s.jobs_handed_back = counters_.jobs_handed_back;
  for (size_t i = 0; i < kFailureClassCount; ++i) s.failures[i] = counters_.failures[i];
  s.artifact_cache_hits = counters_.artifact_cache_hits;
  s.artifact_cache_misses = counters_.artifact_cache_misses;
  s.worker_restarts = counters_.worker_restarts;
  s.prefetch_depth = counters_.prefetch_depth;
  return s;
}

}  // namespace s1mple::runner
