// The ZAP handler (RFC 27) for one ZeroMQ context: admits CURVE clients whose public key is in
// the set, refuses every other request (NULL, PLAIN, unknown keys). Runs its own thread, which
// owns the inproc://zeromq.zap.01 socket. Must be started before the server socket binds.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"

namespace s1mple::transport {

// Thread-safety: Start and the destructor from one thread; accepted() and refused() from any.
class ZapHandler {
 public:
  ~ZapHandler();
  [[nodiscard]] static Result<std::unique_ptr<ZapHandler>> Start(
      zmq::context_t& context, std::vector<std::string> authorized_keys);
  uint64_t accepted() const { return accepted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  ZapHandler() = default;
  void Loop();
  std::unique_ptr<zmq::socket_t> socket_;  // owned by thread_ once started
  std::set<std::string> keys_;             // immutable after Start
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace s1mple::transport
