#include "broker/broker_core.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include <spdlog/spdlog.h>

#include "protocol/json_slice.h"
#include "protocol/sha256.h"

namespace s1mple::broker {

namespace pr = s1mple::protocol;

namespace {

constexpr int64_t kRateWindowMs = 60000;
constexpr int64_t kSampleEveryMs = 1000;

std::string SweepStateName(const store::SweepInfo& s) {
  switch (s.state) {
    case store::SweepState::kSubmitting:
      return "open";
    case store::SweepState::kActive:
      return "running";
    case store::SweepState::kPaused:
      return "paused";
    case store::SweepState::kCancelled:
      return "cancelled";
    case store::SweepState::kDone:
      return "complete";
  }
  return "unknown";
}

double RateOf(const std::deque<std::pair<int64_t, uint64_t>>& samples) {
  if (samples.size() < 2) return 0;
  const auto& [t0, n0] = samples.front();
  const auto& [t1, n1] = samples.back();
  if (t1 <= t0 || n1 < n0) return 0;
  return static_cast<double>(n1 - n0) * 1000.0 / static_cast<double>(t1 - t0);
}

// A routing id as hex, for logs.
std::string PeerName(const std::string& peer) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : peer) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

// The byte budget of one reply: what the request asked for, at most the broker's budget.
size_t BudgetOf(uint64_t asked, size_t budget) {
  return asked == 0 || asked > budget ? budget : static_cast<size_t>(asked);
}

// The members `fields` of the result JSON object `text`, as a JSON object text (members in
// document order; missing ones are left out). A text that is not a JSON object is returned whole.
std::string SelectFields(const std::string& text, const std::vector<std::string>& fields) {
  auto members = pr::SliceJsonObject(text);
  if (!members) return text;
  std::string out = "{";
  for (const auto& [key, value] : *members) {
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += key;
    out += "\":";
    out += value;
  }
  out += '}';
  return out;
}

// STATUS paging cursor: "<created_ms>:<sweep id>" of the last sweep of a page (sweeps are listed
// oldest first by (created_ms, id), so a cursor stays valid when sweeps are deleted meanwhile).
std::string CursorOf(const store::SweepInfo& s) {
  return std::to_string(s.created_ms) + ":" + s.id;
}
bool AfterCursor(const store::SweepInfo& s, const std::string& cursor) {
  auto colon = cursor.find(':');
  if (colon == std::string::npos) return true;
  int64_t created = std::strtoll(cursor.c_str(), nullptr, 10);
  std::string id = cursor.substr(colon + 1);
  return std::tie(s.created_ms, s.id) > std::tie(created, id);
}

void AddSample(std::deque<std::pair<int64_t, uint64_t>>& samples, int64_t now, uint64_t n) {
  samples.emplace_back(now, n);
  while (samples.size() > 2 && samples.front().first < now - kRateWindowMs) samples.pop_front();
}

}  // namespace

BrokerCore::BrokerCore(store::JobStore& store, const store::Clock& clock, CoreOptions options)
    : store_(store), clock_(clock), options_(options) {
  for (const char* name : {"messages_in", "dropped_malformed", "dropped_version",
                           "disconnects_sent", "jobs_dispatched", "results_recorded",
                           "results_late", "results_duplicate", "results_rejected",
                           "failures_reported", "runners_lost", "leases_expired", "store_errors"}) {
    counters_[name] = 0;
  }
}

// ---- plumbing --------------------------------------------------------------------------------

void BrokerCore::Send(const std::string& peer, pr::Message m) {
  auto it = runners_.find(peer);
  if (it != runners_.end()) it->second.last_sent_ms = clock_.NowMs();
  outbox_.push_back({peer, std::move(m)});
}

void BrokerCore::Reply(const std::string& peer, uint64_t req, std::string_view command,
                       const Status& status, decltype(pr::Reply::payload) payload) {
  pr::Reply r;
  r.req = req;
  r.command = std::string(command);
  r.ok = status.ok();
  if (!status.ok())
    r.error = status.ToString();
  else
    r.payload = std::move(payload);
  Send(peer, std::move(r));
}

void BrokerCore::DisconnectPeer(const std::string& peer, const std::string& reason) {
  counters_["disconnects_sent"]++;
  Send(peer, pr::Disconnect{reason});
  auto it = runners_.find(peer);
  if (it != runners_.end()) {
    // Its leases stay: it reconnects under the same name, or they expire.
    peer_of_.erase(it->second.name);
    runners_.erase(it);
  }
}

BrokerCore::RunnerState* BrokerCore::RunnerFor(const std::string& peer) {
  auto it = runners_.find(peer);
  return it == runners_.end() ? nullptr : &it->second;
}

void BrokerCore::OnPeerGone(const std::string& peer) {
  auto it = runners_.find(peer);
  if (it == runners_.end()) return;
  // Keep it registered without credit: it either reconnects under its name (OnReady replaces
  // this entry) or stays silent and is declared lost, which puts its leases back.
  if (it->second.credit > 0) spdlog::info("broker: runner {} unreachable", it->second.name);
  it->second.credit = 0;
}

void BrokerCore::OnBadMessage(const std::string& peer, const Status& why) {
  counters_["messages_in"]++;
  if (why.IsFailedPrecondition())
    counters_["dropped_version"]++;
  else
    counters_["dropped_malformed"]++;
  spdlog::warn("broker: dropped a message from peer {}: {}", PeerName(peer), why.ToString());
  DisconnectPeer(peer, "protocol error: " + why.message());
}

void BrokerCore::OnMessage(const std::string& peer, pr::Message message) {
  counters_["messages_in"]++;
  if (RunnerState* r = RunnerFor(peer)) r->last_seen_ms = clock_.NowMs();
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, pr::Ready>)
          OnReady(peer, m);
        else if constexpr (std::is_same_v<T, pr::JobResult>)
          OnResult(peer, std::move(m));
        else if constexpr (std::is_same_v<T, pr::Heartbeat>)
          OnHeartbeat(peer);
        else if constexpr (std::is_same_v<T, pr::Disconnect>)
          OnRunnerDisconnect(peer, m);
        else if constexpr (std::is_same_v<T, pr::SubmitBegin>)
          OnSubmitBegin(peer, m);
        else if constexpr (std::is_same_v<T, pr::SubmitJobs>)
          OnSubmitJobs(peer, m);
        else if constexpr (std::is_same_v<T, pr::SubmitCommit>)
          OnSubmitCommit(peer, m);
        else if constexpr (std::is_same_v<T, pr::StatusRequest>)
          OnStatus(peer, m);
        else if constexpr (std::is_same_v<T, pr::ResultsRequest>)
          OnResults(peer, m);
        else if constexpr (std::is_same_v<T, pr::SweepControl>)
          OnControl(peer, m);
        else if constexpr (std::is_same_v<T, pr::Put>)
          OnPut(peer, m);
        else if constexpr (std::is_same_v<T, pr::Get>)
          OnGet(peer, m);
        else {
          // JOB, ACK, REPLY only ever go from the broker to a peer.
          counters_["dropped_malformed"]++;
          DisconnectPeer(peer, "protocol error: " + std::string(pr::CommandName(pr::Message(m))) +
                                   " is sent by the broker, not to it");
        }
      },
      message);
}

// ---- runners ---------------------------------------------------------------------------------

void BrokerCore::OnReady(const std::string& peer, const pr::Ready& m) {
  int64_t now = clock_.NowMs();
  auto named = peer_of_.find(m.runner);
  if (named != peer_of_.end() && named->second != peer) {
    // The same runner on a new connection (it reconnected): the old one is gone.
    spdlog::info("broker: runner {} reconnected", m.runner);
    runners_.erase(named->second);
  }
  auto [it, fresh] = runners_.try_emplace(peer);
  RunnerState& r = it->second;
  if (fresh) {
    r.connected_ms = now;
    r.last_job_ms = 0;
    spdlog::info("broker: runner {} ready with {} slots", m.runner, m.slots);
  }
  r.name = m.runner;
  r.slots = m.slots;
  r.max_credit = m.slots + m.queue;
  r.credit = m.credit;
  r.running = m.credit >= m.slots ? 0 : m.slots - m.credit;
  r.last_seen_ms = now;
  peer_of_[m.runner] = peer;
}

void BrokerCore::OnHeartbeat(const std::string& peer) {
  if (!RunnerFor(peer)) DisconnectPeer(peer, "unknown runner: send READY first");
}

void BrokerCore::OnRunnerDisconnect(const std::string& peer, const pr::Disconnect& m) {
  RunnerState* r = RunnerFor(peer);
  if (!r) return;
  spdlog::info("broker: runner {} left: {}", r->name, m.reason);
  std::string name = r->name;
  peer_of_.erase(name);
  runners_.erase(peer);
  auto ended = store_.ReleaseLeases(name, "runner left: " + m.reason);
  if (!ended.ok()) {
    counters_["store_errors"]++;
    spdlog::error("broker: releasing the leases of {}: {}", name, ended.status().ToString());
  }
}

void BrokerCore::OnResult(const std::string& peer, pr::JobResult m) {
  RunnerState* r = RunnerFor(peer);
  if (!r) {
    // Most likely a runner from before a broker restart: it reconnects and resends.
    DisconnectPeer(peer, "unknown runner: send READY first");
    return;
  }
  r->credit = std::min(r->max_credit, r->credit + m.credit);
  if (r->running > 0) r->running--;
  r->done++;
  if (m.outcome == pr::Outcome::kDone) {
    held_.push_back(store::CompleteOp{m.sweep, m.index, m.attempt, r->name, std::move(m.result)});
  } else {
    counters_["failures_reported"]++;
    held_.push_back(
        store::FailOp{m.sweep, m.index, m.attempt, r->name, std::move(m.error), m.retryable});
  }
  held_acks_.push_back({peer, pr::Ack{m.sweep, m.index, m.attempt, pr::AckDisposition::kRecorded}});
}

void BrokerCore::ApplyResults() {
  if (held_.empty()) return;
  auto outcomes = store_.Apply(held_);
  if (!outcomes.ok()) {
    // Nothing is ACKed: the runners keep their results and resend after reconnecting.
    counters_["store_errors"]++;
    spdlog::error("broker: recording {} results failed: {}", held_.size(),
                  outcomes.status().ToString());
    held_.clear();
    held_acks_.clear();
    return;
  }
  for (size_t i = 0; i < held_acks_.size() && i < outcomes->size(); ++i) {
    pr::Ack& ack = held_acks_[i].ack;
    switch ((*outcomes)[i]) {
      case store::Outcome::kDone:
        counters_["results_recorded"]++;
        break;
      case store::Outcome::kDoneLate:
        counters_["results_recorded"]++;
        counters_["results_late"]++;
        break;
      case store::Outcome::kDuplicate:
        counters_["results_duplicate"]++;
        ack.disposition = pr::AckDisposition::kDuplicate;
        break;
      case store::Outcome::kRejected:
        counters_["results_rejected"]++;
        ack.disposition = pr::AckDisposition::kRejected;
        break;
      case store::Outcome::kRetry:
      case store::Outcome::kFailed:
      case store::Outcome::kStale:
        break;
    }
    Send(held_acks_[i].peer, ack);
  }
  held_.clear();
  held_acks_.clear();
}

void BrokerCore::LoseRunner(const std::string& peer, const std::string& reason) {
  auto it = runners_.find(peer);
  if (it == runners_.end()) return;
  std::string name = it->second.name;
  peer_of_.erase(name);
  runners_.erase(it);
  counters_["runners_lost"]++;
  auto ended = store_.ReleaseLeases(name, reason);
  if (!ended.ok()) {
    counters_["store_errors"]++;
    spdlog::error("broker: releasing the leases of {}: {}", name, ended.status().ToString());
    return;
  }
  spdlog::warn("broker: runner {} lost ({}); {} leases back", name, reason, ended->size());
}

// ---- dispatch --------------------------------------------------------------------------------

const store::SweepInfo* BrokerCore::SweepCached(const std::string& id) {
  auto it = sweep_cache_.find(id);
  if (it != sweep_cache_.end()) return &it->second;
  auto info = store_.GetSweep(id);
  if (!info.ok()) return nullptr;
  return &(sweep_cache_[id] = std::move(*info));
}

size_t BrokerCore::LeaseTo(const std::string& peer, RunnerState& r,
                           const store::DispatchableSweep& s, size_t n) {
  const store::SweepInfo* info = SweepCached(s.id);
  if (!info) return 0;
  int64_t timeout = s.timeout_per_run_ms > 0 ? s.timeout_per_run_ms : options_.default_timeout_ms;
  auto leased = store_.LeaseNext(s.id, r.name, n, timeout + options_.lease_grace_ms);
  if (!leased.ok()) {
    if (!leased.status().IsFailedPrecondition()) {
      counters_["store_errors"]++;
      spdlog::error("broker: leasing from {}: {}", s.id, leased.status().ToString());
    }
    return 0;
  }
  std::string kind = info->kind == store::SweepKind::kDiag ? "diag" : "backtest";
  for (auto& job : *leased) {
    pr::Job j;
    j.sweep = job.sweep;
    j.index = job.index;
    j.attempt = job.attempt;
    j.timeout_ms = static_cast<uint64_t>(timeout);
    j.kind = kind;
    j.artifacts = info->base_artifacts;
    j.overrides = std::move(job.overrides);
    Send(peer, std::move(j));
  }
  size_t got = leased->size();
  r.credit -= static_cast<uint32_t>(got);
  r.running += static_cast<uint32_t>(got);
  r.last_job_ms = clock_.NowMs();
  counters_["jobs_dispatched"] += got;
  return got;
}

void BrokerCore::Dispatch() {
  std::vector<std::string> waiting;  // runners with credit, oldest-served first
  for (const auto& [peer, r] : runners_) {
    if (r.credit > 0) waiting.push_back(peer);
  }
  if (waiting.empty()) return;
  std::vector<store::DispatchableSweep> sweeps = store_.Dispatchable();
  if (sweeps.empty()) return;
  std::stable_sort(waiting.begin(), waiting.end(),
                   [this](const std::string& a, const std::string& b) {
                     return runners_.at(a).last_job_ms < runners_.at(b).last_job_ms;
                   });
  auto allowed = [](const store::DispatchableSweep& s) -> uint64_t {
    uint64_t cap = s.pending;
    if (s.max_workers > 0)
      cap = s.leased >= s.max_workers ? 0 : std::min<uint64_t>(cap, s.max_workers - s.leased);
    return cap;
  };
  for (const std::string& peer : waiting) {
    RunnerState& r = runners_.at(peer);
    while (r.credit > 0) {
      size_t eligible = 0;
      for (const auto& s : sweeps) eligible += allowed(s) > 0 ? 1 : 0;
      if (eligible == 0) return;
      // One round: every eligible sweep gets an equal share of this runner's credit, starting
      // with the sweep after the one that went first last time.
      size_t share = std::max<size_t>(1, r.credit / eligible);
      bool progress = false;
      for (size_t i = 0; i < sweeps.size() && r.credit > 0; ++i) {
        auto& s = sweeps[(round_robin_ + i) % sweeps.size()];
        size_t take =
            std::min<uint64_t>({share, allowed(s), r.credit, options_.max_jobs_per_lease});
        if (take == 0) continue;
        size_t got = LeaseTo(peer, r, s, take);
        s.pending -= std::min<uint64_t>(s.pending, got);
        s.leased += got;
        if (got < take) s.pending = 0;  // the store had fewer than it said: stop asking
        progress = progress || got > 0;
      }
      round_robin_++;
      if (!progress) break;
    }
  }
}

void BrokerCore::Flush() {
  ApplyResults();
  Dispatch();
}

// ---- timers ----------------------------------------------------------------------------------

void BrokerCore::ExpireLeases(int64_t now) {
  auto next = store_.NextLeaseDeadline();
  if (!next || *next > now) return;
  auto ended = store_.ExpireLeases(now);
  if (!ended.ok()) {
    counters_["store_errors"]++;
    spdlog::error("broker: expiring leases: {}", ended.status().ToString());
    return;
  }
  counters_["leases_expired"] += ended->size();
  for (const auto& e : *ended) {
    spdlog::warn("broker: lease of {}/{} (attempt {}, runner {}) expired: {}", e.sweep, e.index,
                 e.attempt, e.runner, store::ToString(e.outcome));
    auto p = peer_of_.find(e.runner);
    if (p != peer_of_.end()) {
      RunnerState& r = runners_.at(p->second);
      if (r.running > 0) r.running--;
    }
  }
}

void BrokerCore::SampleRates(int64_t now) {
  if (now - last_sample_ms_ < kSampleEveryMs) return;
  last_sample_ms_ = now;
  for (const auto& s : store_.ListSweeps()) {
    if (s.state == store::SweepState::kDone && !rates_.count(s.id)) continue;
    AddSample(rates_[s.id].samples, now, s.counts.done + s.counts.failed);
  }
  for (auto& [peer, r] : runners_) AddSample(r.samples, now, r.done);
}

double BrokerCore::SweepRateOf(const std::string& id) const {
  auto it = rates_.find(id);
  return it == rates_.end() ? 0 : RateOf(it->second.samples);
}

void BrokerCore::OnTick() {
  int64_t now = clock_.NowMs();
  SampleRates(now);
  ExpireLeases(now);
  int64_t silence = options_.heartbeat_ms * options_.liveness;
  std::vector<std::string> lost;
  for (const auto& [peer, r] : runners_) {
    if (now - r.last_seen_ms > silence) lost.push_back(peer);
  }
  for (const auto& peer : lost)
    LoseRunner(peer, "runner lost: silent for " + std::to_string(silence) + " ms");
  for (auto& [peer, r] : runners_) {
    if (now - r.last_sent_ms >= options_.heartbeat_ms) Send(peer, pr::Heartbeat{r.running});
  }
  Dispatch();
}

int64_t BrokerCore::NextWakeMs() const {
  int64_t now = clock_.NowMs();
  int64_t next = now + kSampleEveryMs;
  int64_t silence = options_.heartbeat_ms * options_.liveness;
  for (const auto& [peer, r] : runners_) {
    next = std::min(next, r.last_sent_ms + options_.heartbeat_ms);
    next = std::min(next, r.last_seen_ms + silence + 1);
  }
  if (auto d = store_.NextLeaseDeadline()) next = std::min(next, *d);
  return std::max<int64_t>(0, next - now);
}

// ---- clients ---------------------------------------------------------------------------------

void BrokerCore::OnSubmitBegin(const std::string& peer, const pr::SubmitBegin& m) {
  auto kind = store::ParseSweepKind(m.spec.kind);
  if (!kind) {
    Reply(peer, m.req, "SUBMIT_BEGIN",
          Status::InvalidArgument("field 'kind': expected optimization, variant or diag, got '" +
                                  m.spec.kind + "'"));
    return;
  }
  store::SweepSpec spec;
  spec.name = m.spec.name;
  spec.kind = *kind;
  spec.plan_text = m.spec.plan;
  spec.base_artifacts = m.spec.artifacts;
  spec.max_attempts = m.spec.max_attempts;
  spec.timeout_per_run_ms = static_cast<int64_t>(m.spec.timeout_ms);
  spec.max_workers = m.spec.max_workers;
  if (m.resume_identical) {
    // A cut-off submission of the identical plan: hand it back to finish (newest first).
    for (const auto& s : store_.FindSweepsByPlanHash(pr::Sha256Hex(spec.plan_text))) {
      if (s.state != store::SweepState::kSubmitting || s.kind != spec.kind ||
          s.base_artifacts != spec.base_artifacts)
        continue;
      spdlog::info("broker: sweep {} '{}' resumed by an identical submission ({} jobs stored)",
                   s.id, s.name, s.job_count);
      Reply(peer, m.req, "SUBMIT_BEGIN", Status::Ok(),
            pr::SubmitBeginReply{s.id, true, s.job_count});
      return;
    }
  }
  auto id = store_.CreateSweep(spec);
  if (!id.ok()) {
    Reply(peer, m.req, "SUBMIT_BEGIN", id.status());
    return;
  }
  spdlog::info("broker: sweep {} '{}' created", *id, spec.name);
  Reply(peer, m.req, "SUBMIT_BEGIN", Status::Ok(), pr::SubmitBeginReply{*id});
}

void BrokerCore::OnSubmitJobs(const std::string& peer, const pr::SubmitJobs& m) {
  auto info = store_.GetSweep(m.sweep);
  if (!info.ok()) {
    Reply(peer, m.req, "SUBMIT_JOBS", info.status());
    return;
  }
  uint64_t end = m.first_index + m.overrides.size();
  if (end <= info->job_count) {
    Reply(peer, m.req, "SUBMIT_JOBS", Status::Ok());  // a resent batch: already stored
    return;
  }
  if (m.first_index != info->job_count) {
    Reply(peer, m.req, "SUBMIT_JOBS",
          Status::InvalidArgument("field 'first_index': " + std::to_string(m.first_index) +
                                  ", but sweep " + m.sweep + " has " +
                                  std::to_string(info->job_count) + " jobs"));
    return;
  }
  Reply(peer, m.req, "SUBMIT_JOBS", store_.AddJobs(m.sweep, m.first_index, m.overrides));
}

void BrokerCore::OnSubmitCommit(const std::string& peer, const pr::SubmitCommit& m) {
  auto info = store_.GetSweep(m.sweep);
  if (!info.ok()) {
    Reply(peer, m.req, "SUBMIT_COMMIT", info.status());
    return;
  }
  if (info->state != store::SweepState::kSubmitting && info->job_count == m.total) {
    Reply(peer, m.req, "SUBMIT_COMMIT", Status::Ok());  // a resent commit
    return;
  }
  Status st = store_.SealSweep(m.sweep, m.total);
  if (st.ok()) spdlog::info("broker: sweep {} sealed with {} jobs", m.sweep, m.total);
  Reply(peer, m.req, "SUBMIT_COMMIT", st);
  if (st.ok()) Dispatch();
}

pr::StatusReply BrokerCore::BuildStatus(const std::string& sweep, const std::string& after) const {
  pr::StatusReply out;
  std::vector<store::SweepInfo> sweeps;
  if (sweep.empty()) {
    sweeps = store_.ListSweeps();
  } else if (auto one = store_.GetSweep(sweep); one.ok()) {
    sweeps.push_back(std::move(*one));
  }
  size_t bytes = 0;
  for (const auto& s : sweeps) {
    if (sweep.empty() && !after.empty() && !AfterCursor(s, after)) continue;
    // A sweep's entry is its id, name and state plus eleven numbers (under 128 bytes with keys).
    const size_t entry = s.id.size() + s.name.size() + 128;
    if (sweep.empty() && !out.sweeps.empty() && bytes + entry > options_.reply_budget_bytes) {
      out.next = CursorOf(sweeps[&s - sweeps.data() - 1]);
      break;
    }
    bytes += entry;
    pr::SweepStatus st;
    st.sweep = s.id;
    st.name = s.name;
    st.state = SweepStateName(s);
    st.total = s.job_count;
    st.pending = s.counts.pending;
    st.running = s.counts.leased;
    st.done = s.counts.done;
    st.failed = s.counts.failed;
    st.max_workers = s.max_workers;
    st.rate = SweepRateOf(s.id);
    uint64_t left = s.counts.pending + s.counts.leased;
    st.eta_s = left == 0 ? 0 : (st.rate > 0 ? static_cast<double>(left) / st.rate : -1);
    out.sweeps.push_back(std::move(st));
  }
  int64_t now = clock_.NowMs();
  for (const auto& [peer, r] : runners_) {
    pr::RunnerStatus rs;
    rs.runner = r.name;
    rs.slots = r.slots;
    rs.credit = r.credit;
    rs.running = r.running;
    rs.done = r.done;
    rs.rate = RateOf(r.samples);
    rs.connected_s = static_cast<double>(now - r.connected_ms) / 1000.0;
    out.runners.push_back(std::move(rs));
  }
  out.counters = counters_;
  return out;
}

void BrokerCore::OnStatus(const std::string& peer, const pr::StatusRequest& m) {
  if (!m.sweep.empty()) {
    auto info = store_.GetSweep(m.sweep);
    if (!info.ok()) {
      Reply(peer, m.req, "STATUS", info.status());
      return;
    }
  }
  pr::StatusReply reply = BuildStatus(m.sweep, m.after);
  if (m.include_plan && !m.sweep.empty() && reply.sweeps.size() == 1) {
    auto plan = store_.GetPlan(m.sweep);
    if (!plan.ok()) {
      Reply(peer, m.req, "STATUS", plan.status());
      return;
    }
    reply.sweeps[0].plan = std::move(plan).value();
  }
  Reply(peer, m.req, "STATUS", Status::Ok(), reply);
}

void BrokerCore::OnResults(const std::string& peer, const pr::ResultsRequest& m) {
  auto info = store_.GetSweep(m.sweep);
  if (!info.ok()) {
    Reply(peer, m.req, "RESULTS", info.status());
    return;
  }
  pr::ResultsReply out;
  out.next = m.after;
  const size_t budget = BudgetOf(m.max_bytes, options_.reply_budget_bytes);
  size_t bytes = 0;
  Status inner = Status::Ok();
  Status st = store_.ScanJobs(m.sweep, m.after, m.limit, [&](const store::JobInfo& job) {
    bool finished = job.state == store::JobState::kDone || job.state == store::JobState::kFailed;
    if (!finished && !m.include_pending) {
      out.next = job.index + 1;
      return true;
    }
    // The page is full: this job starts the next one (a page holds at least one item).
    if (!out.items.empty() && bytes >= budget) return false;
    pr::ResultItem item;
    item.index = job.index;
    item.attempts = job.attempt;
    item.overrides = job.overrides;
    switch (job.state) {
      case store::JobState::kPending:
        item.state = "pending";
        break;
      case store::JobState::kLeased:
        item.state = "running";
        break;
      case store::JobState::kDone:
        item.state = "done";
        break;
      case store::JobState::kFailed:
        item.state = "failed";
        break;
    }
    if (job.state == store::JobState::kDone) {
      auto result = store_.GetResult(m.sweep, job.index);
      if (!result.ok()) {
        inner = result.status();
        return false;
      }
      item.result = m.fields.empty() ? std::move(*result) : SelectFields(*result, m.fields);
    }
    if (job.state == store::JobState::kFailed) item.error = job.failure_reason;
    bytes += item.overrides.size() + item.result.size() + item.error.size() + 64;
    if (!out.items.empty() && bytes > budget) return false;  // it goes first on the next page
    out.next = job.index + 1;
    out.items.push_back(std::move(item));
    return true;
  });
  if (st.ok()) st = inner;
  out.end = out.next >= info->job_count;
  Reply(peer, m.req, "RESULTS", st, std::move(out));
}

void BrokerCore::OnControl(const std::string& peer, const pr::SweepControl& m) {
  Status st;
  std::string_view command;
  switch (m.action) {
    case pr::ControlAction::kPause:
      st = store_.PauseSweep(m.sweep);
      command = "PAUSE";
      break;
    case pr::ControlAction::kResume:
      st = store_.ResumeSweep(m.sweep);
      command = "RESUME";
      break;
    case pr::ControlAction::kCancel:
      st = store_.CancelSweep(m.sweep);
      command = "CANCEL";
      break;
  }
  if (st.ok()) spdlog::info("broker: sweep {}: {}", m.sweep, command);
  Reply(peer, m.req, command, st);
  if (st.ok()) Dispatch();
}

void BrokerCore::OnPut(const std::string& peer, const pr::Put& m) {
  auto hash = store_.PutArtifact(m.data, m.hash);
  Reply(peer, m.req, "PUT", hash.status());
}

void BrokerCore::OnGet(const std::string& peer, const pr::Get& m) {
  auto data = store_.GetArtifact(m.hash);
  if (!data.ok()) {
    Reply(peer, m.req, "GET", data.status());
    return;
  }
  const uint64_t total = data->size();
  if (m.offset > total) {
    Reply(peer, m.req, "GET",
          Status::InvalidArgument("field 'offset': " + std::to_string(m.offset) +
                                  " is beyond the end of artifact " + m.hash + " (" +
                                  std::to_string(total) + " bytes)"));
    return;
  }
  const uint64_t chunk =
      m.length == 0 || m.length > pr::kArtifactChunkBytes ? pr::kArtifactChunkBytes : m.length;
  const uint64_t n = std::min(chunk, total - m.offset);
  pr::GetReply g;
  g.hash = m.hash;
  g.offset = m.offset;
  g.total = total;
  if (m.offset == 0 && n == total)
    g.data = std::move(*data);
  else
    g.data = data->substr(static_cast<size_t>(m.offset), static_cast<size_t>(n));
  Reply(peer, m.req, "GET", Status::Ok(), std::move(g));
}

}  // namespace s1mple::broker
