#include "cli/client_explorer_source.h"

#include <algorithm>
#include <utility>

namespace s1mple::cli {

namespace {

// STATUS's sweep states in the explorer's (the store's) words.
std::string ExplorerState(const std::string& s) {
  if (s == "open") return "submitting";
  if (s == "running") return "active";
  if (s == "complete") return "done";
  return s;  // paused, cancelled
}

std::string ExplorerJobState(const std::string& s) {
  return s == "running" ? "leased" : s;
}

broker::ExplorerJob ToJob(protocol::ResultItem&& item) {
  broker::ExplorerJob j;
  j.index = item.index;
  j.state = ExplorerJobState(item.state);
  j.attempts = item.attempts;
  j.overrides = std::move(item.overrides);
  if (item.state == "done") j.result = std::move(item.result);
  j.failure_reason = std::move(item.error);
  return j;
}

}  // namespace

ClientExplorerSource::ClientExplorerSource(std::unique_ptr<transport::Client> client,
                                           std::string sweep_id, std::string kind)
    : client_(std::move(client)), sweep_id_(std::move(sweep_id)), kind_(std::move(kind)) {}

Result<broker::ExplorerSweep> ClientExplorerSource::Sweep() {
  if (!have_plan_) {
    auto plan = client_->GetPlan(sweep_id_);
    if (!plan.ok()) return plan.status();
    plan_ = std::move(plan).value();
    have_plan_ = true;
  }
  auto st = client_->GetStatus(sweep_id_);
  if (!st.ok()) return st.status();
  for (const auto& s : st->sweeps) {
    if (s.sweep != sweep_id_) continue;
    broker::ExplorerSweep out;
    out.id = s.sweep;
    out.name = s.name;
    out.kind = kind_;
    out.state = ExplorerState(s.state);
    out.plan_text = plan_;
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

Result<std::vector<broker::ExplorerSweep>> ClientExplorerSource::ListSweeps() {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = Sweep();
  if (!s.ok()) return s.status();
  return std::vector<broker::ExplorerSweep>{std::move(s).value()};
}

Result<broker::ExplorerSweep> ClientExplorerSource::GetSweep(const std::string& sweep_id) {
  if (sweep_id != sweep_id_) return Status::NotFound("no sweep " + sweep_id + " in this report");
  std::lock_guard<std::mutex> lock(mu_);
  return Sweep();
}

Status ClientExplorerSource::ScanJobs(const std::string& sweep_id, uint64_t from_index,
                                      uint64_t limit, bool with_results,
                                      const std::function<bool(const broker::ExplorerJob&)>& fn) {
  if (sweep_id != sweep_id_) return Status::NotFound("no sweep " + sweep_id + " in this report");
  // Without with_results only the small members travel: the runs table needs the metrics and
  // causality of each done job, the column scan only the overrides.
  const std::vector<std::string> fields =
      with_results ? std::vector<std::string>{}
                   : std::vector<std::string>{"metrics", "causality", "period", "bars"};
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t after = from_index;
  uint64_t seen = 0;
  while (limit == 0 || seen < limit) {
    const uint64_t want = limit == 0 ? 1000 : std::min<uint64_t>(1000, limit - seen);
    auto page = client_->GetResults(sweep_id_, after, static_cast<uint32_t>(want), true, fields);
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

Result<broker::ExplorerJob> ClientExplorerSource::GetJob(const std::string& sweep_id,
                                                         uint64_t index) {
  if (sweep_id != sweep_id_) return Status::NotFound("no sweep " + sweep_id + " in this report");
  std::lock_guard<std::mutex> lock(mu_);
  auto page = client_->GetResults(sweep_id_, index, 1, true);
  if (!page.ok())
    return page.status().WithContext("job " + sweep_id_ + "/" + std::to_string(index));
  for (auto& item : page->items) {
    if (item.index == index) return ToJob(std::move(item));
  }
  return Status::NotFound("no job " + sweep_id_ + "/" + std::to_string(index));
}

}  // namespace s1mple::cli
