#include "explorer/store_source.h"

#include <algorithm>

#include "store/job_store.h"

namespace s1mple::explorer {

namespace {

ExplorerSweep ToExplorer(const store::SweepInfo& info, std::string plan_text,
                         std::string plan_summary) {
  ExplorerSweep s;
  s.id = info.id;
  s.name = info.name;
  s.kind = info.kind;
  s.state = info.state;
  s.plan_text = std::move(plan_text);
  s.plan_summary = std::move(plan_summary);
  s.created_ms = info.created_ms;
  s.counts.total = std::max<uint64_t>(info.job_count, info.counts.total());
  s.counts.pending = info.counts.pending;
  s.counts.leased = info.counts.leased;
  s.counts.done = info.counts.done;
  s.counts.failed = info.counts.failed;
  s.max_attempts = info.max_attempts;
  s.max_workers = info.max_workers;
  s.timeout_per_run_ms = static_cast<uint64_t>(std::max<int64_t>(0, info.timeout_per_run_ms));
  s.artifacts = AsText(info.base_artifacts);
  return s;
}

ExplorerJob ToExplorer(const store::JobInfo& info) {
  ExplorerJob j;
  j.index = info.index;
  j.state = info.state;
  j.attempts = info.attempt;
  j.overrides = info.overrides;
  j.failure_reason = info.failure_reason;
  for (const auto& rec : info.history) {
    j.attempt_history.push_back("attempt " + std::to_string(rec.attempt) +
                                (rec.runner.empty() ? "" : " on " + rec.runner) + ": " +
                                rec.reason);
  }
  return j;
}

class StoreExplorerSource final : public ExplorerSource {
 public:
  explicit StoreExplorerSource(store::JobStore& store) : store_(store) {}

  Result<std::vector<ExplorerSweep>> ListSweeps() override {
    std::vector<ExplorerSweep> out;
    for (const auto& info : store_.ListSweeps()) out.push_back(ToExplorer(info, {}, {}));
    return out;
  }

  Result<ExplorerSweep> GetSweep(const std::string& sweep_id) override {
    auto info = store_.GetSweep(sweep_id);
    if (!info.ok()) return info.status();
    auto plan = store_.GetPlan(sweep_id);
    auto summary = store_.GetPlanSummary(sweep_id);
    return ToExplorer(*info, plan.ok() ? std::move(*plan) : std::string(),
                      summary.ok() ? std::move(*summary) : std::string());
  }

  Status ScanJobs(const std::string& sweep_id, uint64_t from_index, uint64_t limit,
                  bool with_results, const std::function<bool(const ExplorerJob&)>& fn) override {
    Status st = store_.ScanJobs(sweep_id, from_index, limit, [&](const store::JobInfo& info) {
      ExplorerJob job = ToExplorer(info);
      if (with_results && info.state == store::JobState::kDone) {
        auto result = store_.GetResult(sweep_id, info.index);
        if (result.ok()) job.result = std::move(*result);
      }
      return fn(job);
    });
    return st;
  }

  Status ScanResults(const std::string& sweep_id, uint64_t from_index, uint64_t end_index,
                     const std::function<bool(uint64_t, std::string_view)>& fn) override {
    if (end_index <= from_index) return Status::Ok();
    return store_.ScanResults(sweep_id, from_index, 0,
                              [&](store::JobIndex index, std::string_view bytes) {
                                if (index >= end_index) return false;
                                return fn(index, bytes);
                              });
  }

  Status ScanResultSummaries(const std::string& sweep_id, uint64_t from_index, uint64_t end_index,
                             const std::function<bool(uint64_t, std::string_view)>& fn) override {
    if (end_index <= from_index) return Status::Ok();
    return store_.ScanResultSummaries(sweep_id, from_index, 0,
                                      [&](store::JobIndex index, std::string_view bytes) {
                                        if (index >= end_index) return false;
                                        return fn(index, bytes);
                                      });
  }

  Result<ExplorerJob> GetJob(const std::string& sweep_id, uint64_t index) override {
    auto info = store_.GetJob(sweep_id, index);
    if (!info.ok()) return info.status();
    ExplorerJob job = ToExplorer(*info);
    if (info->state == store::JobState::kDone) {
      auto result = store_.GetResult(sweep_id, index);
      if (!result.ok()) return result.status();
      job.result = std::move(*result);
    }
    return job;
  }

 private:
  store::JobStore& store_;
};

}  // namespace

std::unique_ptr<ExplorerSource> MakeStoreExplorerSource(store::JobStore& store) {
  return std::make_unique<StoreExplorerSource>(store);
}

}  // namespace s1mple::explorer
