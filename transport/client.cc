#include "transport/client.h"

#include <chrono>

#include "common/sha256.h"

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
  if (data.size() > kMaxArtifactBytes)
    return Status::InvalidArgument("an artifact of " + std::to_string(data.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxArtifactBytes) + " bytes (64 MiB - 64 KiB)");
  Put put;
  put.hash = Sha256Hex(data);
  put.data = data;
  auto r = Call(put);
  if (!r.ok()) return r.status();
  return put.hash;
}

Result<std::string> Client::GetArtifact(const std::string& hash) {
  std::string data;
  while (true) {
    Get get;
    get.hash = hash;
    get.offset = data.size();
    auto r = Call(get);
    if (!r.ok()) return r.status();
    auto* g = std::get_if<GetReply>(&r->payload);
    if (!g) return Status::Corruption("GET reply without data");
    if (g->offset != data.size() || g->total > kMaxArtifactBytes ||
        (g->data.empty() && data.size() < g->total))
      return Status::Corruption("artifact " + hash + ": GET reply for bytes from " +
                                std::to_string(g->offset) + " of " + std::to_string(g->total) +
                                " does not continue the " + std::to_string(data.size()) +
                                " bytes received");
    if (data.empty()) data.reserve(static_cast<size_t>(g->total));
    data += g->data;
    if (data.size() >= g->total) break;
  }
  if (Sha256Hex(data) != hash)
    return Status::Corruption("artifact " + hash + ": content does not match its hash");
  return data;
}

Result<std::string> Client::SubmitSweep(const SweepSpec& spec,
                                        const std::vector<std::string>& overrides) {
  SubmitBegin begin;
  begin.spec = spec;
  auto r = Call(begin);
  if (!r.ok()) return r.status();
  auto* b = std::get_if<SubmitBeginReply>(&r->payload);
  if (!b) return Status::Corruption("SUBMIT_BEGIN reply without a sweep id");
  std::string sweep = b->sweep;
  size_t batch = std::max<size_t>(1, std::min(options_.jobs_per_batch, kMaxJobsPerBatch));
  for (size_t first = 0; first < overrides.size(); first += batch) {
    SubmitJobs jobs;
    jobs.sweep = sweep;
    jobs.first_index = first;
    size_t end = std::min(overrides.size(), first + batch);
    jobs.overrides.assign(overrides.begin() + static_cast<std::ptrdiff_t>(first),
                          overrides.begin() + static_cast<std::ptrdiff_t>(end));
    auto jr = Call(std::move(jobs));
    if (!jr.ok())
      return jr.status().WithContext("sweep " + sweep + " jobs from " + std::to_string(first));
  }
  SubmitCommit commit;
  commit.sweep = sweep;
  commit.total = overrides.size();
  auto cr = Call(commit);
  if (!cr.ok()) return cr.status().WithContext("sweep " + sweep);
  return sweep;
}

Result<StatusReply> Client::GetStatus(const std::string& sweep) {
  StatusReply all;
  std::string after;
  for (int page = 0;; ++page) {
    StatusRequest s;
    s.sweep = sweep;
    s.after = after;
    auto r = Call(s);
    if (!r.ok()) return r.status();
    auto* p = std::get_if<StatusReply>(&r->payload);
    if (!p) return Status::Corruption("STATUS reply without status");
    if (page == 0) {
      all = std::move(*p);
    } else {
      for (auto& x : p->sweeps) all.sweeps.push_back(std::move(x));
      all.runners = std::move(p->runners);
      all.counters = std::move(p->counters);
    }
    after = page == 0 ? all.next : p->next;
    // A cursor that does not move would loop: stop (an older broker never sends one).
    if (after.empty() || !sweep.empty() || (page > 0 && p->sweeps.empty())) break;
  }
  all.next.clear();
  return all;
}

Result<std::string> Client::GetPlan(const std::string& sweep) {
  StatusRequest s;
  s.sweep = sweep;
  s.include_plan = true;
  auto r = Call(s);
  if (!r.ok()) return r.status();
  auto* p = std::get_if<StatusReply>(&r->payload);
  if (!p || p->sweeps.size() != 1) return Status::Corruption("STATUS reply without the sweep");
  if (p->sweeps[0].plan.empty())
    return Status::NotFound("the broker did not return the plan of sweep " + sweep +
                            " (an older broker?): add --plan PLAN.yaml");
  return std::move(p->sweeps[0].plan);
}

Result<ResultsReply> Client::GetResults(const std::string& sweep, uint64_t after, uint32_t limit,
                                        bool include_pending, std::vector<std::string> fields) {
  ResultsRequest q;
  q.sweep = sweep;
  q.after = after;
  q.limit = limit;
  q.include_pending = include_pending;
  q.fields = std::move(fields);
  auto r = Call(q);
  if (!r.ok()) return r.status();
  auto* p = std::get_if<ResultsReply>(&r->payload);
  if (!p) return Status::Corruption("RESULTS reply without items");
  return std::move(*p);
}

Status Client::Control(const std::string& sweep, ControlAction action) {
  SweepControl c;
  c.sweep = sweep;
  c.action = action;
  auto r = Call(c);
  return r.status();
}

}  // namespace s1mple::transport
