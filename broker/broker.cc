#include "broker/broker.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "protocol/codec.h"

namespace s1mple::broker {

namespace pr = s1mple::protocol;

Result<std::unique_ptr<Broker>> Broker::Create(BrokerOptions options, store::JobStore& store,
                                               const store::Clock* clock) {
  if (options.bind.empty()) return Status::InvalidArgument("broker: no endpoint to bind (--bind)");
  S1MPLE_RETURN_IF_ERROR(Validate(options.core));
  for (const auto& ep : options.bind) {
    if (!options.security.curve() && !options.insecure && !transport::IsLocalEndpoint(ep)) {
      return Status::InvalidArgument("refusing to bind " + ep +
                                     " without CurveZMQ keys: give --key and --authorized-keys, or "
                                     "--insecure to accept anyone who can reach it");
    }
  }
  if (options.security.curve() && options.authorized_keys.empty()) {
    return Status::InvalidArgument("CurveZMQ is on but no key is authorized: nobody could connect");
  }
  std::unique_ptr<Broker> b(new Broker());
  b->options_ = std::move(options);
  const BrokerOptions& o = b->options_;
  if (::pipe2(b->stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    return Status::Internal("broker: pipe failed");
  try {
    if (o.context) {
      b->context_ = o.context;
    } else {
      b->owned_context_ = std::make_unique<zmq::context_t>(1);
      b->context_ = b->owned_context_.get();
    }
    if (o.security.curve()) {
      auto zap = transport::ZapHandler::Start(*b->context_, o.authorized_keys);
      if (!zap.ok()) return zap.status();
      b->zap_ = std::move(zap.value());
    }
    b->router_ = std::make_unique<zmq::socket_t>(*b->context_, zmq::socket_type::router);
    S1MPLE_RETURN_IF_ERROR(transport::ConfigureCommon(*b->router_));
    S1MPLE_RETURN_IF_ERROR(transport::ConfigureServer(*b->router_, o.security));
    b->router_->set(zmq::sockopt::router_mandatory, 1);
    b->router_->set(zmq::sockopt::sndhwm, 100000);
    b->router_->set(zmq::sockopt::rcvhwm, 100000);
    for (const auto& ep : o.bind) {
      try {
        b->router_->bind(ep);
      } catch (const zmq::error_t& e) {
        return Status::IOError("cannot bind " + ep + ": " + e.what());
      }
      b->endpoints_.push_back(b->router_->get(zmq::sockopt::last_endpoint));
    }
    // Transport events (failed handshakes: refused keys, NULL clients; disconnects, e.g. a
    // frame over ZMQ_MAXMSGSIZE) are counted from a socket monitor.
    std::string mon =
        "inproc://s1mple-broker-monitor-" + std::to_string(reinterpret_cast<uintptr_t>(b.get()));
    int events = ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor(b->router_->handle(), mon.c_str(), events) == 0) {
      b->monitor_ = std::make_unique<zmq::socket_t>(*b->context_, zmq::socket_type::pair);
      b->monitor_->set(zmq::sockopt::linger, 0);
      b->monitor_->connect(mon);
    }
  } catch (const zmq::error_t& e) {
    return Status::IOError(std::string("broker socket: ") + e.what());
  }
  b->core_ =
      std::make_unique<BrokerCore>(store, clock ? *clock : b->system_clock_, b->options_.core);
  // Is a peer's connection still up? With ROUTER_MANDATORY a send to a routing id whose
  // connection closed fails at once (EHOSTUNREACH); a HEARTBEAT is harmless to a live runner.
  b->core_->SetPeerProbe([raw = b.get()](const std::string& peer) {
    Status st = transport::SendMessage(*raw->router_, pr::Heartbeat{}, &peer);
    return !st.IsPeerUnreachable();
  });
  b->PublishCounters();
  return b;
}

Broker::~Broker() {
  if (router_ && monitor_) zmq_socket_monitor(router_->handle(), nullptr, 0);
  monitor_.reset();
  router_.reset();
  zap_.reset();
  if (stop_pipe_[0] >= 0) ::close(stop_pipe_[0]);
  if (stop_pipe_[1] >= 0) ::close(stop_pipe_[1]);
}

void Broker::Stop() {
  stop_.store(true);
  if (stop_pipe_[1] >= 0) {
    ssize_t n = ::write(stop_pipe_[1], "x", 1);
    (void)n;
  }
}

std::map<std::string, uint64_t> Broker::counters() const {
  MutexLock lock(&counters_mu_);
  return counters_;
}

void Broker::PublishCounters() {
  core_->SetCounter("handshake_failures", handshake_failures_);
  core_->SetCounter("transport_disconnects", transport_disconnects_);
  core_->SetCounter("runners", core_->runner_count());
  if (zap_) {
    core_->SetCounter("zap_accepted", zap_->accepted());
    core_->SetCounter("zap_refused", zap_->refused());
  }
  MutexLock lock(&counters_mu_);
  counters_ = core_->counters();
}

void Broker::HandleIncoming(size_t max) {
  for (size_t i = 0; i < max; ++i) {
    auto parts = transport::RecvParts(*router_);
    if (!parts) return;
    if (parts->size() < 2) continue;
    std::string peer = (*parts)[0].to_string();
    std::vector<std::string_view> frames;
    for (size_t f = 1; f < parts->size(); ++f) {
      frames.emplace_back(static_cast<const char*>((*parts)[f].data()), (*parts)[f].size());
    }
    auto m = pr::Decode(frames);
    if (!m.ok()) {
      core_->OnBadMessage(peer, m.status());
      continue;
    }
    core_->OnMessage(peer, std::move(*m));
  }
}

void Broker::SendOutbox() {
  auto& out = core_->outbox();
  for (auto& o : out) {
    Status st = transport::SendMessage(*router_, o.message, &o.peer);
    if (st.ok()) continue;
    if (st.IsPeerUnreachable()) {
      core_->OnPeerGone(o.peer);
    } else {
      spdlog::warn("broker: {} not sent: {}", pr::CommandName(o.message), st.ToString());
    }
  }
  out.clear();
}

void Broker::DrainMonitor() {
  if (!monitor_) return;
  while (true) {
    zmq::message_t event;
    zmq::message_t address;
    try {
      if (!monitor_->recv(event, zmq::recv_flags::dontwait)) return;
      if (event.more() && !monitor_->recv(address, zmq::recv_flags::none)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    if (event.size() < 6) continue;
    uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    if (id == ZMQ_EVENT_DISCONNECTED) {
      transport_disconnects_++;
    } else {
      handshake_failures_++;
      spdlog::warn("broker: a handshake on {} failed (unknown key, NULL client or bad protocol)",
                   address.to_string());
    }
  }
}

Status Broker::Run() {
  spdlog::info("broker: serving on {}{}", endpoints_.empty() ? "" : endpoints_[0],
               options_.security.curve() ? " (CurveZMQ)" : " (no encryption)");
  while (!stop_.load()) {
    std::vector<zmq::pollitem_t> items = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                                          {nullptr, stop_pipe_[0], ZMQ_POLLIN, 0}};
    if (monitor_) items.push_back({monitor_->handle(), 0, ZMQ_POLLIN, 0});
    int64_t wait = std::min<int64_t>(core_->NextWakeMs(), 1000);
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(wait));
      if (items[1].revents & ZMQ_POLLIN) break;
      HandleIncoming(options_.max_batch);
      core_->Dispatch();  // runners get new work before we wait for the batch to be durable
      SendOutbox();
      core_->Flush();
      core_->OnTick();
      SendOutbox();
      DrainMonitor();
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      if (e.num() == EINTR) continue;  // a signal (SIGTERM sets the stop flag): check and go on
      spdlog::error("broker: socket error: {}", e.what());
      return Status::IOError(std::string("broker socket: ") + e.what());
    } catch (const std::exception& e) {
      // No exception leaves the loop: log it and keep serving.
      spdlog::error("broker: unexpected exception in the loop: {}", e.what());
    }
    PublishCounters();
  }
  // Results already received are recorded before leaving.
  core_->Flush();
  SendOutbox();
  PublishCounters();
  spdlog::info("broker: stopped");
  return Status::Ok();
}

}  // namespace s1mple::broker
