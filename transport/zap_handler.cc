#include "transport/zap_handler.h"

#include <array>
#include <chrono>

#include "transport/security.h"

namespace s1mple::transport {

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
    return Status::IOError(std::string("ZAP handler bind inproc://zeromq.zap.01: ") + e.what());
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

}  // namespace s1mple::transport
