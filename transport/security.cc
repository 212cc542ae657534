#include "transport/security.h"

#include "transport/keys.h"

namespace s1mple::transport {
namespace {

// ZMQ_ZAP_ENFORCE_DOMAIN is a draft option in libzmq 4.3 headers but works at run time.
constexpr int kZapEnforceDomain = 93;

Status ZmqError(const std::string& what, const zmq::error_t& e) {
  return Status::IOError(what + ": " + e.what());
}

}  // namespace

Status ConfigureClient(zmq::socket_t& socket, const ClientSecurity& security) {
  if (!security.curve()) return Status::Ok();
  try {
    socket.set(zmq::sockopt::curve_serverkey, security.server_public_key);
    socket.set(zmq::sockopt::curve_publickey, security.public_key);
    socket.set(zmq::sockopt::curve_secretkey, security.secret_key);
  } catch (const zmq::error_t& e) {
    return ZmqError("CURVE client options", e);
  }
  return Status::Ok();
}

Status ConfigureServer(zmq::socket_t& socket, const ServerSecurity& security) {
  if (!security.curve()) return Status::Ok();
  try {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, security.secret_key);
    socket.set(zmq::sockopt::zap_domain, kZapDomain);
    int one = 1;
    if (zmq_setsockopt(socket.handle(), kZapEnforceDomain, &one, sizeof one) != 0) {
      return Status::Internal(std::string("ZMQ_ZAP_ENFORCE_DOMAIN: ") + zmq_strerror(zmq_errno()));
    }
  } catch (const zmq::error_t& e) {
    return ZmqError("CURVE server options", e);
  }
  return Status::Ok();
}

Result<ClientSecurity> LoadClientSecurity(const std::string& server_key,
                                          const std::string& key_file) {
  ClientSecurity s;
  if (server_key.empty() && key_file.empty()) return s;
  if (server_key.empty()) return Status::InvalidArgument("--key given without --server-key");
  if (key_file.empty()) return Status::InvalidArgument("--server-key given without --key");
  auto server = LoadPublicKey(server_key);
  if (!server.ok()) return server.status().WithContext("--server-key");
  auto pair = LoadKeyPair(key_file);
  if (!pair.ok()) return pair.status().WithContext("--key");
  s.server_public_key = *server;
  s.public_key = pair->public_key;
  s.secret_key = pair->secret_key;
  return s;
}

}  // namespace s1mple::transport
