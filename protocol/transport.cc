#include "protocol/transport.h"

#include <array>

#include "protocol/keys.h"

namespace s1mple::protocol {
namespace {

// ZMQ_ZAP_ENFORCE_DOMAIN is a draft option in libzmq 4.3 headers but works at run time.
constexpr int kZapEnforceDomain = 93;

Status ZmqError(const std::string& what, const zmq::error_t& e) {
  return Status::IOError(what + ": " + e.what());
}

}  // namespace

Status ConfigureCommon(zmq::socket_t& socket) {
  try {
    socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxMessageBytes + (64u << 10)));
    socket.set(zmq::sockopt::linger, 0);
  } catch (const zmq::error_t& e) {
    return ZmqError("socket options", e);
  }
  return Status::Ok();
}

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

Status SendFrames(zmq::socket_t& socket, const Frames& frames, const std::string* routing_id) {
  try {
    if (routing_id) {
      if (!socket.send(zmq::buffer(*routing_id),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return Status::Unavailable("peer queue full");
      }
    }
    for (size_t i = 0; i < frames.size(); ++i) {
      auto flags = zmq::send_flags::dontwait;
      if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
      if (!socket.send(zmq::buffer(frames[i]), flags))
        return Status::Unavailable("peer queue full");
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return Status::Unavailable("peer unreachable");
    return ZmqError("send", e);
  }
  return Status::Ok();
}

Status SendMessage(zmq::socket_t& socket, const Message& m, const std::string* routing_id) {
  return SendFrames(socket, Encode(m), routing_id);
}

std::optional<std::vector<zmq::message_t>> RecvParts(zmq::socket_t& socket) {
  std::vector<zmq::message_t> parts;
  try {
    zmq::message_t first;
    if (!socket.recv(first, zmq::recv_flags::dontwait)) return std::nullopt;
    bool more = first.more();
    parts.push_back(std::move(first));
    while (more) {
      zmq::message_t part;
      if (!socket.recv(part, zmq::recv_flags::none)) break;
      more = part.more();
      // Bound the number of frames kept; the rest are read and discarded.
      if (parts.size() < 16) parts.push_back(std::move(part));
    }
  } catch (const zmq::error_t&) {
    if (parts.empty()) return std::nullopt;
  }
  return parts;
}

bool IsLocalEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  std::string host = endpoint.substr(6);
  size_t colon = host.rfind(':');
  if (colon != std::string::npos) host = host.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0 || host == "lo";
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t& context,
                                                      std::vector<std::string> authorized_keys) {
  std::unique_ptr<ZapHandler> h(new ZapHandler());
  h->keys_.insert(authorized_keys.begin(), authorized_keys.end());
  try {
    h->socket_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::rep);
    h->socket_->set(zmq::sockopt::linger, 0);
    h->socket_->bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    return ZmqError("ZAP handler bind inproc://zeromq.zap.01", e);
  }
  h->thread_ = std::thread([raw = h.get()] { raw->Loop(); });
  return h;
}

void ZapHandler::Loop() {
  // Poll with a short timeout so the destructor's stop flag is seen promptly.
  while (!stop_) {
    try {
      zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> req;
      zmq::message_t part;
      do {
        if (!socket_->recv(part, zmq::recv_flags::none)) break;
        req.emplace_back(std::move(part));
      } while (req.back().more());
      // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
      std::string version = req.size() > 0 ? req[0].to_string() : "";
      std::string request_id = req.size() > 1 ? req[1].to_string() : "";
      std::string domain = req.size() > 2 ? req[2].to_string() : "";
      std::string mechanism = req.size() > 5 ? req[5].to_string() : "";
      bool ok = false;
      std::string user;
      if (version == "1.0" && domain == kZapDomain && mechanism == "CURVE" && req.size() > 6 &&
          req[6].size() == 32) {
        std::array<char, 41> z85{};
        zmq_z85_encode(z85.data(), static_cast<const uint8_t*>(req[6].data()), 32);
        user = z85.data();
        ok = keys_.count(user) > 0;
      }
      (ok ? accepted_ : refused_)++;
      std::array<std::string, 6> reply = {
          "1.0",          request_id, ok ? "200" : "400", ok ? "OK" : "key not authorized",
          ok ? user : "", ""};
      for (size_t i = 0; i < reply.size(); ++i) {
        socket_->send(zmq::buffer(reply[i]),
                      i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
    }
  }
}

}  // namespace s1mple::protocol
