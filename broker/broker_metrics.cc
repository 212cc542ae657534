#include "broker/broker_metrics.h"

#include <array>
#include <map>

namespace s1mple::broker {

namespace {

using metrics::Labels;
using metrics::TextWriter;
using metrics::Type;

// A broker counter (BrokerCore/Broker counters()) and the metric it is exposed as. Several
// counters may share one metric with a label telling them apart (dropped messages by reason).
struct CounterMetric {
  const char* counter;  // key in Broker::counters()
  const char* metric;
  Type type;
  const char* help;
  const char* label = nullptr;  // label name, when the metric has several counters
  const char* value = nullptr;  // this counter's label value
};

// Every broker metric from counters, once. Families sharing a name must be adjacent.
constexpr std::array<CounterMetric, 19> kCounterMetrics = {{
    {"messages_in", "s1mple_broker_messages_received_total", Type::kCounter,
     "Messages received from peers (runners and clients), good or bad."},
    {"dropped_malformed", "s1mple_broker_messages_dropped_total", Type::kCounter,
     "Messages dropped, by reason: malformed (undecodable, unknown or misplaced command) or "
     "version (another protocol version).",
     "reason", "malformed"},
    {"dropped_version", "s1mple_broker_messages_dropped_total", Type::kCounter, nullptr, "reason",
     "version"},
    {"disconnects_sent", "s1mple_broker_disconnects_sent_total", Type::kCounter,
     "DISCONNECTs sent to peers that broke the protocol."},
    {"jobs_dispatched", "s1mple_broker_jobs_dispatched_total", Type::kCounter,
     "Jobs leased and sent to runners (each attempt once)."},
    {"results_recorded", "s1mple_broker_results_recorded_total", Type::kCounter,
     "Results recorded in the store (including late ones)."},
    {"results_late", "s1mple_broker_results_late_total", Type::kCounter,
     "Results recorded after their lease had expired (the first result still counts)."},
    {"results_duplicate", "s1mple_broker_results_duplicate_total", Type::kCounter,
     "Results for jobs already done (or failures of attempts already ended): acknowledged, not "
     "recorded."},
    {"results_rejected", "s1mple_broker_results_rejected_total", Type::kCounter,
     "Results rejected (unknown sweep or job, wrong runner, invalid result)."},
    {"failures_reported", "s1mple_broker_failures_reported_total", Type::kCounter,
     "Failed attempts reported by runners."},
    {"results_handed_back", "s1mple_broker_jobs_handed_back_total", Type::kCounter,
     "Jobs handed back by runners (shutdown, revoke), attempt not counted."},
    {"jobs_revoked", "s1mple_broker_jobs_revoked_total", Type::kCounter,
     "Queued jobs revoked from busy runners for idle ones."},
    {"leases_expired", "s1mple_broker_lease_expiries_total", Type::kCounter,
     "Leases that ran out (timeout_per_run + grace), attempt counted."},
    {"leases_returned", "s1mple_broker_leases_returned_total", Type::kCounter,
     "Leases returned when a runner reconnected without them."},
    {"runners_lost", "s1mple_broker_runners_lost_total", Type::kCounter,
     "Runners declared lost (silent for the liveness period)."},
    {"store_errors", "s1mple_broker_store_errors_total", Type::kCounter,
     "Store operations that failed (a full disk, I/O errors)."},
    {"handshake_failures", "s1mple_broker_handshake_failures_total", Type::kCounter,
     "Connections refused at the handshake (unknown key, NULL client, bad protocol)."},
    {"transport_disconnects", "s1mple_broker_transport_disconnects_total", Type::kCounter,
     "Connections closed (by peers, by the network, or for an oversized frame)."},
    {"runners", "s1mple_broker_runners_connected", Type::kGauge, "Runners connected now."},
}};

void WriteCounters(TextWriter& w, const std::map<std::string, uint64_t>& counters) {
  auto get = [&](const char* name) -> double {
    auto it = counters.find(name);
    return it == counters.end() ? 0.0 : static_cast<double>(it->second);
  };
  std::string family;
  for (const CounterMetric& m : kCounterMetrics) {
    if (!m.metric) continue;
    if (family != m.metric) {
      family = m.metric;
      w.Family(m.metric, m.type, m.help ? m.help : "");
    }
    if (m.label)
      w.Sample({{m.label, m.value}}, get(m.counter));
    else
      w.Sample({}, get(m.counter));
  }
  const double total = get("slots");
  const double busy = get("slots_busy");
  w.Family("s1mple_broker_slots", Type::kGauge,
           "Slots (concurrent jobs) offered by the connected runners, by state: busy (holding a "
           "job) or free.");
  w.Sample({{"state", "busy"}}, busy);
  w.Sample({{"state", "free"}}, total > busy ? total - busy : 0);
}

void WriteJobs(TextWriter& w, const store::JobStore& store) {
  const std::vector<store::SweepInfo> sweeps = store.ListSweeps();
  constexpr std::array<JobState, 4> kStates = {JobState::kPending, JobState::kLeased,
                                               JobState::kDone, JobState::kFailed};
  auto by_state = [](const store::JobCounts& c) {
    return std::array<uint64_t, 4>{c.pending, c.leased, c.done, c.failed};
  };
  w.Family("s1mple_sweep_jobs", Type::kGauge,
           "Jobs of a sweep by state (pending, leased = running, done, failed), from the store.");
  std::array<uint64_t, 4> total{};
  for (const auto& s : sweeps) {
    const auto n = by_state(s.counts);
    for (size_t i = 0; i < kStates.size(); ++i) {
      w.Sample({{"sweep", s.id}, {"state", std::string(Name(kStates[i]))}},
               static_cast<double>(n[i]));
      total[i] += n[i];
    }
  }
  w.Family("s1mple_sweep_jobs_submitted", Type::kGauge,
           "Jobs added to a sweep so far (all of its plan once its submission is sealed).");
  for (const auto& s : sweeps) {
    w.Sample({{"sweep", s.id}},
             static_cast<double>(std::max<uint64_t>(s.job_count, s.counts.total())));
  }
  w.Family("s1mple_sweep_info", Type::kGauge,
           "One per sweep, value 1: its plan name, kind and state (submitting, active, paused, "
           "cancelled, done).");
  for (const auto& s : sweeps) {
    w.Sample({{"sweep", s.id},
              {"name", s.name},
              {"kind", std::string(Name(s.kind))},
              {"state", std::string(Name(s.state))}},
             1);
  }
  w.Family("s1mple_jobs", Type::kGauge, "Jobs of all sweeps in the store by state.");
  for (size_t i = 0; i < kStates.size(); ++i)
    w.Sample({{"state", std::string(Name(kStates[i]))}}, static_cast<double>(total[i]));
  w.Family("s1mple_sweeps", Type::kGauge, "Sweeps in the store.");
  w.Sample({}, static_cast<double>(sweeps.size()));
}

}  // namespace

void WriteBrokerMetrics(TextWriter& w, const Broker& broker, const store::JobStore& store) {
  WriteCounters(w, broker.counters());
  WriteJobs(w, store);
  w.Family("s1mple_broker_store_write_seconds", Type::kHistogram,
           "Seconds per store write of the broker's loop (a batch of results, a lease batch).");
  w.Histogram({}, broker.store_write_seconds().Snapshot());
}

std::string RenderBrokerMetrics(const Broker& broker, const store::JobStore& store) {
  TextWriter w;
  WriteBrokerMetrics(w, broker, store);
  metrics::WriteProcessMetrics(w);
  return w.Take();
}

}  // namespace s1mple::broker
