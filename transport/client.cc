#include "transport/client.h"

#include <chrono>

#include "protocol/requests.h"

namespace s1mple::transport {

using namespace s1mple::protocol;  // the messages this client sends and receives

namespace {

using Clock = std::chrono::steady_clock;

void SetReq(Message& m, uint64_t req) {
  std::visit(
      [req](auto& x) {
        if constexpr (requires { x.req; }) x.req = req;
      },
      m);
}

}  // namespace

Client::~Client() {
  socket_.reset();  // before the context it belongs to
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  std::unique_ptr<Client> c(new Client());
  c->options_ = options;
  try {
    zmq::context_t* ctx = options.context;
    if (!ctx) {
      c->owned_context_ = std::make_unique<zmq::context_t>(1);
      ctx = c->owned_context_.get();
    }
    c->socket_ = std::make_unique<zmq::socket_t>(*ctx, zmq::socket_type::dealer);
    S1MPLE_RETURN_IF_ERROR(ConfigureCommon(*c->socket_));
    S1MPLE_RETURN_IF_ERROR(ConfigureClient(*c->socket_, options.security));
    c->socket_->connect(options.endpoint);
  } catch (const zmq::error_t& e) {
    return Status::InvalidArgument("connect " + options.endpoint + ": " + e.what());
  }
  return c;
}

Result<Reply> Client::Call(Message request) {
  uint64_t req = next_req_++;
  SetReq(request, req);
  std::string command(CommandName(request));
  Frames frames = Encode(request);
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      socket_->send(zmq::buffer(frames[i]),
                    i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      auto parts = RecvParts(*socket_);
      if (!parts) continue;
      std::vector<std::string_view> views;
      for (const auto& p : *parts) views.emplace_back(static_cast<const char*>(p.data()), p.size());
      auto decoded = Decode(views);
      if (!decoded.ok()) return decoded.status().WithContext("reply from " + options_.endpoint);
      if (auto* d = std::get_if<Disconnect>(&*decoded)) {
        return Status::PeerUnreachable("broker disconnected us: " + d->reason);
      }
      auto* reply = std::get_if<Reply>(&*decoded);
      if (!reply || reply->req != req) continue;  // stray: an earlier, timed-out request
      if (!reply->ok)
        return Status::FailedPrecondition(command + ": " + reply->error, Status::SubCode::kRefused);
      return std::move(*reply);
    }
  } catch (const zmq::error_t& e) {
    return Status::IOError(command + " to " + options_.endpoint + ": " + e.what());
  }
  return Status::TimedOut(command + ": no reply from " + options_.endpoint + " within " +
                          std::to_string(options_.timeout_ms) + " ms");
}

Result<std::string> Client::PutArtifact(const std::string& data) {
  return protocol::PutArtifact(Caller(), data);
}

Result<std::string> Client::GetArtifact(const std::string& hash) {
  return protocol::GetArtifact(Caller(), hash);
}

Result<StatusReply> Client::GetStatus(const std::string& sweep) {
  return protocol::GetStatus(Caller(), sweep);
}

Result<std::string> Client::GetPlan(const std::string& sweep) {
  auto plan = protocol::GetSweepPlan(Caller(), sweep);
  if (!plan.ok()) return plan.status();
  return std::move(plan->text);
}

Result<ResultsReply> Client::GetResults(const std::string& sweep, uint64_t after, uint32_t limit,
                                        bool include_pending, std::vector<std::string> fields) {
  return protocol::GetResults(Caller(), sweep, after, limit, include_pending, std::move(fields));
}

Status Client::Control(const std::string& sweep, ControlAction action) {
  return protocol::Control(Caller(), sweep, action);
}

protocol::CallFn Client::Caller() {
  return [this](Message m) { return Call(std::move(m)); };
}

}  // namespace s1mple::transport
