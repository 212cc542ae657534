// Loading plans: every seed example loads; bad plans are refused naming file and YAML path.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/vocabulary.h"
#include "producer/sweep_request.h"
#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

using testing::ErrorOf;
using testing::ParseText;

constexpr const char* kHead = R"(optimization_config:
  name: "t"
  base_operation: "config/operations/ict_smc_backtest.yaml"
)";

std::string Optimization(const std::string& body) {
  return std::string(kHead) + body;
}

TEST(PlanLoader, EverySeedExampleLoads) {
  int n = 0;
  for (const char* dir : {"config/optimizations", "config/variants"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      auto plan = LoadPlanFile(entry.path(), testing::NoBaseNeeded());
      EXPECT_TRUE(plan.ok()) << entry.path() << ": " << plan.status().ToString();
      ++n;
    }
  }
  EXPECT_GE(n, 12);
}

TEST(PlanLoader, KindComesFromTheTopLevelKey) {
  auto o = LoadPlanFile("config/optimizations/optimize_fvg_params.yaml", testing::NoBaseNeeded());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->kind, PlanKind::kOptimization);
  EXPECT_EQ(o->name, "FVG Parameter Sweep");
  auto v = LoadPlanFile("config/variants/fvg_strategy_variants.yaml", testing::NoBaseNeeded());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->kind, PlanKind::kVariant);
  ASSERT_EQ(v->variants.size(), 3u);
  EXPECT_EQ(v->variants[1].name, "strict_fvg");
}

TEST(PlanLoader, ComprehensiveTargetsConstraintsAndParallelConfig) {
  auto p = LoadPlanFile("config/optimizations/comprehensive_ict_optimization.yaml",
                        testing::NoBaseNeeded());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->targets.primary_metric, "sharpe_ratio");
  EXPECT_TRUE(p->targets.maximize);
  EXPECT_EQ(p->targets.secondary_metrics.size(), 3u);
  ASSERT_EQ(p->constraints.size(), 2u);
  EXPECT_EQ(p->constraints[0].metric, "total_trades");
  EXPECT_EQ(*p->constraints[0].min, 10);
  EXPECT_EQ(p->constraints[1].metric, "max_drawdown");
  EXPECT_EQ(*p->constraints[1].max, 15.0);
  EXPECT_EQ(p->parallel.max_workers, 8);
  EXPECT_EQ(p->parallel.timeout_per_run_s, 300);
}

TEST(PlanLoader, StepZeroIsRefusedWithFileAndPath) {
  auto e = ErrorOf(Optimization(R"(  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "fvg_entry_detector"
      parameters:
        min_gap_size: {start: 3, end: 10, step: 0}
)"));
  EXPECT_NE(e.find("test_plan.yaml: optimization_config.parameter_space[0].parameters."
                   "min_gap_size: step is 0"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("(line 8)"), std::string::npos) << e;
}

TEST(PlanLoader, EndBelowStartIsRefused) {
  auto e = ErrorOf(Optimization(R"(  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "fvg_entry_detector"
      parameters:
        min_gap_size: {start: 10, end: 3, step: 1}
)"));
  EXPECT_NE(e.find("parameters.min_gap_size: end 3 is below start 10"), std::string::npos) << e;
}

TEST(PlanLoader, EmptyValuesListYieldsNothingAndIsRefused) {
  auto e = ErrorOf(Optimization(R"(  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "fvg_entry_detector"
      parameters:
        require_structure_break: {values: []}
)"));
  EXPECT_NE(e.find("require_structure_break.values: the list is empty: it yields nothing"),
            std::string::npos)
      << e;
}

TEST(PlanLoader, UnknownMetricInTargetOrConstraintIsRefused) {
  auto e = ErrorOf(Optimization(R"(  optimization_targets:
    primary_metric: "sharp_ratio"
)"));
  EXPECT_NE(e.find("optimization_config.optimization_targets.primary_metric: unknown metric "
                   "'sharp_ratio'"),
            std::string::npos)
      << e;
  e = ErrorOf(Optimization(R"(  constraints:
    min_profitability: 3
)"));
  EXPECT_NE(e.find("optimization_config.constraints.min_profitability: unknown metric "
                   "'profitability'"),
            std::string::npos)
      << e;
  e = ErrorOf(R"(variant_config:
  name: x
  base_operation: b.yaml
  variants: [{name: a, overrides: {}}]
  comparison_config:
    metrics: [sharpe_ratio, alpha]
)");
  EXPECT_NE(e.find("variant_config.comparison_config.metrics[1]: unknown metric 'alpha'"),
            std::string::npos)
      << e;
}

TEST(PlanLoader, MissingBaseOperationIsRefused) {
  auto e = ErrorOf(R"(optimization_config:
  name: "no base"
)");
  EXPECT_NE(e.find("optimization_config.base_operation: missing"), std::string::npos) << e;
  PlanLoadOptions strict;
  auto p = ParseText(
      "optimization_config:\n  name: t\n  base_operation: config/operations/no_such.yaml\n",
      strict);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("optimization_config.base_operation: "
                                      "'config/operations/no_such.yaml' does not exist"),
            std::string::npos)
      << p.status().message();
}

TEST(PlanLoader, UnknownKeysAreRefused) {
  auto e = ErrorOf(Optimization(R"(  parameter_spaces: []
)"));
  EXPECT_NE(e.find("optimization_config.parameter_spaces: unknown key"), std::string::npos) << e;
  e = ErrorOf(Optimization(R"(  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "fvg_entry_detector"
      parameters:
        min_gap_size: {start: 1, stop: 3, step: 1}
)"));
  EXPECT_NE(e.find("min_gap_size.stop: unknown key"), std::string::npos) << e;
}

TEST(PlanLoader, UnknownWorkerCategoryAndOverrideKeyAreRefused) {
  auto e = ErrorOf(Optimization(R"(  parameter_space:
    - worker_category: "analysis_workers"
      worker_plugin: "x"
      parameters: {a: {values: [1]}}
)"));
  EXPECT_NE(e.find("parameter_space[0].worker_category: unknown worker category "
                   "'analysis_workers'"),
            std::string::npos)
      << e;
  e = ErrorOf(R"(variant_config:
  name: x
  base_operation: b.yaml
  variants:
    - name: a
      overrides:
        monitor_workers: []
)");
  EXPECT_NE(e.find("variant_config.variants[0].overrides.monitor_workers: unknown override key"),
            std::string::npos)
      << e;
}

TEST(PlanLoader, BadOperatorStrategyIsRefused) {
  auto e = ErrorOf(Optimization(R"(  operator_variants:
    - operator_id: "PlanningOperator"
      execution_strategy: {values: ["SEQUENTIAL", "CONCURRENT"]}
)"));
  EXPECT_NE(e.find("operator_variants[0].execution_strategy: \"CONCURRENT\" is not one of"),
            std::string::npos)
      << e;
}

TEST(PlanLoader, DuplicateVariantNamesAreRefused) {
  auto e = ErrorOf(R"(variant_config:
  name: x
  base_operation: b.yaml
  variants:
    - {name: a, overrides: {}}
    - {name: a, overrides: {}}
)");
  EXPECT_NE(e.find("variant_config.variants[1]: duplicate name 'a'"), std::string::npos) << e;
}

TEST(PlanLoader, AListAndAnotherWriteToTheSameSlotCannotBeCombined) {
  auto e = ErrorOf(Optimization(R"(  parameter_space:
    - worker_category: "planning_workers"
      worker_phase: "exit_planning"
      worker_plugin: "atr_based_stops"
      parameters: {atr_multiplier: {values: [1.0, 2.0]}}
  planning_variants:
    - phase: "exit_planning"
      variants: [{plugin: "liquidity_target_exit"}, {plugin: "atr_based_stops"}]
)"));
  EXPECT_NE(e.find("sets planning_workers.exit_planning, which"), std::string::npos) << e;
}

TEST(PlanLoader, BaseOperationResolvesAboveThePlanFile) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("s1mple-plan-" + std::to_string(::getpid()));
  fs::create_directories(root / "config/operations");
  fs::create_directories(root / "config/optimizations");
  std::ofstream(root / "config/operations/op.yaml") << "name: x\n";
  std::ofstream(root / "config/optimizations/p.yaml")
      << "optimization_config:\n  name: p\n  base_operation: config/operations/op.yaml\n";
  auto p = LoadPlanFile(root / "config/optimizations/p.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(fs::canonical(p->base_operation_path),
            fs::canonical(root / "config/operations/op.yaml"));
  fs::remove_all(root);
}

// The roles the producer names a sweep's base artifacts with are the shared vocabulary's
// (common/vocabulary.h), which the store, the wire and the explorer use.
TEST(ArtifactRoles, TheProducersRolesAreTheVocabularys) {
  EXPECT_EQ(Name(ArtifactRole::kOperation), kRoleOperation);
  EXPECT_EQ(Name(ArtifactRole::kBlueprint), kRoleBlueprint);
  EXPECT_EQ(Name(ArtifactRole::kOperators), kRoleOperators);
  EXPECT_EQ(Name(ArtifactRole::kData), kRoleData);
}

}  // namespace
}  // namespace s1mple::producer
