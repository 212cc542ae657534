// The runner's "backtest" job kind and the producer's in-process runner run a job through the
// same engine::JobRunner (DESIGN decision 3): for jobs of the demo and the ICT plan the result a
// runner sends is the one the producer computes in process, byte for byte.
#include "runner/backtest/backtest_executor.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "producer/local_run.h"
#include "producer/sweep_request.h"

namespace s1mple::runner {
namespace {

using nlohmann::json;

struct Artifacts {
  std::map<std::string, std::string> by_hash;
  JobInput Job(const producer::PreparedSweep& sweep, uint64_t index) {
    JobInput job;
    job.sweep = "sw-test";
    job.index = index;
    job.kind = "backtest";
    for (const auto& [role, text] : {std::pair<std::string, const std::string*>{
                                         producer::kRoleOperation, &sweep.base.operation_yaml},
                                     {producer::kRoleBlueprint, &sweep.base.blueprint_yaml},
                                     {producer::kRoleOperators, &sweep.base.operators_yaml}}) {
      const std::string hash = "hash-of-" + role;  // the executor only looks them up
      by_hash[hash] = *text;
      job.artifacts[role] = hash;
    }
    job.overrides = sweep.OverridesBytes(index);
    return job;
  }
  ArtifactLookup Lookup() {
    return [this](const std::string& hash) -> const std::string* {
      auto it = by_hash.find(hash);
      return it == by_hash.end() ? nullptr : &it->second;
    };
  }
};

void ExpectSameResults(const char* plan, producer::PlanKind kind,
                       std::initializer_list<uint64_t> indices) {
  auto sweep = producer::PrepareSweep(plan, kind);
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  BacktestExecutorOptions options;  // what a runner keeps: 500 equity points, 1,000 trades
  auto executor = MakeBacktestExecutor(options);
  engine::JsonOptions json_options;
  json_options.max_equity_points = options.max_equity_points;
  json_options.include_trades = options.include_trades;
  json_options.max_trades = options.max_trades;
  producer::InProcessRunner local(*sweep, json_options);
  Artifacts artifacts;
  for (uint64_t i : indices) {
    JobOutput out = executor->Execute(artifacts.Job(*sweep, i), artifacts.Lookup());
    ASSERT_TRUE(out.ok) << plan << " #" << i << ": " << out.error;
    producer::JobOutcome in_process = local.Run(i);
    ASSERT_TRUE(in_process.ok) << in_process.failure_reason;
    EXPECT_EQ(out.result, in_process.result.dump()) << plan << " #" << i;
  }
}

TEST(BacktestExecutor, SendsTheResultTheInProcessRunnerComputes) {
  ExpectSameResults("config/optimizations/demo_ema_cross.yaml", producer::PlanKind::kOptimization,
                    {0, 191, 383});
  ExpectSameResults("config/optimizations/comprehensive_ict_optimization.yaml",
                    producer::PlanKind::kOptimization, {0, 447});
}

TEST(BacktestExecutor, BadOverridesAreADeterministicBadConfig) {
  auto sweep = producer::PrepareSweep("config/optimizations/demo_ema_cross.yaml",
                                      producer::PlanKind::kOptimization);
  ASSERT_TRUE(sweep.ok());
  auto executor = MakeBacktestExecutor();
  Artifacts artifacts;
  JobInput job = artifacts.Job(*sweep, 0);
  job.overrides = R"({"monitor_workers": []})";
  JobOutput out = executor->Execute(job, artifacts.Lookup());
  EXPECT_FALSE(out.ok);
  EXPECT_FALSE(out.retryable);
  EXPECT_EQ(out.error.rfind("bad config: job sw-test/0: overrides.monitor_workers: unknown key", 0),
            0u)
      << out.error;
  job.overrides = "[1]";
  out = executor->Execute(job, artifacts.Lookup());
  EXPECT_EQ(out.error, "bad config: job sw-test/0: overrides are not a JSON object");
}

}  // namespace
}  // namespace s1mple::runner
