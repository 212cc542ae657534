// BrokerCore: the broker's decisions without sockets (DESIGN.md decisions 4-6, 9). It takes
// decoded messages from peers (identified by an opaque peer id, the ZeroMQ routing id), talks
// to the job store, and leaves the messages to send in an outbox. The socket loop (broker.h)
// feeds it; tests drive it directly with a ManualClock.
//
//  - Runners register with READY (name, slots, credit, queue, instance, held). The broker keeps
//    in memory, per runner, the jobs it leased to it and has seen no result for ("outstanding");
//    a runner never has more outstanding jobs than slots + queue, whatever credit it claims.
//  - JOBs go out only against credit, fairly across sweeps (round robin over the dispatchable
//    sweeps, each sweep capped by its max_workers in concurrent leases), in two passes: first
//    into free slots (oldest-waiting runner first), then into prefetch queues, so a job is not
//    queued on a busy runner while another has a free slot. A runner with a free slot and
//    nothing pending gets the queued-not-started jobs of a busy runner: REVOKE, which brings
//    them back handed_back (not counted) to be leased again.
//  - Leases of queued (not started) jobs of a runner that reports its starts are extended while
//    it is connected; HEARTBEAT `started` restarts a job's lease clock when it starts.
//  - READY with `held` (a reconnect, a restart, a broker restart) reclaims the held jobs and
//    returns the runner's other leases at once: not counted when the same runner process
//    (instance) reconnects or its process is unknown, counted when it was restarted.
//  - Two connected runners with one name and different instances: the second is registered as
//    "name~2" (~3, ...), logged; neither is knocked off.
//  - RESULTs are collected during a batch and applied in ONE durable store batch at Flush();
//    only then are they ACKed (recorded / duplicate / rejected). A hand-back (RESULT
//    handed_back) returns the job without counting the attempt.
//  - Heartbeats both ways; a runner silent for `liveness` beats is lost: the leases of jobs it
//    had started go back with the attempt counted, those it had not started without. Expired
//    leases go back at their deadline (counted). A runner that leaves with DISCONNECT gives its
//    remaining leases back without counting them.
//  - A peer that breaks the protocol (runner commands before READY, broker-only commands,
//    malformed bodies) gets DISCONNECT; bad messages are counted and dropped, never fatal.
//    Repeated store errors are logged once per distinct error per 10 s (log_limiter.h).
//  - Client requests (SUBMIT_*, STATUS, RESULTS, PAUSE/RESUME/CANCEL, PUT/GET) get a REPLY.
//
// Not thread-safe: one thread (the poll loop) owns a BrokerCore. The store and clock are
// borrowed and must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/log_limiter.h"
#include "common/status.h"
#include "protocol/messages.h"
#include "store/clock.h"
#include "store/job_store.h"

namespace s1mple::broker {

struct CoreOptions {
  int64_t heartbeat_ms = 1000;          // send HEARTBEAT to a runner idle this long
  int liveness = 5;                     // a runner silent for liveness*heartbeat_ms is lost
  int64_t default_timeout_ms = 300000;  // timeout_per_run for sweeps that give none (seeds: 300 s)
  int64_t lease_grace_ms = 5000;        // lease deadline = timeout_per_run + this (the runner
                                        // kills at timeout_per_run and reports it first)
  size_t max_jobs_per_lease = 256;      // jobs leased from one sweep in one store batch
  // Byte budget of a RESULTS page and a STATUS reply (protocol::kReplyBudgetBytes; tests lower
  // it). A request's own max_bytes may lower it further.
  size_t reply_budget_bytes = protocol::kReplyBudgetBytes;
};

// The one check of CoreOptions (the CLI calls it right after parsing, Broker::Create again):
// InvalidArgument naming the option (its --flag) for a value the broker cannot work with, e.g.
// --liveness 0, which would declare every runner lost at the next tick.
[[nodiscard]] Status Validate(const CoreOptions& options);

// A message for one peer.
struct Outgoing {
  std::string peer;
  protocol::Message message;
};

class BrokerCore {
 public:
  BrokerCore(store::JobStore& store, const store::Clock& clock, CoreOptions options = {});

  // One decoded message from `peer`. Results are held until Flush(); everything else is
  // handled now (client requests are answered at once).
  void OnMessage(const std::string& peer, protocol::Message message);
  // A message from `peer` that failed to decode (`why` from protocol::Decode): counted,
  // logged, and the peer gets DISCONNECT.
  void OnBadMessage(const std::string& peer, const Status& why);
  // The transport says `peer` is gone (unroutable): it gets no more jobs; it is lost (leases
  // back) after the liveness period unless it reconnects under its name first.
  void OnPeerGone(const std::string& peer);
  // How the core asks the transport whether a peer's connection is still up (used when a
  // second runner process registers under a name that is connected: a restart if the first
  // connection is gone, a duplicate name otherwise). Without a probe a connection counts as up
  // until OnPeerGone.
  using PeerProbe = std::function<bool(const std::string& peer)>;
  void SetPeerProbe(PeerProbe probe) { peer_alive_ = std::move(probe); }

  // Ends a batch: applies the held results in one durable store batch and queues their ACKs,
  // then dispatches jobs against runners' credit.
  void Flush();
  // Dispatches jobs against runners' credit now (credit comes back with each RESULT before
  // it is durable, so the socket loop sends new JOBs before it waits for the sync).
  void Dispatch();
  // Timers: expired leases, lost runners, heartbeats due. Call after waking up.
  void OnTick();
  // Milliseconds until OnTick has something to do (>= 0).
  int64_t NextWakeMs() const;

  // Messages to send, in order; the caller sends them and clears the outbox.
  std::vector<Outgoing>& outbox() { return outbox_; }

  const std::map<std::string, uint64_t>& counters() const { return counters_; }
  // Sets a counter kept by the transport (handshake failures, ...) so STATUS reports it too.
  void SetCounter(const std::string& name, uint64_t value) { counters_[name] = value; }
  // STATUS of one sweep, or of all sweeps after the paging cursor `after` (the reply's `next`
  // says where the next page starts when the byte budget ends this one).
  protocol::StatusReply BuildStatus(const std::string& sweep, const std::string& after = {}) const;
  size_t runner_count() const { return runners_.size(); }

 private:
  using JobKey = std::pair<std::string, uint64_t>;  // sweep, index
  // A job leased to a runner that the broker has seen no result for.
  struct Outstanding {
    uint32_t attempt = 0;
    int64_t lease_ms = 0;     // timeout_per_run + grace of its sweep
    int64_t deadline_ms = 0;  // as last written to the store
    bool started = false;     // the runner reported it running (HEARTBEAT started)
    bool revoking = false;    // REVOKE sent, no answer yet
  };
  struct RunnerState {
    std::string name;       // unique among connected runners: the lease holder in the store
    std::string requested;  // the name in READY (name = requested, or requested~N)
    std::string instance;   // READY instance; empty: a runner that does not report starts
    uint32_t slots = 0;
    uint32_t max_credit = 0;   // slots + queue from READY
    uint32_t credit = 0;       // what the runner said it accepts, minus JOBs sent since
    bool unreachable = false;  // OnPeerGone
    std::map<JobKey, Outstanding> outstanding;
    int64_t connected_ms = 0;
    int64_t last_seen_ms = 0;
    int64_t last_sent_ms = 0;
    int64_t last_job_ms = 0;  // for "oldest waiting first"
    uint64_t done = 0;
    std::deque<std::pair<int64_t, uint64_t>> samples;  // (ms, done) for the rate
  };
  // How a READY from a new connection relates to what the broker knew.
  enum class Arrival { kFresh, kReconnect, kRestart };
  struct PendingAck {
    std::string peer;
    protocol::Ack ack;
  };
  struct SweepRate {
    std::deque<std::pair<int64_t, uint64_t>> samples;  // (ms, finished)
  };

  void Send(const std::string& peer, protocol::Message m);
  void Reply(const std::string& peer, uint64_t req, std::string_view command, const Status& status,
             decltype(protocol::Reply::payload) payload = {});
  void DisconnectPeer(const std::string& peer, const std::string& reason);
  RunnerState* RunnerFor(const std::string& peer);

  void OnReady(const std::string& peer, const protocol::Ready& m);
  void Reconcile(const std::string& peer, RunnerState& r, const std::vector<protocol::JobRef>& held,
                 Arrival how);
  void OnResult(const std::string& peer, protocol::JobResult m);
  void OnHeartbeat(const std::string& peer, const protocol::Heartbeat& m);
  void OnRunnerDisconnect(const std::string& peer, const protocol::Disconnect& m);
  void OnSubmitBegin(const std::string& peer, const protocol::SubmitBegin& m);
  void OnSubmitJobs(const std::string& peer, const protocol::SubmitJobs& m);
  void OnSubmitCommit(const std::string& peer, const protocol::SubmitCommit& m);
  void OnStatus(const std::string& peer, const protocol::StatusRequest& m);
  void OnResults(const std::string& peer, const protocol::ResultsRequest& m);
  void OnControl(const std::string& peer, const protocol::SweepControl& m);
  void OnPut(const std::string& peer, const protocol::Put& m);
  void OnGet(const std::string& peer, const protocol::Get& m);

  void ApplyResults();
  // Jobs the runner may be sent now: its credit, bounded by slots + queue - outstanding.
  static uint32_t Available(const RunnerState& r);
  // Of those, how many go into free slots (not into its prefetch queue).
  static uint32_t SlotRoom(const RunnerState& r);
  // One dispatch pass: each runner with room gets jobs up to room(r), oldest-waiting first.
  void DispatchPass(std::vector<store::DispatchableSweep>& sweeps,
                    uint32_t (*room)(const RunnerState&));
  // REVOKEs queued-not-started jobs of busy runners for runners with free slots (nothing is
  // pending for them).
  void StealForIdleRunners();
  // Leases up to n jobs of `sweep` to the runner at `peer` and sends them; returns how many.
  size_t LeaseTo(const std::string& peer, RunnerState& r, const store::DispatchableSweep& sweep,
                 size_t n);
  const store::SweepInfo* SweepCached(const std::string& id);
  int64_t LeaseMsOf(const std::string& sweep);
  RunnerState* RunnerNamed(const std::string& name);
  void LoseRunner(const std::string& peer, const std::string& reason);
  void ExpireLeases(int64_t now);
  // Extends the leases of queued jobs (not started) of runners that report their starts.
  void ExtendQueued(int64_t now);
  void StoreError(const std::string& what, const Status& status);
  void SampleRates(int64_t now);
  double SweepRateOf(const std::string& id) const;

  store::JobStore& store_;
  const store::Clock& clock_;
  CoreOptions options_;
  std::map<std::string, RunnerState> runners_;  // peer -> runner
  std::map<std::string, std::string> peer_of_;  // runner name -> peer
  std::vector<store::Transition> held_;         // results waiting for Flush
  std::vector<PendingAck> held_acks_;
  std::map<std::string, store::SweepInfo> sweep_cache_;
  std::map<std::string, SweepRate> rates_;
  size_t round_robin_ = 0;
  int64_t last_sample_ms_ = 0;
  int64_t next_extend_ms_ = INT64_MAX;  // when ExtendQueued has something to do
  PeerProbe peer_alive_;
  LogLimiter log_limiter_;
  std::vector<Outgoing> outbox_;
  std::map<std::string, uint64_t> counters_;
};

}  // namespace s1mple::broker
