// LocalCluster: the one-machine default of DESIGN.md decision 8. A JobStore on local disk, a
// Broker bound to an inproc:// endpoint, and a Runner with local slots, in this process — the
// same protocol, store and guarantees as the distributed mode (the runner still isolates each
// backtest in a pool worker process). Clients in this process reach it through context() and
// endpoint(); a Trade Explorer (explorer/) may read store() beside it.
//
// Thread-safety: Start/Stop from one thread. The broker and runner run on their own threads;
// store() is thread-safe (see store/job_store.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/status.h"

namespace s1mple::store {
class JobStore;
}
namespace s1mple::broker {
class Broker;
}  // namespace s1mple::broker
namespace s1mple::runner {
class Runner;
}

namespace s1mple::embedded {

struct LocalClusterOptions {
  std::filesystem::path store_dir = ".s1mple";  // created if missing
  uint32_t slots = 0;                           // local runner slots; 0: one per core
  int shutdown_grace_ms = 3000;  // on Stop: wait this long for running backtests to report
  bool start_runner = true;      // false: broker only (e.g. resume on remote runners)
};

class LocalCluster {
 public:
  // Opens the store (a clear error when another s1mple process holds it: IsLockHeld()), returns
  // the leases an interrupted session left, starts the broker and the runner threads.
  [[nodiscard]] static Result<std::unique_ptr<LocalCluster>> Start(
      const LocalClusterOptions& options);
  ~LocalCluster();  // Stop()
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Stops the runner first (it hands back queued jobs and reports finished ones), then the
  // broker, then closes the store. Idempotent. Every result the broker acknowledged is durable.
  void Stop();

  store::JobStore& store() { return *store_; }
  zmq::context_t& context() { return *context_; }
  const std::string& endpoint() const { return endpoint_; }
  uint32_t slots() const { return slots_; }

 private:
  LocalCluster() = default;

  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<store::JobStore> store_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<runner::Runner> runner_;
  std::thread broker_thread_;
  std::thread runner_thread_;
  std::string endpoint_;
  uint32_t slots_ = 0;
  bool stopped_ = false;
};

}  // namespace s1mple::embedded
