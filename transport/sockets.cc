#include "transport/sockets.h"

namespace s1mple::transport {
namespace {

Status ZmqError(const std::string& what, const zmq::error_t& e) {
  return Status::IOError(what + ": " + e.what());
}

}  // namespace

Status ConfigureCommon(zmq::socket_t& socket) {
  try {
    socket.set(zmq::sockopt::maxmsgsize,
               static_cast<int64_t>(protocol::kMaxMessageBytes + (64u << 10)));
    socket.set(zmq::sockopt::linger, 0);
  } catch (const zmq::error_t& e) {
    return ZmqError("socket options", e);
  }
  return Status::Ok();
}

Status SendFrames(zmq::socket_t& socket, const protocol::Frames& frames,
                  const std::string* routing_id) {
  try {
    if (routing_id) {
      if (!socket.send(zmq::buffer(*routing_id),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return Status::WouldBlock("peer queue full");
      }
    }
    for (size_t i = 0; i < frames.size(); ++i) {
      auto flags = zmq::send_flags::dontwait;
      if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
      if (!socket.send(zmq::buffer(frames[i]), flags)) return Status::WouldBlock("peer queue full");
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return Status::PeerUnreachable("peer unreachable");
    return ZmqError("send", e);
  }
  return Status::Ok();
}

Status SendMessage(zmq::socket_t& socket, const protocol::Message& m,
                   const std::string* routing_id) {
  return SendFrames(socket, protocol::Encode(m), routing_id);
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

}  // namespace s1mple::transport
