// The security of a connection: CurveZMQ key options on a client or server socket, built from
// the key files the CLI names. Every function here catches zmq::error_t and returns a Status.
#pragma once

#include <string>

#include <zmq.hpp>

#include "common/status.h"

namespace s1mple::transport {

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

// Client side CURVE options (no-op for NULL security). Call before connect.
[[nodiscard]] Status ConfigureClient(zmq::socket_t& socket, const ClientSecurity& security);
// Server side: CURVE server + ZAP domain + ZAP_ENFORCE_DOMAIN (no-op for NULL). Before bind.
[[nodiscard]] Status ConfigureServer(zmq::socket_t& socket, const ServerSecurity& security);

// Builds ClientSecurity from CLI-style values: `server_key` (Z85 or .pub path) and `key_file`
// (our .key file). Both empty: NULL security. One without the other is an error.
[[nodiscard]] Result<ClientSecurity> LoadClientSecurity(const std::string& server_key,
                                                        const std::string& key_file);

}  // namespace s1mple::transport
