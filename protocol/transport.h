// ZeroMQ plumbing shared by broker, runner and client: socket options (CurveZMQ, message size
// bound), sending and receiving protocol frames, and the ZAP handler that admits known keys.
// Every function here catches zmq::error_t and returns a Status; nothing throws.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "protocol/codec.h"

namespace s1mple::protocol {

// The client end (runner, producer, status) of a connection.
struct ClientSecurity {
  std::string server_public_key;  // Z85; empty: NULL security (plain, loopback/inproc only)
  std::string public_key;         // Z85; required with server_public_key
  std::string secret_key;         // Z85; required with server_public_key
  bool curve() const { return !server_public_key.empty(); }
};

// The server end (broker).
struct ServerSecurity {
  std::string public_key;  // Z85; empty: NULL security
  std::string secret_key;
  bool curve() const { return !secret_key.empty(); }
};

// The ZAP domain the broker uses; with ZMQ_ZAP_ENFORCE_DOMAIN nothing passes without ZAP.
inline constexpr const char* kZapDomain = "s1mple";

// Options every socket gets: ZMQ_MAXMSGSIZE = kMaxMessageBytes + slack, linger 0.
Status ConfigureCommon(zmq::socket_t& socket);
// Client side CURVE options (no-op for NULL security). Call before connect.
Status ConfigureClient(zmq::socket_t& socket, const ClientSecurity& security);
// Server side: CURVE server + ZAP domain + ZAP_ENFORCE_DOMAIN (no-op for NULL). Before bind.
Status ConfigureServer(zmq::socket_t& socket, const ServerSecurity& security);

// Builds ClientSecurity from CLI-style values: `server_key` (Z85 or .pub path) and `key_file`
// (our .key file). Both empty: NULL security. One without the other is an error.
Result<ClientSecurity> LoadClientSecurity(const std::string& server_key,
                                          const std::string& key_file);

// Sends `frames`, preceded by `routing_id` when given (ROUTER sockets). Non-blocking: returns
// Unavailable when the peer's queue is full or it is unroutable.
Status SendFrames(zmq::socket_t& socket, const Frames& frames,
                  const std::string* routing_id = nullptr);
Status SendMessage(zmq::socket_t& socket, const Message& m,
                   const std::string* routing_id = nullptr);

// Receives one multipart message without blocking (nullopt when nothing is queued).
std::optional<std::vector<zmq::message_t>> RecvParts(zmq::socket_t& socket);

// True when `endpoint` is tcp on a loopback address, or ipc/inproc.
bool IsLocalEndpoint(const std::string& endpoint);

// The ZAP handler (RFC 27) for one context: admits CURVE clients whose public key is in the
// set, refuses every other request (NULL, PLAIN, unknown keys). Runs its own thread, which
// owns the inproc://zeromq.zap.01 socket. Must be started before the server socket binds.
class ZapHandler {
 public:
  ~ZapHandler();
  static Result<std::unique_ptr<ZapHandler>> Start(zmq::context_t& context,
                                                   std::vector<std::string> authorized_keys);
  uint64_t accepted() const { return accepted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  ZapHandler() = default;
  void Loop();
  std::unique_ptr<zmq::socket_t> socket_;
  std::set<std::string> keys_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace s1mple::protocol
