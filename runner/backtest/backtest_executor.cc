#include "runner/backtest/backtest_executor.h"

#include <nlohmann/json.hpp>

#include "engine/job.h"

namespace s1mple::runner {
namespace {

namespace eng = s1mple::engine;

JobOutput Deterministic(std::string reason) {
  JobOutput out;
  out.error = std::move(reason);
  out.retryable = false;
  return out;
}

// The runner's side of a backtest job: the artifacts by role and the overrides text; the job
// itself runs through engine::JobRunner, as it does in the producer (engine/job.h).
class BacktestExecutor final : public JobExecutor {
 public:
  explicit BacktestExecutor(BacktestExecutorOptions options) : jobs_(RunnerOptions(options)) {}

  JobOutput Execute(const JobInput& job, const ArtifactLookup& artifacts) override {
    const std::string origin = "job " + job.sweep + "/" + std::to_string(job.index);
    auto text = [&](const std::string& role) -> const std::string* {
      auto it = job.artifacts.find(role);
      return it == job.artifacts.end() ? nullptr : artifacts(it->second);
    };
    const std::string* operation = text("operation");
    const std::string* blueprint = text("blueprint");
    const std::string* operators = text("operators");
    if (!operation || !blueprint)
      return Deterministic("bad config: " + origin +
                           ": the sweep has no operation or blueprint artifact");
    const nlohmann::json overrides = nlohmann::json::parse(job.overrides, nullptr, false);
    if (overrides.is_discarded() || !overrides.is_object())
      return Deterministic("bad config: " + origin + ": overrides are not a JSON object");
    eng::JobSpec spec;
    spec.origin = origin;
    spec.operation_yaml = *operation;
    spec.blueprint_yaml = *blueprint;
    if (operators) spec.operators_yaml = *operators;
    spec.overrides = &overrides;
    std::string csv_key;
    if (auto it = job.artifacts.find("data"); it != job.artifacts.end()) {
      spec.csv = artifacts(it->second);  // nullptr when not sent: the job fails, naming it
      csv_key = "csv-sha256:" + it->second;
      spec.csv_key = csv_key;
    }
    eng::JobResult r = jobs_.Run(spec);
    if (!r.ok()) return Deterministic(r.FailureReason());
    JobOutput out;
    out.ok = true;
    out.result = r.result.dump();
    return out;
  }

 private:
  static eng::JobRunnerOptions RunnerOptions(const BacktestExecutorOptions& o) {
    eng::JobRunnerOptions jo;
    jo.json.max_equity_points = o.max_equity_points;
    jo.json.include_trades = o.include_trades;
    jo.json.max_trades = o.max_trades;
    jo.read_data_files = false;  // a runner has only the artifacts it was sent
    return jo;
  }

  eng::JobRunner jobs_;  // keeps the parsed data sets of this worker process
};

}  // namespace

std::unique_ptr<JobExecutor> MakeBacktestExecutor(BacktestExecutorOptions options) {
  return std::make_unique<BacktestExecutor>(options);
}

}  // namespace s1mple::runner
