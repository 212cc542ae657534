#include "explorer/client_source.h"

#include <algorithm>
#include <utility>

#include "explorer/plan_summary.h"

namespace s1mple::explorer {

namespace {

ExplorerJob ToJob(protocol::ResultItem&& item) {
  ExplorerJob j;
  j.index = item.index;
  j.state = JobStateFromName(item.state).value_or(JobState::kPending);
  j.attempts = item.attempts;
  j.overrides = std::move(item.overrides);
  if (j.state == JobState::kDone) j.result = std::move(item.result);
  j.failure_reason = std::move(item.error);
  return j;
}

}  // namespace

ClientExplorerSource::ClientExplorerSource(protocol::CallFn call, std::string sweep_id,
                                           SweepKind kind)
    : call_(std::move(call)), sweep_id_(std::move(sweep_id)), kind_(kind) {}

Result<ExplorerSweep> ClientExplorerSource::Sweep() {
  if (!have_plan_) {
    auto plan = protocol::GetSweepPlan(call_, sweep_id_);
    if (!plan.ok()) return plan.status();
    plan_ = std::move(plan).value();
    have_plan_ = true;
  }
  auto st = protocol::GetStatus(call_, sweep_id_);
  if (!st.ok()) return st.status();
  for (const auto& s : st->sweeps) {
    if (s.sweep != sweep_id_) continue;
    ExplorerSweep out;
    out.id = s.sweep;
    out.name = s.name;
    out.kind = SweepKindFromName(ReadPlanSummary(plan_.summary).kind).value_or(kind_);
    out.state = SweepStateFromName(s.state).value_or(SweepState::kActive);
    out.plan_text = plan_.text;
    out.plan_summary = plan_.summary;
    out.counts.total = s.total;
    out.counts.pending = s.pending;
    out.counts.leased = s.running;
    out.counts.done = s.done;
    out.counts.failed = s.failed;
    out.max_workers = s.max_workers;
    return out;
  }
  return Status::NotFound("no sweep " + sweep_id_ + " at this broker");
}

Result<std::vector<ExplorerSweep>> ClientExplorerSource::ListSweeps() {
  MutexLock lock(&mu_);
  auto s = Sweep();
  if (!s.ok()) return s.status();
  return std::vector<ExplorerSweep>{std::move(s).value()};
}

Result<ExplorerSweep> ClientExplorerSource::GetSweep(const std::string& sweep_id) {
  if (sweep_id != sweep_id_) return Status::NotFound("no sweep " + sweep_id + " in this report");
  MutexLock lock(&mu_);
  return Sweep();
}

Status ClientExplorerSource::ScanJobs(const std::string& sweep_id, uint64_t from_index,
                                      uint64_t limit, bool with_results,
                                      const std::function<bool(const ExplorerJob&)>& fn) {
  if (sweep_id != sweep_id_) return Status::NotFound("no sweep " + sweep_id + " in this report");
  // Without with_results only the small members travel: the runs table needs the metrics and
  // causality of each done job, the column scan only the overrides.
  const std::vector<std::string> fields =
      with_results ? std::vector<std::string>{}
                   : std::vector<std::string>{"metrics", "causality", "period", "bars"};
  MutexLock lock(&mu_);
  uint64_t after = from_index;
  uint64_t seen = 0;
  while (limit == 0 || seen < limit) {
    const uint64_t want = limit == 0 ? 1000 : std::min<uint64_t>(1000, limit - seen);
    auto page =
        protocol::GetResults(call_, sweep_id_, after, static_cast<uint32_t>(want), true, fields);
    if (!page.ok()) return page.status().WithContext("results of " + sweep_id_);
    for (auto& item : page->items) {
      ++seen;
      if (!fn(ToJob(std::move(item)))) return Status::Ok();
      if (limit != 0 && seen >= limit) return Status::Ok();
    }
    if (page->end || page->items.empty()) break;
    after = page->next;
  }
  return Status::Ok();
}

Result<ExplorerJob> ClientExplorerSource::GetJob(const std::string& sweep_id, uint64_t index) {
  if (sweep_id != sweep_id_) return Status::NotFound("no sweep " + sweep_id + " in this report");
  MutexLock lock(&mu_);
  auto page = protocol::GetResults(call_, sweep_id_, index, 1, true);
  if (!page.ok())
    return page.status().WithContext("job " + sweep_id_ + "/" + std::to_string(index));
  for (auto& item : page->items) {
    if (item.index == index) return ToJob(std::move(item));
  }
  return Status::NotFound("no job " + sweep_id_ + "/" + std::to_string(index));
}

}  // namespace s1mple::explorer
