#include "protocol/requests.h"

#include <utility>
#include <variant>

#include "common/sha256.h"

namespace s1mple::protocol {

Result<std::string> PutArtifact(const CallFn& call, const std::string& data) {
  if (data.size() > kMaxArtifactBytes)
    return Status::InvalidArgument("an artifact of " + std::to_string(data.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxArtifactBytes) + " bytes (64 MiB - 64 KiB)");
  Put put;
  put.hash = Sha256Hex(data);
  put.data = data;
  auto r = call(put);
  if (!r.ok()) return r.status();
  return put.hash;
}

Result<std::string> GetArtifact(const CallFn& call, const std::string& hash) {
  std::string data;
  while (true) {
    Get get;
    get.hash = hash;
    get.offset = data.size();
    auto r = call(get);
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

Result<StatusReply> GetStatus(const CallFn& call, const std::string& sweep) {
  StatusReply all;
  std::string after;
  for (int page = 0;; ++page) {
    StatusRequest s;
    s.sweep = sweep;
    s.after = after;
    auto r = call(s);
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

Result<SweepPlan> GetSweepPlan(const CallFn& call, const std::string& sweep) {
  StatusRequest s;
  s.sweep = sweep;
  s.include_plan = true;
  auto r = call(s);
  if (!r.ok()) return r.status();
  auto* p = std::get_if<StatusReply>(&r->payload);
  if (!p || p->sweeps.size() != 1) return Status::Corruption("STATUS reply without the sweep");
  if (p->sweeps[0].plan.empty())
    return Status::NotFound("the broker did not return the plan of sweep " + sweep +
                            " (an older broker?): add --plan PLAN.yaml");
  return SweepPlan{std::move(p->sweeps[0].plan), std::move(p->sweeps[0].summary)};
}

Result<ResultsReply> GetResults(const CallFn& call, const std::string& sweep, uint64_t after,
                                uint32_t limit, bool include_pending,
                                std::vector<std::string> fields) {
  ResultsRequest q;
  q.sweep = sweep;
  q.after = after;
  q.limit = limit;
  q.include_pending = include_pending;
  q.fields = std::move(fields);
  auto r = call(q);
  if (!r.ok()) return r.status();
  auto* p = std::get_if<ResultsReply>(&r->payload);
  if (!p) return Status::Corruption("RESULTS reply without items");
  return std::move(*p);
}

Status Control(const CallFn& call, const std::string& sweep, ControlAction action) {
  SweepControl c;
  c.sweep = sweep;
  c.action = action;
  auto r = call(c);
  return r.status();
}

}  // namespace s1mple::protocol
