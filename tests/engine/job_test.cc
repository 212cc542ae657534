// One job from its texts and overrides (engine/job.h): the pipeline runners and the producer's
// in-process runner share.
#include "engine/job.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

using nlohmann::json;

struct Base {
  std::string operation = testing::ReadText("config/operations/ema_cross.yaml");
  std::string blueprint = testing::ReadText("config/strategies/ema_cross.yaml");
  std::string operators = testing::ReadText("config/operators.yaml");
  JobSpec Spec(const json* overrides = nullptr) const {
    JobSpec s;
    s.origin = "job t/1";
    s.operation_yaml = operation;
    s.blueprint_yaml = blueprint;
    s.operators_yaml = operators;
    s.overrides = overrides;
    return s;
  }
};

TEST(JobRunner, WithoutOverridesTheJobIsTheOperationRunFromItsFiles) {
  Base base;
  JobRunnerOptions o;
  o.json.max_equity_points = 500;
  JobRunner jobs(o);
  JobResult r = jobs.Run(base.Spec());
  ASSERT_TRUE(r.ok()) << r.status.ToString();
  auto op = LoadOperationFile("config/operations/ema_cross.yaml");
  ASSERT_TRUE(op.ok());
  auto data = LoadData(op->links[0].environment.data);
  ASSERT_TRUE(data.ok());
  auto direct = RunBacktest(op->links[0], **data);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(r.result.dump(), ToJson(*direct, o.json).dump());
}

TEST(JobRunner, TheJobsOverridesChangeItsConfiguration) {
  Base base;
  JobRunner jobs;
  const json overrides = json::parse(R"({"opportunity_workers": {"trend_follower": )"
                                     R"({"params": {"fast_period": 6, "slow_period": 40}}}})");
  JobResult plain = jobs.Run(base.Spec());
  JobResult varied = jobs.Run(base.Spec(&overrides));
  ASSERT_TRUE(plain.ok() && varied.ok()) << varied.status.ToString();
  EXPECT_NE(plain.result["causality"]["opportunities_detected"],
            varied.result["causality"]["opportunities_detected"]);
  JobResult again = jobs.Run(base.Spec());  // the caches change nothing
  EXPECT_EQ(again.result.dump(), plain.result.dump());
}

TEST(JobRunner, FailuresSayWhetherTheConfigOrTheBacktestFailed) {
  Base base;
  JobRunner jobs;
  const json unknown = json::parse(R"({"monitor_workers": []})");
  JobResult r = jobs.Run(base.Spec(&unknown));
  EXPECT_EQ(r.failed_at, JobStage::kConfig);
  EXPECT_EQ(
      r.FailureReason().rfind("bad config: job t/1: overrides.monitor_workers: unknown key", 0), 0u)
      << r.FailureReason();

  const json bad_value =
      json::parse(R"({"opportunity_workers": {"trend_follower": {"params": {"fast_period": 0}}}})");
  r = jobs.Run(base.Spec(&bad_value));
  EXPECT_EQ(r.failed_at, JobStage::kConfig);
  EXPECT_NE(r.FailureReason().find("bad config: job t/1 blueprint: opportunity_workers[0].params."
                                   "fast_period: 0 is below the minimum 1"),
            std::string::npos)
      << r.FailureReason();

  Base late = base;  // a period after the data: the backtest fails
  late.operation =
      "strategy_links:\n  - environment:\n      data: {source: synthetic, bars: 100}\n"
      "      period: {start: 2030-01-01}\n";
  r = jobs.Run(late.Spec());
  EXPECT_EQ(r.failed_at, JobStage::kBacktest);
  EXPECT_EQ(r.FailureReason().rfind("backtest failed: period selects no bars", 0), 0u)
      << r.FailureReason();
}

// `n` hourly bars as CSV, the close rising by 0.5 per bar.
std::string Csv(int n) {
  std::string csv = "timestamp,open,high,low,close,volume\n";
  double p = 100;
  for (int i = 0; i < n; ++i, p += 0.5)
    csv += std::to_string(1577836800 + i * 3600) + "," + std::to_string(p) + "," +
           std::to_string(p + 1) + "," + std::to_string(p - 1) + "," + std::to_string(p) + ",10\n";
  return csv;
}

TEST(JobRunner, CsvBytesAreParsedOncePerKeyAndRequiredWithoutDataFiles) {
  Base base;
  base.operation = "strategy_links:\n  - environment:\n      data: {source: csv, path: x.csv}\n";
  JobRunner jobs;
  JobResult r = jobs.Run(base.Spec());
  EXPECT_EQ(r.failed_at, JobStage::kConfig);
  EXPECT_EQ(r.FailureReason(), "bad config: job t/1: csv data but no data artifact");

  const std::string sixty = Csv(60), forty = Csv(40);
  JobSpec spec = base.Spec();
  spec.csv = &sixty;
  spec.csv_key = "csv-sha256:aaaa";
  JobResult first = jobs.Run(spec);
  ASSERT_TRUE(first.ok()) << first.status.ToString();
  EXPECT_EQ(first.result["bars"], 60);
  spec.csv = &forty;  // same key: the bars parsed for it are used (equal keys, equal bytes)
  JobResult cached = jobs.Run(spec);
  EXPECT_EQ(cached.result.dump(), first.result.dump());
  spec.csv_key = "csv-sha256:bbbb";
  JobResult other = jobs.Run(spec);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other.result["bars"], 40);

  const std::string broken = "timestamp,open,high,low,close,volume\n2020-01-01,1,0.5,1,1,1\n";
  spec.csv = &broken;
  spec.csv_key = "csv-sha256:cccc";
  r = jobs.Run(spec);
  EXPECT_EQ(r.failed_at, JobStage::kConfig);
  EXPECT_EQ(r.FailureReason(), "bad config: job t/1 data:2: high is below low")
      << r.FailureReason();
}

}  // namespace
}  // namespace s1mple::engine
