// Broker: the broker daemon as a library object. One ROUTER socket (bound to one or more
// endpoints) and one poll loop that owns it; the loop's timeout is the time to the next
// heartbeat or lease deadline (BrokerCore::NextWakeMs). Each wake-up reads up to
// `max_batch` messages, lets the core decide, records all results of the batch in one durable
// store batch, then sends ACKs, JOBs, replies and heartbeats.
//
// Security: with a key pair the socket is a CurveZMQ server and a ZAP handler (its own thread)
// admits only the authorized public keys (ZMQ_ZAP_ENFORCE_DOMAIN set: no ZAP, no entry).
// Without keys, Create refuses any endpoint that is not loopback/ipc/inproc unless `insecure`.
// Every socket bounds messages with ZMQ_MAXMSGSIZE (a bigger frame closes that connection in
// libzmq); undecodable messages are counted and dropped (BrokerCore).
//
// Thread-safety: Run() on one thread; Stop() from any thread or a signal handler
// (async-signal-safe); endpoints() and counters() are thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "broker/broker_core.h"
#include "common/status.h"
#include "common/thread_annotations.h"
#include "store/job_store.h"
#include "transport/security.h"
#include "transport/sockets.h"
#include "transport/zap_handler.h"

namespace s1mple::broker {

struct BrokerOptions {
  std::vector<std::string> bind;             // e.g. {"tcp://0.0.0.0:5555"}; port "*" or 0 = any
  transport::ServerSecurity security;        // empty: NULL security (loopback only)
  std::vector<std::string> authorized_keys;  // Z85 public keys admitted (with security)
  bool insecure = false;                     // allow NULL security on non-loopback endpoints
  CoreOptions core;
  size_t max_batch = 1000;            // messages handled per loop iteration
  zmq::context_t* context = nullptr;  // borrowed; null: own one (share it for inproc://)
};

class Broker {
 public:
  // Validates options and binds. `store` and `clock` are borrowed and must outlive the broker
  // (clock null: the system clock). InvalidArgument for a refused insecure bind or a bad
  // endpoint; IOError when an endpoint cannot be bound.
  static Result<std::unique_ptr<Broker>> Create(BrokerOptions options, store::JobStore& store,
                                                const store::Clock* clock = nullptr);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Serves until Stop(). Never returns an error for bad input; only if the socket itself fails.
  Status Run();
  void Stop();

  // The endpoints actually bound (wildcard ports resolved), e.g. "tcp://127.0.0.1:41234".
  std::vector<std::string> endpoints() const { return endpoints_; }
  std::map<std::string, uint64_t> counters() const;

 private:
  Broker() = default;
  void HandleIncoming(size_t max);
  void SendOutbox();
  void DrainMonitor();
  void PublishCounters();

  BrokerOptions options_;
  store::SystemClock system_clock_;
  std::unique_ptr<zmq::context_t> owned_context_;
  zmq::context_t* context_ = nullptr;
  std::unique_ptr<transport::ZapHandler> zap_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> monitor_;
  std::unique_ptr<BrokerCore> core_;
  std::vector<std::string> endpoints_;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  mutable Mutex counters_mu_;
  std::map<std::string, uint64_t> counters_ GUARDED_BY(counters_mu_);  // copy of the core's
  uint64_t handshake_failures_ = 0;
  uint64_t transport_disconnects_ = 0;
};

}  // namespace s1mple::broker
