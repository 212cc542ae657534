// A synchronous client of the broker over a DEALER socket: one request at a time, the typed
// calls of protocol/requests.h (artifacts, status, results, pause/resume/cancel) over it. Used by
// `s1mple status`, the producer, the embedded mode and tests.
//
// Not thread-safe: one thread uses a Client (it owns a DEALER socket). Each call sends one
// request and waits up to `timeout_ms` for the REPLY with the same `req`; stray replies (to
// earlier, timed-out requests) are discarded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "protocol/messages.h"
#include "protocol/requests.h"
#include "transport/security.h"
#include "transport/sockets.h"

namespace s1mple::transport {

struct ClientOptions {
  std::string endpoint;               // e.g. tcp://127.0.0.1:5555, inproc://broker
  ClientSecurity security;            // NULL security by default
  int timeout_ms = 10000;             // per request
  zmq::context_t* context = nullptr;  // borrowed; null: the client owns one (needed to
                                      // share a context for inproc://)
};

class Client {
 public:
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // Sends a request (its `req` is assigned here) and returns the broker's REPLY. Errors:
  //   FailedPrecondition, IsRefused()       the broker answered ok=false (its error text)
  //   Unavailable, IsTimedOut()             no reply within timeout_ms
  //   Unavailable, IsPeerUnreachable()      the broker sent DISCONNECT
  //   Corruption                            a reply that does not decode
  //   IOError                               the socket failed
  Result<protocol::Reply> Call(protocol::Message request);

  // Uploads `data` (PUT) and returns its SHA-256 hex address.
  Result<std::string> PutArtifact(const std::string& data);
  // Downloads an artifact range by range (GET offset/total) and verifies its hash.
  Result<std::string> GetArtifact(const std::string& hash);

  // One sweep, or every sweep (following STATUS pages until the broker's `next` is empty).
  Result<protocol::StatusReply> GetStatus(const std::string& sweep = "");
  // The plan text the sweep was submitted with (STATUS with include_plan).
  Result<std::string> GetPlan(const std::string& sweep);
  // One RESULTS page: at most `limit` jobs looked at from `after` on, fewer when the broker's
  // byte budget fills the page first; continue from the reply's `next` until `end`. `fields`:
  // only these top-level members of each result (empty: whole results).
  Result<protocol::ResultsReply> GetResults(const std::string& sweep, uint64_t after,
                                            uint32_t limit, bool include_pending = false,
                                            std::vector<std::string> fields = {});
  Status Control(const std::string& sweep, protocol::ControlAction action);
  // How this client was made (more connections like it).
  const ClientOptions& options() const { return options_; }
  // This client's Call as a protocol::CallFn (protocol/requests.h); valid while the client is.
  protocol::CallFn Caller();

 private:
  Client() = default;
  std::unique_ptr<zmq::context_t> owned_context_;
  std::unique_ptr<zmq::socket_t> socket_;
  ClientOptions options_;
  uint64_t next_req_ = 1;
};

}  // namespace s1mple::transport
