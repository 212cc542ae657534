#include "broker/broker_core.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <tuple>

#include <spdlog/spdlog.h>

#include "common/flag_check.h"
#include "common/json_slice.h"
#include "common/sha256.h"

namespace s1mple::broker {

namespace pr = s1mple::protocol;

namespace {

constexpr int64_t kRateWindowMs = 60000;
constexpr int64_t kSampleEveryMs = 1000;
constexpr int64_t kLogWindowMs = 10000;  // one line per distinct store error per window

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
  auto members = SliceJsonObject(text);
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

// Seconds since `start` into `h` (when there is one).
void ObserveWrite(metrics::Histogram* h, std::chrono::steady_clock::time_point start) {
  if (h)
    h->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

BrokerCore::SlotUse BrokerCore::slot_use() const {
  SlotUse u;
  for (const auto& [peer, r] : runners_) {
    u.total += r.slots;
    u.busy += std::min<uint64_t>(r.slots, r.outstanding.size());
  }
  return u;
}

Status Validate(const CoreOptions& o) {
  const auto at_least = FlagAtLeast;
  S1MPLE_RETURN_IF_ERROR(at_least("--heartbeat-ms", o.heartbeat_ms, 1, "the heartbeat interval"));
  S1MPLE_RETURN_IF_ERROR(at_least("--liveness", o.liveness, 1,
                                  "missed beats before a runner is lost; 0 loses every runner "
                                  "at the next tick"));
  S1MPLE_RETURN_IF_ERROR(at_least("--default-timeout-ms", o.default_timeout_ms, 1,
                                  "timeout_per_run of sweeps that give none"));
  S1MPLE_RETURN_IF_ERROR(
      at_least("--lease-grace-ms", o.lease_grace_ms, 0, "added to timeout_per_run for a lease"));
  S1MPLE_RETURN_IF_ERROR(at_least("max_jobs_per_lease", static_cast<int64_t>(o.max_jobs_per_lease),
                                  1, "jobs leased in one store batch"));
  S1MPLE_RETURN_IF_ERROR(at_least("reply_budget_bytes", static_cast<int64_t>(o.reply_budget_bytes),
                                  1, "bytes of a RESULTS page"));
  return Status::Ok();
}

BrokerCore::BrokerCore(store::JobStore& store, const store::Clock& clock, CoreOptions options)
    : store_(store), clock_(clock), options_(options), log_limiter_(kLogWindowMs) {
  for (const char* name :
       {"messages_in", "dropped_malformed", "dropped_version", "disconnects_sent",
        "jobs_dispatched", "results_recorded", "results_late", "results_duplicate",
        "results_rejected", "failures_reported", "results_handed_back", "jobs_revoked",
        "leases_reclaimed", "leases_returned", "runners_renamed", "runners_lost", "leases_expired",
        "store_errors"}) {
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

BrokerCore::RunnerState* BrokerCore::RunnerNamed(const std::string& name) {
  auto p = peer_of_.find(name);
  return p == peer_of_.end() ? nullptr : RunnerFor(p->second);
}

void BrokerCore::StoreError(const std::string& what, const Status& status) {
  counters_["store_errors"]++;
  uint64_t suppressed = 0;
  // The key leaves out `what`'s numbers (e.g. how many results), so a repeating fault is one key.
  std::string key = what.substr(0, what.find_first_of("0123456789")) + "|" + status.ToString();
  if (!log_limiter_.Allow(key, clock_.NowMs(), &suppressed)) return;
  if (suppressed > 0) {
    spdlog::error("broker: {}: {} ({} more like it since the last such line)", what,
                  status.ToString(), suppressed);
  } else {
    spdlog::error("broker: {}: {}", what, status.ToString());
  }
}

void BrokerCore::OnPeerGone(const std::string& peer) {
  auto it = runners_.find(peer);
  if (it == runners_.end()) return;
  // Keep it registered without credit: it either reconnects under its name (OnReady replaces
  // this entry) or stays silent and is declared lost, which puts its leases back.
  if (!it->second.unreachable) spdlog::info("broker: runner {} unreachable", it->second.name);
  it->second.credit = 0;
  it->second.unreachable = true;
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
          OnHeartbeat(peer, m);
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
          // JOB, ACK, REPLY, REVOKE only ever go from the broker to a peer.
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
  if (RunnerState* same = RunnerFor(peer)) {
    if (same->requested == m.runner && same->instance == m.instance) {
      // READY again on the same connection: new credit (e.g. 0 from a stopping runner). Its
      // held list is not reconciled: JOBs may be in flight to it on this connection.
      same->slots = m.slots;
      same->max_credit = m.slots + m.queue;
      same->credit = m.credit;
      same->last_seen_ms = now;
      return;
    }
    peer_of_.erase(same->name);  // another runner on this connection: the old entry goes
    runners_.erase(peer);
  }
  // Who was this runner before this connection?
  Arrival how = Arrival::kFresh;
  std::string name = m.runner;
  std::string previous_peer;
  if (!m.instance.empty()) {
    for (const auto& [p, r] : runners_) {
      if (r.requested == m.runner && r.instance == m.instance) previous_peer = p;
    }
  }
  if (!previous_peer.empty()) {
    how = Arrival::kReconnect;  // the same process on a new connection
    name = runners_.at(previous_peer).name;
  } else if (RunnerState* holder = RunnerNamed(m.runner)) {
    previous_peer = peer_of_.at(m.runner);
    if (m.instance.empty() || holder->instance.empty()) {
      how = Arrival::kReconnect;  // a runner that sends no instance: take it as the same one
    } else if (holder->unreachable || (peer_alive_ && !peer_alive_(previous_peer))) {
      how = Arrival::kRestart;  // a new process under the name; the old connection is gone
    } else {
      // Two live runners with one name: the second gets a unique one, nobody is knocked off.
      for (int k = 2; peer_of_.count(name); ++k) name = m.runner + "~" + std::to_string(k);
      counters_["runners_renamed"]++;
      spdlog::warn(
          "broker: a second runner named {} connected (another process: instance {}, the "
          "connected one is {}); it is registered as {}: give each runner its own --name",
          m.runner, m.instance, holder->instance, name);
      previous_peer.clear();
    }
  }
  if (!previous_peer.empty()) {
    spdlog::info("broker: runner {} {}", name,
                 how == Arrival::kRestart ? "restarted (a new process)" : "reconnected");
    peer_of_.erase(runners_.at(previous_peer).name);
    runners_.erase(previous_peer);
  } else {
    spdlog::info("broker: runner {} ready with {} slots", name, m.slots);
  }
  RunnerState& r = runners_[peer];
  r.name = name;
  r.requested = m.runner;
  r.instance = m.instance;
  r.slots = m.slots;
  r.max_credit = m.slots + m.queue;
  r.credit = m.credit;
  r.connected_ms = now;
  r.last_seen_ms = now;
  r.last_sent_ms = now;
  peer_of_[name] = peer;
  if (m.held) Reconcile(peer, r, *m.held, how);
}

void BrokerCore::Reconcile(const std::string& peer, RunnerState& r,
                           const std::vector<pr::JobRef>& held, Arrival how) {
  int64_t now = clock_.NowMs();
  std::vector<store::HeldLease> leases;
  leases.reserve(held.size());
  for (const auto& h : held) {
    leases.push_back({{h.sweep, h.index, h.attempt}, now + LeaseMsOf(h.sweep)});
  }
  // A runner process that does not hold a job never got it (in flight when its connection
  // dropped, or sent to the broker before a restart of the broker): not the job's fault. A
  // new process under the name lost what the old one ran: a lost runner, counted.
  const bool counted = how == Arrival::kRestart;
  const std::string reason =
      counted ? "runner " + r.name + " lost: it restarted (a new process holds none of its jobs)"
              : "returned: runner " + r.name + " did not hold the job when it (re)connected";
  auto result = store_.Reclaim(r.name, leases, reason, counted);
  if (!result.ok()) {
    StoreError("reclaiming the leases of " + r.name, result.status());
    return;
  }
  pr::Revoke drop;
  for (size_t i = 0; i < held.size(); ++i) {
    if (!result->reclaimed[i]) {
      drop.jobs.push_back(held[i]);  // no longer its lease: do not start it
      continue;
    }
    Outstanding o;
    o.attempt = held[i].attempt;
    o.lease_ms = LeaseMsOf(held[i].sweep);
    o.deadline_ms = leases[i].new_deadline_ms;
    r.outstanding[{held[i].sweep, held[i].index}] = o;
    if (!r.instance.empty()) next_extend_ms_ = std::min(next_extend_ms_, now + o.lease_ms / 2);
  }
  counters_["leases_reclaimed"] += r.outstanding.size();
  counters_["leases_returned"] += result->returned.size();
  if (!result->returned.empty() || !drop.jobs.empty()) {
    spdlog::info(
        "broker: runner {}: {} held jobs reclaimed, {} of its other leases returned ({}), "
        "{} held jobs no longer its own",
        r.name, r.outstanding.size(), result->returned.size(),
        counted ? "attempts counted" : "attempts not counted", drop.jobs.size());
  }
  if (!drop.jobs.empty()) Send(peer, std::move(drop));
}

void BrokerCore::OnHeartbeat(const std::string& peer, const pr::Heartbeat& m) {
  RunnerState* r = RunnerFor(peer);
  if (!r) {
    DisconnectPeer(peer, "unknown runner: send READY first");
    return;
  }
  int64_t now = clock_.NowMs();
  for (const auto& s : m.started) {
    auto it = r->outstanding.find({s.sweep, s.index});
    if (it == r->outstanding.end() || it->second.attempt != s.attempt) continue;
    Outstanding& o = it->second;
    o.started = true;
    // The lease clock restarts when the job starts. A job that started about when it was sent
    // keeps its lease (no store write): it still has most of the grace for its report.
    int64_t deadline = now + o.lease_ms;
    if (deadline - o.deadline_ms <= options_.lease_grace_ms / 4) continue;
    auto extended = store_.ExtendLease(s.sweep, s.index, s.attempt, r->name, deadline);
    if (!extended.ok()) {
      StoreError("restarting the lease of a started job", extended.status());
    } else if (*extended) {
      o.deadline_ms = deadline;
    } else {
      r->outstanding.erase(it);  // the lease is no longer this runner's
    }
  }
}

void BrokerCore::OnRunnerDisconnect(const std::string& peer, const pr::Disconnect& m) {
  RunnerState* r = RunnerFor(peer);
  if (!r) return;
  spdlog::info("broker: runner {} left: {}", r->name, m.reason);
  // The results and hand-backs it sent before leaving go first, so they are not taken for
  // abandoned leases.
  ApplyResults();
  std::string name = r->name;
  peer_of_.erase(name);
  runners_.erase(peer);
  // What is left was never run to an end by it (a runner that leaves reports every job it ran):
  // not the jobs' fault, not counted.
  auto ended = store_.ReleaseLeases(name, "runner left: " + m.reason, /*counted=*/false);
  if (!ended.ok()) StoreError("releasing the leases of " + name, ended.status());
}

void BrokerCore::OnResult(const std::string& peer, pr::JobResult m) {
  RunnerState* r = RunnerFor(peer);
  if (!r) {
    // Most likely a runner from before a broker restart: it reconnects and resends.
    DisconnectPeer(peer, "unknown runner: send READY first");
    return;
  }
  r->credit = std::min(r->max_credit, r->credit + m.credit);
  auto it = r->outstanding.find({m.sweep, m.index});
  if (it != r->outstanding.end() && it->second.attempt == m.attempt) r->outstanding.erase(it);
  if (m.outcome == pr::Outcome::kDone) {
    r->done++;
    held_.push_back(store::CompleteOp{m.sweep, m.index, m.attempt, r->name, std::move(m.result)});
  } else {
    if (m.handed_back) {
      counters_["results_handed_back"]++;
    } else {
      r->done++;
      counters_["failures_reported"]++;
    }
    held_.push_back(store::FailOp{m.sweep, m.index, m.attempt, r->name, std::move(m.error),
                                  m.retryable, m.handed_back});
  }
  held_acks_.push_back({peer, pr::Ack{m.sweep, m.index, m.attempt, pr::AckDisposition::kRecorded}});
}

void BrokerCore::ApplyResults() {
  if (held_.empty()) return;
  const auto write_start = std::chrono::steady_clock::now();
  auto outcomes = store_.Apply(held_);
  ObserveWrite(store_write_seconds_, write_start);
  if (!outcomes.ok()) {
    // Nothing is ACKed: the runners keep their results and resend after reconnecting.
    StoreError("recording " + std::to_string(held_.size()) + " results", outcomes.status());
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
      case store::Outcome::kDuplicate:  // job already DONE
      case store::Outcome::kStale:      // a failure of an attempt that already ended
        counters_["results_duplicate"]++;
        ack.disposition = pr::AckDisposition::kDuplicate;
        break;
      case store::Outcome::kRejected: {
        counters_["results_rejected"]++;
        ack.disposition = pr::AckDisposition::kRejected;
        uint64_t suppressed = 0;
        if (log_limiter_.Allow("rejected|" + held_acks_[i].peer, clock_.NowMs(), &suppressed)) {
          spdlog::warn(
              "broker: result for {}/{} attempt {} rejected: unknown job, job failed, "
              "sweep cancelled, or not a lease its runner held ({} more from this "
              "runner since the last such line)",
              ack.sweep, ack.index, ack.attempt, suppressed);
        }
        break;
      }
      case store::Outcome::kRetry:
      case store::Outcome::kFailed:
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
  RunnerState r = std::move(it->second);
  peer_of_.erase(r.name);
  runners_.erase(it);
  counters_["runners_lost"]++;
  // Jobs it had not started (it reports its starts) never ran: back without counting.
  std::vector<store::JobAttempt> not_started;
  if (!r.instance.empty()) {
    for (const auto& [key, o] : r.outstanding)
      if (!o.started) not_started.push_back({key.first, key.second, o.attempt});
  }
  size_t returned = 0;
  if (!not_started.empty()) {
    auto back = store_.EndLeases(r.name, not_started, reason + " (the job had not started)",
                                 /*counted=*/false);
    if (!back.ok()) StoreError("returning the queued jobs of " + r.name, back.status());
    if (back.ok()) returned = back->size();
  }
  auto ended = store_.ReleaseLeases(r.name, reason);
  if (!ended.ok()) {
    StoreError("releasing the leases of " + r.name, ended.status());
    return;
  }
  spdlog::warn("broker: runner {} lost ({}); {} leases back, {} of them not started", r.name,
               reason, ended->size() + returned, returned);
}

// ---- dispatch --------------------------------------------------------------------------------

const store::SweepInfo* BrokerCore::SweepCached(const std::string& id) {
  auto it = sweep_cache_.find(id);
  if (it != sweep_cache_.end()) return &it->second;
  auto info = store_.GetSweep(id);
  if (!info.ok()) return nullptr;
  return &(sweep_cache_[id] = std::move(*info));
}

int64_t BrokerCore::LeaseMsOf(const std::string& sweep) {
  const store::SweepInfo* info = SweepCached(sweep);
  int64_t timeout =
      info && info->timeout_per_run_ms > 0 ? info->timeout_per_run_ms : options_.default_timeout_ms;
  return timeout + options_.lease_grace_ms;
}

uint32_t BrokerCore::Available(const RunnerState& r) {
  size_t held = r.outstanding.size();
  if (held >= r.max_credit) return 0;
  return std::min<uint32_t>(r.credit, r.max_credit - static_cast<uint32_t>(held));
}

uint32_t BrokerCore::SlotRoom(const RunnerState& r) {
  size_t held = r.outstanding.size();
  if (held >= r.slots) return 0;
  return std::min<uint32_t>(Available(r), r.slots - static_cast<uint32_t>(held));
}

size_t BrokerCore::LeaseTo(const std::string& peer, RunnerState& r,
                           const store::DispatchableSweep& s, size_t n) {
  const store::SweepInfo* info = SweepCached(s.id);
  if (!info) return 0;
  int64_t timeout = s.timeout_per_run_ms > 0 ? s.timeout_per_run_ms : options_.default_timeout_ms;
  int64_t lease_ms = timeout + options_.lease_grace_ms;
  const auto write_start = std::chrono::steady_clock::now();
  auto leased = store_.LeaseNext(s.id, r.name, n, lease_ms);
  ObserveWrite(store_write_seconds_, write_start);
  if (!leased.ok()) {
    if (!leased.status().IsFailedPrecondition())
      StoreError("leasing from " + s.id, leased.status());
    return 0;
  }
  const std::string kind(Name(JobKindOf(info->kind)));
  for (auto& job : *leased) {
    Outstanding o;
    o.attempt = job.attempt;
    o.lease_ms = lease_ms;
    o.deadline_ms = job.deadline_ms;
    r.outstanding[{job.sweep, job.index}] = o;
    if (!r.instance.empty())
      next_extend_ms_ = std::min(next_extend_ms_, job.deadline_ms - lease_ms / 2);
    pr::Job j;
    j.sweep = job.sweep;
    j.index = job.index;
    j.attempt = job.attempt;
    j.timeout_ms = static_cast<uint64_t>(timeout);
    j.kind = kind;
    j.artifacts = AsText(info->base_artifacts);
    j.overrides = std::move(job.overrides);
    Send(peer, std::move(j));
  }
  size_t got = leased->size();
  r.credit -= static_cast<uint32_t>(got);
  r.last_job_ms = clock_.NowMs();
  counters_["jobs_dispatched"] += got;
  return got;
}

void BrokerCore::DispatchPass(std::vector<store::DispatchableSweep>& sweeps,
                              uint32_t (*room)(const RunnerState&)) {
  std::vector<std::string> waiting;  // runners with room, oldest-served first
  for (const auto& [peer, r] : runners_) {
    if (room(r) > 0) waiting.push_back(peer);
  }
  if (waiting.empty()) return;
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
    while (room(r) > 0) {
      size_t eligible = 0;
      for (const auto& s : sweeps) eligible += allowed(s) > 0 ? 1 : 0;
      if (eligible == 0) return;
      // One round: every eligible sweep gets an equal share of this runner's room, starting
      // with the sweep after the one that went first last time.
      size_t share = std::max<size_t>(1, room(r) / eligible);
      bool progress = false;
      for (size_t i = 0; i < sweeps.size() && room(r) > 0; ++i) {
        auto& s = sweeps[(round_robin_ + i) % sweeps.size()];
        size_t take = std::min<uint64_t>(
            {share, allowed(s), static_cast<uint64_t>(room(r)), options_.max_jobs_per_lease});
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

void BrokerCore::Dispatch() {
  bool any = false;
  for (const auto& [peer, r] : runners_) any = any || Available(r) > 0;
  if (!any) return;
  std::vector<store::DispatchableSweep> sweeps = store_.Dispatchable();
  if (!sweeps.empty()) {
    DispatchPass(sweeps, &BrokerCore::SlotRoom);   // free slots first,
    DispatchPass(sweeps, &BrokerCore::Available);  // then prefetch queues
    for (const auto& s : sweeps) {
      bool capped = s.max_workers > 0 && s.leased >= s.max_workers;
      if (s.pending > 0 && !capped) return;  // jobs left for runners with room: no stealing
    }
  }
  StealForIdleRunners();
}

void BrokerCore::StealForIdleRunners() {
  // Free slots of runners that got nothing, minus hand-backs already asked for.
  int64_t room = 0;
  for (const auto& [peer, r] : runners_) {
    room += SlotRoom(r);
    for (const auto& [key, o] : r.outstanding) room -= o.revoking && !o.started ? 1 : 0;
  }
  if (room <= 0) return;
  // Busy runners that hold queued jobs beyond their slots, most queued first.
  std::vector<std::pair<size_t, std::string>> victims;
  for (const auto& [peer, r] : runners_) {
    if (r.instance.empty() || r.outstanding.size() <= r.slots)
      continue;  // REVOKE unknown / no queue
    victims.emplace_back(r.outstanding.size() - r.slots, peer);
  }
  std::sort(victims.rbegin(), victims.rend());
  std::map<std::string, bool> active;  // sweep -> ACTIVE (a paused sweep's job would only wait)
  for (const auto& [queued, peer] : victims) {
    if (room <= 0) break;
    RunnerState& v = runners_.at(peer);
    // The last sent are the last in its queue.
    std::vector<std::pair<int64_t, JobKey>> candidates;
    for (const auto& [key, o] : v.outstanding) {
      if (o.started || o.revoking) continue;
      auto a = active.find(key.first);
      if (a == active.end()) {
        auto info = store_.GetSweep(key.first);
        a = active.emplace(key.first, info.ok() && info->leasable()).first;
      }
      if (a->second) candidates.emplace_back(o.deadline_ms, key);
    }
    std::sort(candidates.rbegin(), candidates.rend());
    pr::Revoke revoke;
    for (const auto& [deadline, key] : candidates) {
      if (room <= 0 || revoke.jobs.size() >= queued) break;
      Outstanding& o = v.outstanding.at(key);
      o.revoking = true;
      revoke.jobs.push_back({key.first, key.second, o.attempt});
      room--;
    }
    if (revoke.jobs.empty()) continue;
    counters_["jobs_revoked"] += revoke.jobs.size();
    spdlog::info("broker: revoking {} queued jobs of runner {} for idle runners",
                 revoke.jobs.size(), v.name);
    Send(peer, std::move(revoke));
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
    StoreError("expiring leases", ended.status());
    return;
  }
  counters_["leases_expired"] += ended->size();
  for (const auto& e : *ended) {
    spdlog::warn("broker: lease of {}/{} (attempt {}, runner {}) expired: {}", e.sweep, e.index,
                 e.attempt, e.runner, store::ToString(e.outcome));
    if (RunnerState* r = RunnerNamed(e.runner)) {
      auto it = r->outstanding.find({e.sweep, e.index});
      if (it != r->outstanding.end() && it->second.attempt == e.attempt) r->outstanding.erase(it);
    }
  }
}

void BrokerCore::ExtendQueued(int64_t now) {
  if (now < next_extend_ms_) return;
  next_extend_ms_ = INT64_MAX;
  for (auto& [peer, r] : runners_) {
    if (r.instance.empty()) continue;  // a runner that does not report starts: leases run
    for (auto it = r.outstanding.begin(); it != r.outstanding.end();) {
      Outstanding& o = it->second;
      if (o.started) {
        ++it;
        continue;
      }
      if (o.deadline_ms - now <= o.lease_ms / 2) {
        int64_t deadline = now + o.lease_ms;
        auto extended =
            store_.ExtendLease(it->first.first, it->first.second, o.attempt, r.name, deadline);
        if (!extended.ok()) {
          StoreError("extending the leases of queued jobs", extended.status());
        } else if (!*extended) {
          it = r.outstanding.erase(it);  // no longer this runner's lease
          continue;
        } else {
          o.deadline_ms = deadline;
        }
      }
      next_extend_ms_ = std::min(next_extend_ms_, o.deadline_ms - o.lease_ms / 2);
      ++it;
    }
  }
  // A failed extension is tried again at the next tick, not in a busy loop.
  next_extend_ms_ = std::max(next_extend_ms_, now + 1);
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
  ExtendQueued(now);
  ExpireLeases(now);
  int64_t silence = options_.heartbeat_ms * options_.liveness;
  std::vector<std::string> lost;
  for (const auto& [peer, r] : runners_) {
    if (now - r.last_seen_ms > silence) lost.push_back(peer);
  }
  for (const auto& peer : lost)
    LoseRunner(peer, "runner lost: silent for " + std::to_string(silence) + " ms");
  for (auto& [peer, r] : runners_) {
    if (now - r.last_sent_ms >= options_.heartbeat_ms)
      Send(peer, pr::Heartbeat{static_cast<uint32_t>(r.outstanding.size())});
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
  next = std::min(next, next_extend_ms_);
  return std::max<int64_t>(0, next - now);
}

// ---- clients ---------------------------------------------------------------------------------

void BrokerCore::OnSubmitBegin(const std::string& peer, const pr::SubmitBegin& m) {
  auto kind = SweepKindFromName(m.spec.kind);
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
  spec.plan_summary = m.spec.summary;
  spec.base_artifacts = {m.spec.artifacts.begin(), m.spec.artifacts.end()};
  spec.max_attempts = m.spec.max_attempts;
  spec.timeout_per_run_ms = static_cast<int64_t>(m.spec.timeout_ms);
  spec.max_workers = m.spec.max_workers;
  spec.dispatch_open = m.spec.dispatch_open;
  if (m.resume_identical) {
    // A cut-off submission of the identical plan: hand it back to finish (newest first).
    for (const auto& s : store_.FindSweepsByPlanHash(Sha256Hex(spec.plan_text))) {
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
  Status st = store_.AddJobs(m.sweep, m.first_index, m.overrides);
  Reply(peer, m.req, "SUBMIT_JOBS", st);
  if (st.ok() && info->dispatch_open) Dispatch();  // adaptive search: run them now
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
    st.state = Name(s.state);
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
    rs.credit = Available(r);
    rs.running = static_cast<uint32_t>(r.outstanding.size());  // leased to it, no result yet
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
    auto summary = store_.GetPlanSummary(m.sweep);
    if (summary.ok()) reply.sweeps[0].summary = std::move(summary).value();
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
    item.state = Name(job.state);
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
  if (st.ok() && m.action == pr::ControlAction::kCancel) {
    // Queued jobs of a cancelled sweep would run for nothing (their results are rejected).
    for (auto& [runner_peer, r] : runners_) {
      if (r.instance.empty()) continue;
      pr::Revoke revoke;
      for (auto& [key, o] : r.outstanding) {
        if (key.first != m.sweep || o.started || o.revoking) continue;
        o.revoking = true;
        revoke.jobs.push_back({key.first, key.second, o.attempt});
      }
      if (!revoke.jobs.empty()) Send(runner_peer, std::move(revoke));
    }
  }
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
