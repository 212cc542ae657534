// The broker's /metrics (Prometheus text exposition, metrics/exposition.h): what OPERATIONS.md
// ("Metrics") lists — jobs by state per sweep and in total, results recorded / duplicate /
// rejected, lease expiries, runners connected, slots busy and free, dropped messages by reason,
// the store write latency histogram and store errors. Each metric is named once, in the table
// in broker_metrics.cc. The process_* families are the caller's (written once per exposition,
// also when the embedded mode adds the runner's).
//
// Reads the broker's published counters (thread-safe) and the store's per-sweep counters (from
// memory, no scan), so it may run on the HTTP server's threads beside the poll loop.
#pragma once

#include <string>

#include "broker/broker.h"
#include "metrics/exposition.h"
#include "store/job_store.h"

namespace s1mple::broker {

// Writes the broker's families to `w`. `broker` and `store` are borrowed for the call.
void WriteBrokerMetrics(metrics::TextWriter& w, const Broker& broker, const store::JobStore& store);

// The whole exposition of a broker process: its families and process_*.
std::string RenderBrokerMetrics(const Broker& broker, const store::JobStore& store);

}  // namespace s1mple::broker
