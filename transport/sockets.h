// ZeroMQ plumbing shared by broker, runner and client: the options every socket gets (message
// size bound, linger), sending and receiving protocol frames without blocking. Every function
// here catches zmq::error_t and returns a Status; nothing throws.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "protocol/codec.h"

namespace s1mple::transport {

// Options every socket gets: ZMQ_MAXMSGSIZE = kMaxMessageBytes + slack, linger 0.
[[nodiscard]] Status ConfigureCommon(zmq::socket_t& socket);

// Sends `frames`, preceded by `routing_id` when given (ROUTER sockets). Non-blocking: when the
// peer's queue is full, Unavailable with IsWouldBlock() (nothing sent); when its connection is
// gone (a ROUTER with ROUTER_MANDATORY), Unavailable with IsPeerUnreachable().
[[nodiscard]] Status SendFrames(zmq::socket_t& socket, const protocol::Frames& frames,
                                const std::string* routing_id = nullptr);
[[nodiscard]] Status SendMessage(zmq::socket_t& socket, const protocol::Message& m,
                                 const std::string* routing_id = nullptr);

// Receives one multipart message without blocking (nullopt when nothing is queued).
std::optional<std::vector<zmq::message_t>> RecvParts(zmq::socket_t& socket);

// True when `endpoint` is tcp on a loopback address, or ipc/inproc.
bool IsLocalEndpoint(const std::string& endpoint);

}  // namespace s1mple::transport
