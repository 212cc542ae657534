// Plans against the real base operations and plugin manifests, jobs run through the engine,
// and the CLI: every seed example validates, bad plans are refused naming file and YAML path,
// analysis of real results, and the export round trip (`s1mple job --export` + `s1mple run`).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "producer/analysis.h"
#include "producer/local_run.h"
#include "producer/sweep_request.h"
#include "tests/support/process.h"

namespace s1mple::producer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("s1mple-producer-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` as a plan file and returns its path.
fs::path PlanFile(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}

PlanKind KindOf(const std::string& file) {
  return file.find("variants") != std::string::npos ? PlanKind::kVariant : PlanKind::kOptimization;
}

TEST(SeedExamples, EveryExampleValidatesAgainstItsBaseOperation) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"config/optimizations/optimize_fvg_params.yaml", 16},
      {"config/optimizations/optimize_opportunity_types.yaml", 3},
      {"config/optimizations/optimize_planning_phases.yaml", 18},
      {"config/optimizations/optimize_operator_strategies.yaml", 2},
      {"config/optimizations/optimize_event_workflows.yaml", 2},
      {"config/optimizations/comprehensive_ict_optimization.yaml", 448},
      {"config/variants/fvg_strategy_variants.yaml", 3},
      {"config/variants/opportunity_type_variants.yaml", 3},
      {"config/variants/exit_strategy_variants.yaml", 3},
      {"config/variants/operator_strategy_variants.yaml", 3},
      {"config/variants/event_chain_variants.yaml", 2},
      {"config/variants/comprehensive_robustness_test.yaml", 8},
  };
  for (const auto& [file, jobs] : cases) {
    auto sweep = PrepareSweep(file, KindOf(file));
    ASSERT_TRUE(sweep.ok()) << file << ": " << sweep.status().ToString();
    EXPECT_EQ(sweep->job_count(), jobs) << file;
    EXPECT_FALSE(sweep->base.blueprint_yaml.empty());
    EXPECT_NE(sweep->base.operation_yaml.find("strategy_blueprint: strategy_blueprint.yaml"),
              std::string::npos)
        << sweep->base.operation_yaml;
  }
}

class BadPlans : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempDir("bad"); }
  void TearDown() override { fs::remove_all(dir_); }

  // The error PrepareSweep gives for an optimization plan over ict_smc with `body`.
  std::string OptimizationError(const std::string& body) {
    auto file = PlanFile(dir_, "plan.yaml",
                         "optimization_config:\n  name: bad\n  base_operation: "
                         "config/operations/ict_smc_backtest.yaml\n" +
                             body);
    auto sweep = PrepareSweep(file, PlanKind::kOptimization);
    EXPECT_FALSE(sweep.ok()) << body;
    if (sweep.ok()) return "";
    EXPECT_NE(sweep.status().message().find((dir_ / "plan.yaml").string() + ": "),
              std::string::npos)
        << sweep.status().message();
    return sweep.status().message();
  }
  std::string VariantError(const std::string& variants) {
    auto file = PlanFile(dir_, "plan.yaml",
                         "variant_config:\n  name: bad\n  base_operation: "
                         "config/operations/ict_smc_backtest.yaml\n  variants:\n" +
                             variants);
    auto sweep = PrepareSweep(file, PlanKind::kVariant);
    EXPECT_FALSE(sweep.ok()) << variants;
    return sweep.ok() ? "" : sweep.status().message();
  }
  fs::path dir_;
};

TEST_F(BadPlans, UnknownPluginIsRefusedListingTheKnownOnes) {
  auto e = OptimizationError(R"(  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detectr
      parameters: {min_gap_size: {values: [3]}}
)");
  EXPECT_NE(e.find("optimization_config.parameter_space[0]: unknown plugin 'fvg_entry_detectr' "
                   "(known opportunity_workers plugins: "),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("fvg_entry_detector"), std::string::npos) << e;
}

TEST_F(BadPlans, UnknownParameterIsRefusedListingTheDeclaredOnes) {
  auto e = OptimizationError(R"(  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detector
      parameters: {min_gap: {start: 1, end: 3, step: 1}}
)");
  EXPECT_NE(e.find("parameter_space[0].params.min_gap: unknown parameter 'min_gap' of plugin "
                   "'fvg_entry_detector' (parameters: min_gap_size"),
            std::string::npos)
      << e;
}

TEST_F(BadPlans, ValuesOutOfBoundsOrOfTheWrongTypeAreRefused) {
  auto e = OptimizationError(R"(  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detector
      parameters: {min_gap_size: {start: 9000, end: 11000, step: 1000}}
)");
  EXPECT_NE(e.find("parameter_space[0].parameters.min_gap_size"), std::string::npos) << e;
  e = OptimizationError(R"(  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detector
      parameters: {require_structure_break: {values: [true, "sometimes"]}}
)");
  EXPECT_NE(e.find("parameters.require_structure_break"), std::string::npos) << e;
}

TEST_F(BadPlans, ParameterSpaceOnAWorkerTheBaseLacksIsRefused) {
  auto e = OptimizationError(R"(  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: breakout_scanner
      parameters: {lookback: {values: [20, 30]}}
)");
  EXPECT_NE(e.find("overrides worker 'breakout_scanner' which the base blueprint lacks"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("optimization_config.parameter_space[0].parameters.lookback"), std::string::npos)
      << e;
}

TEST_F(BadPlans, VariantOverridingAWorkerTheBaseLacksIsRefused) {
  auto e = VariantError(R"(    - name: spiky
      overrides:
        threat_workers:
          volatility_spike_detector: {params: {volatility_threshold_percentile: 95}}
)");
  EXPECT_NE(e.find("variant_config.variants[0]: variant 'spiky' overrides worker "
                   "'volatility_spike_detector' which the base blueprint lacks at "
                   "overrides.threat_workers.volatility_spike_detector"),
            std::string::npos)
      << e;
}

TEST_F(BadPlans, VariantWithAnUnknownPluginOrParamIsRefused) {
  auto e = VariantError(R"(    - name: x
      overrides:
        planning_workers:
          exit_planning:
            - plugin: atr_based_stops
              params: {atr_multiplyer: 2.0}
)");
  EXPECT_NE(e.find("variant_config.variants[0].overrides.planning_workers.exit_planning[0]."
                   "params.atr_multiplyer: unknown parameter 'atr_multiplyer'"),
            std::string::npos)
      << e;
}

TEST_F(BadPlans, TooManyJobsAndTheWrongPlanKindAreRefused) {
  PrepareOptions options;
  options.max_jobs = 100;
  auto big = PrepareSweep("config/optimizations/comprehensive_ict_optimization.yaml",
                          PlanKind::kOptimization, options);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("the plan has 448 jobs, more than the limit of 100"),
            std::string::npos)
      << big.status().message();
  auto kind = PrepareSweep("config/variants/fvg_strategy_variants.yaml", PlanKind::kOptimization);
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.status().message().find("is a variant plan"), std::string::npos);
}

TEST(InProcess, VariantComparisonOfRealBacktests) {
  auto sweep = PrepareSweep("config/variants/fvg_strategy_variants.yaml", PlanKind::kVariant);
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  engine::JsonOptions json_options;
  json_options.max_equity_points = 500;
  json_options.include_trades = false;
  InProcessRunner runner(*sweep, json_options);
  auto dir = TempDir("variants");
  auto analyzer =
      SweepAnalyzer::Open(*sweep->space, {"sw-local", "2026-01-01T00:00:00Z", ""}, {dir});
  ASSERT_TRUE(analyzer.ok());
  std::vector<json> results;
  for (uint64_t i = 0; i < sweep->job_count(); ++i) {
    auto outcome = runner.Run(i);
    ASSERT_TRUE(outcome.ok) << outcome.failure_reason;
    results.push_back(outcome.result);
    ASSERT_TRUE((*analyzer)->Add(outcome).ok());
  }
  auto summary = (*analyzer)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  // strict_fvg (min_gap_size 8) detects fewer gaps than relaxed_fvg (3 without structure).
  EXPECT_LT(results[1]["causality"]["opportunities_detected"].get<int64_t>(),
            results[2]["causality"]["opportunities_detected"].get<int64_t>());
  EXPECT_EQ((*summary)["comparative_analysis"]["most_trades"], "relaxed_fvg") << (*summary).dump(2);
  auto full = json::parse(Slurp(dir / "variant_comparison.json"));
  EXPECT_LE(full["results"][0]["equity_curve"].size(), 500u);
  EXPECT_GT(full["results"][0]["equity_curve"].size(), 100u);
  fs::remove_all(dir);
}

TEST(InProcess, BaselineVariantEqualsTheBaseOperation) {
  auto sweep = PrepareSweep("config/variants/fvg_strategy_variants.yaml", PlanKind::kVariant);
  ASSERT_TRUE(sweep.ok());
  InProcessRunner runner(*sweep);
  auto baseline = runner.Run(0);
  ASSERT_TRUE(baseline.ok) << baseline.failure_reason;
  auto r = testing::RunS1mple({"run", "config/operations/ict_smc_backtest.yaml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["metrics"], baseline.result["metrics"]);
}

// The export round trip: `s1mple job --plan P --index N --export DIR` then `s1mple run` on the
// exported files gives the metrics of the job run in-process from the plan.
TEST(ExportRoundTrip, ExportedJobRunsToIdenticalMetrics) {
  const std::pair<const char*, uint64_t> jobs[] = {
      {"config/optimizations/optimize_planning_phases.yaml", 4},      // atr_based_stops 2.5
      {"config/optimizations/optimize_operator_strategies.yaml", 1},  // PARALLEL planning
      {"config/variants/comprehensive_robustness_test.yaml", 3},      // threat_aware
  };
  for (const auto& [plan, index] : jobs) {
    auto sweep = PrepareSweep(plan, KindOf(plan));
    ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
    InProcessRunner runner(*sweep);
    auto outcome = runner.Run(index);
    ASSERT_TRUE(outcome.ok) << plan << ": " << outcome.failure_reason;

    auto dir = TempDir("export");
    auto exported = testing::RunS1mple({"job", "--plan", plan, "--index", std::to_string(index),
                                        "--export", (dir / "job").string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    for (const char* f : {"operation.yaml", "strategy_blueprint.yaml", "operators.yaml"}) {
      EXPECT_TRUE(fs::exists(dir / "job" / f)) << f;
    }
    auto run = testing::RunS1mple(
        {"run", (dir / "job" / "operation.yaml").string(), "--out", (dir / "out").string()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto result = json::parse(Slurp(dir / "out" / "result.json"));
    EXPECT_EQ(result["metrics"], outcome.result["metrics"]) << plan << " #" << index;
    EXPECT_EQ(result["causality"], outcome.result["causality"]) << plan << " #" << index;
    fs::remove_all(dir);
  }
}

TEST(ExportRoundTrip, ExportedBlueprintCarriesTheJobsOverrides) {
  auto dir = TempDir("export-bp");
  auto r = testing::RunS1mple({"job", "--plan", "config/optimizations/optimize_fvg_params.yaml",
                               "--index", "5", "--export", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto bp = YAML::LoadFile((dir / "strategy_blueprint.yaml").string());
  const auto fvg = bp["opportunity_workers"][0];
  EXPECT_EQ(fvg["plugin"].as<std::string>(), "fvg_entry_detector");
  EXPECT_EQ(fvg["params"]["min_gap_size"].as<int>(), 5);
  EXPECT_FALSE(fvg["params"]["require_structure_break"].as<bool>());
  EXPECT_EQ(fvg["params"]["structure_window"].as<int>(), 10);  // kept from the base
  auto op = YAML::LoadFile((dir / "operation.yaml").string());
  ASSERT_EQ(op["strategy_links"].size(), 1u);
  EXPECT_EQ(op["strategy_links"][0]["strategy_blueprint"].as<std::string>(),
            "strategy_blueprint.yaml");
  fs::remove_all(dir);
}

TEST(PlanCli, DryRunPrintsTheJobCountAndFirstConfigurations) {
  auto r = testing::RunS1mple(
      {"optimize", "config/optimizations/optimize_fvg_params.yaml", "--dry-run", "--first", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("jobs: 16\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first 2 configurations:\n  #0  fvg_entry_detector.min_gap_size=3 "
                       "fvg_entry_detector.require_structure_break=true\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("nothing submitted"), std::string::npos);
  auto v = testing::RunS1mple(
      {"variant", "config/variants/exit_strategy_variants.yaml", "--dry-run", "--show-overrides"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.out.find("overrides: {\"planning_workers\":{\"exit_planning\":[{\"params\":"
                       "{\"atr_multiplier\":2.0},\"plugin\":\"atr_based_stops\"}]}}"),
            std::string::npos)
      << v.out;
}

TEST(PlanCli, BadPlanIsOneLineUsageErrorNamingFileAndPath) {
  auto dir = TempDir("cli-bad");
  auto plan = PlanFile(dir, "bad.yaml", R"(optimization_config:
  name: bad
  base_operation: config/operations/ict_smc_backtest.yaml
  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detector
      parameters:
        min_gap_size: {start: 3, end: 10, step: 0}
)");
  auto r = testing::RunS1mple({"optimize", plan.string(), "--dry-run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err, "s1mple: error: " + plan.string() +
                       ": optimization_config.parameter_space[0].parameters.min_gap_size: step "
                       "is 0: the range would never end (line 8)\n");
  auto big =
      testing::RunS1mple({"optimize", "config/optimizations/comprehensive_ict_optimization.yaml",
                          "--dry-run", "--max-jobs", "100"});
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_NE(big.err.find("448 jobs"), std::string::npos) << big.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::producer
