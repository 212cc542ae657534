// Expanding plans into job spaces: counts are the product over dimensions, job i's overrides and
// varied parameters follow from i alone.
#include <gtest/gtest.h>

#include <set>

#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

using nlohmann::json;
using testing::SpaceOfFile;
using testing::SpaceOfText;

TEST(Expansion, SeedExampleJobCounts) {
  struct Case {
    const char* file;
    uint64_t jobs;
  } cases[] = {
      {"config/optimizations/optimize_fvg_params.yaml", 8 * 2},
      {"config/optimizations/optimize_opportunity_types.yaml", 3},
      {"config/optimizations/optimize_planning_phases.yaml", 3 * (1 + 5)},
      {"config/optimizations/optimize_operator_strategies.yaml", 2 * 1},
      {"config/optimizations/optimize_event_workflows.yaml", 2},
      {"config/optimizations/comprehensive_ict_optimization.yaml", 8 * 2 * 2 * 2 * 7 * 1},
      {"config/variants/fvg_strategy_variants.yaml", 3},
      {"config/variants/opportunity_type_variants.yaml", 3},
      {"config/variants/exit_strategy_variants.yaml", 3},
      {"config/variants/operator_strategy_variants.yaml", 3},
      {"config/variants/event_chain_variants.yaml", 2},
      {"config/variants/comprehensive_robustness_test.yaml", 8},
  };
  for (const auto& c : cases) EXPECT_EQ(SpaceOfFile(c.file).size(), c.jobs) << c.file;
}

TEST(Expansion, ParameterSpaceIsMixedRadixLastDimensionFastest) {
  auto space = SpaceOfFile("config/optimizations/optimize_fvg_params.yaml");
  ASSERT_EQ(space.columns(),
            (std::vector<std::string>{"fvg_entry_detector.min_gap_size",
                                      "fvg_entry_detector.require_structure_break"}));
  EXPECT_EQ(space.Overrides(0).dump(),
            R"({"opportunity_workers":{"fvg_entry_detector":{"params":{"min_gap_size":3,)"
            R"("require_structure_break":true}}}})");
  EXPECT_EQ(
      space.Overrides(
          1)["opportunity_workers"]["fvg_entry_detector"]["params"]["require_structure_break"],
      false);
  EXPECT_EQ(
      space.Overrides(15)["opportunity_workers"]["fvg_entry_detector"]["params"]["min_gap_size"],
      10);
  auto varied = space.Varied(5);  // min_gap_size 5, require_structure_break false
  ASSERT_EQ(varied.size(), 2u);
  EXPECT_EQ(varied[0].second, 5);
  EXPECT_EQ(varied[1].second, false);
  EXPECT_EQ(space.Describe(5),
            "fvg_entry_detector.min_gap_size=5 fvg_entry_detector.require_structure_break=false");
}

TEST(Expansion, EveryJobIsDistinct) {
  auto space = SpaceOfFile("config/optimizations/comprehensive_ict_optimization.yaml");
  std::set<std::string> seen;
  for (uint64_t i = 0; i < space.size(); ++i) seen.insert(space.Overrides(i).dump());
  EXPECT_EQ(seen.size(), space.size());
}

TEST(Expansion, ComprehensiveDecimalStepsAndFixedOperator) {
  auto space = SpaceOfFile("config/optimizations/comprehensive_ict_optimization.yaml");
  std::set<std::string> risks;
  for (uint64_t i = 0; i < space.size(); ++i) {
    auto o = space.Overrides(i);
    risks.insert(o["planning_workers"]["size_planning"]["fixed_risk_sizer"]["params"]
                  ["risk_per_trade_percent"]
                      .dump());
    EXPECT_EQ(o["operator_overrides"]["OpportunityOperator"],
              json({{"execution_strategy", "PARALLEL"}, {"aggregation_strategy", "COLLECT_ALL"}}));
    EXPECT_EQ(o["opportunity_workers"]["fvg_entry_detector"]["subtype"], "technical_pattern");
  }
  EXPECT_EQ(risks, (std::set<std::string>{"0.5", "0.75", "1.0", "1.25", "1.5", "1.75", "2.0"}));
}

TEST(Expansion, PlanningVariantsExpandTheirOwnRanges) {
  auto space = SpaceOfFile("config/optimizations/optimize_planning_phases.yaml");
  ASSERT_EQ(space.size(), 18u);
  // Job 0: limit_entry_at_fvg + liquidity_target_exit. Job 1..5: atr_based_stops 1.0..3.0.
  auto o0 = space.Overrides(0);
  EXPECT_EQ(
      o0["planning_workers"]["entry_planning"],
      json::parse(R"([{"plugin":"limit_entry_at_fvg","params":{"entry_at_midpoint":true}}])"));
  EXPECT_EQ(o0["planning_workers"]["exit_planning"],
            json::parse(R"([{"plugin":"liquidity_target_exit"}])"));
  auto o5 = space.Overrides(5);
  EXPECT_EQ(o5["planning_workers"]["exit_planning"][0]["plugin"], "atr_based_stops");
  EXPECT_EQ(o5["planning_workers"]["exit_planning"][0]["params"]["atr_multiplier"], 3.0);
  EXPECT_EQ(space.Overrides(17)["planning_workers"]["entry_planning"][0]["plugin"], "twap_entry");
  EXPECT_EQ(space.Describe(2),
            "planning.entry_planning.plugin=limit_entry_at_fvg "
            "planning.exit_planning.plugin=atr_based_stops atr_based_stops.atr_multiplier=1.5");
  // A job on liquidity_target_exit has no atr_multiplier column value.
  for (const auto& [column, value] : space.Varied(0)) {
    EXPECT_NE(column, "atr_based_stops.atr_multiplier");
  }
  auto config = space.Configuration(2);
  EXPECT_EQ(config["atr_based_stops"]["atr_multiplier"], 1.5);
  EXPECT_EQ(config["planning"]["exit_planning"]["plugin"], "atr_based_stops");
}

TEST(Expansion, OperatorAggregationFollowsExecutionUnlessGiven) {
  auto space = SpaceOfFile("config/optimizations/optimize_operator_strategies.yaml");
  ASSERT_EQ(space.size(), 2u);
  EXPECT_EQ(
      space.Overrides(0)["operator_overrides"]["PlanningOperator"],
      json({{"execution_strategy", "SEQUENTIAL"}, {"aggregation_strategy", "CHAIN_THROUGH"}}));
  EXPECT_EQ(space.Overrides(1)["operator_overrides"]["PlanningOperator"],
            json({{"execution_strategy", "PARALLEL"}, {"aggregation_strategy", "COLLECT_ALL"}}));
  EXPECT_EQ(space.Overrides(1)["operator_overrides"]["OpportunityOperator"]["aggregation_strategy"],
            "COLLECT_ALL");
  auto events = SpaceOfText(R"(optimization_config:
  name: t
  base_operation: b.yaml
  operator_variants:
    - operator_id: OpportunityOperator
      execution_strategy: {values: [EVENT_DRIVEN]}
    - operator_id: PlanningOperator
      execution_strategy: {values: [SEQUENTIAL, PARALLEL]}
      aggregation_strategy: {values: [COLLECT_ALL, NONE]}
)");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(
      events.Overrides(0)["operator_overrides"]["OpportunityOperator"]["aggregation_strategy"],
      "NONE");
  EXPECT_EQ(events.Overrides(1)["operator_overrides"]["PlanningOperator"],
            json({{"execution_strategy", "SEQUENTIAL"}, {"aggregation_strategy", "NONE"}}));
}

TEST(Expansion, WorkerSelectionGivesOneWorkforcePerSubtype) {
  auto space = SpaceOfFile("config/optimizations/optimize_opportunity_types.yaml");
  ASSERT_EQ(space.size(), 3u);
  EXPECT_EQ(space.Overrides(1)["opportunity_workers"],
            json::parse(R"([{"plugin":"trend_follower","subtype":"momentum_signal"},
                            {"plugin":"momentum_scanner","subtype":"momentum_signal"}])"));
  EXPECT_EQ(space.Describe(2),
            "opportunity_workers.subtype=mean_reversion "
            "opportunity_workers.plugins=oversold_detector+rsi_reversal");
}

TEST(Expansion, WorkerVariantsAndVariantPlansUseTheirOverrides) {
  auto events = SpaceOfFile("config/optimizations/optimize_event_workflows.yaml");
  EXPECT_EQ(events.Overrides(1),
            json::parse(
                R"({"planning_workers":{"entry_planning":[{"plugin":"adaptive_dca_planner"}]}})"));
  EXPECT_EQ(events.Describe(0), "worker_variant=implicit_chain_variant");
  auto variants = SpaceOfFile("config/variants/comprehensive_robustness_test.yaml");
  EXPECT_EQ(variants.Overrides(0), json::object());  // baseline: overrides {}
  EXPECT_EQ(variants.Describe(3), "variant=threat_aware");
  EXPECT_EQ(variants.Overrides(3)["threat_workers"][1]["params"]["volatility_threshold_percentile"],
            95);
}

TEST(Expansion, NoDimensionsMeansOneBaseJob) {
  auto space = SpaceOfText("optimization_config:\n  name: t\n  base_operation: b.yaml\n");
  EXPECT_EQ(space.size(), 1u);
  EXPECT_EQ(space.Overrides(0), json::object());
  EXPECT_EQ(space.Describe(0), "(base configuration)");
}

TEST(Expansion, AMillionJobPlanIsEnumeratedLazily) {
  // 100 x 100 x 100 = 1,000,000 jobs; only the three 100-value axes are held.
  auto space = SpaceOfText(R"(optimization_config:
  name: big
  base_operation: b.yaml
  parameter_space:
    - worker_category: context_workers
      worker_plugin: ema
      parameters:
        period: {start: 1, end: 100, step: 1}
    - worker_category: planning_workers
      worker_phase: exit_planning
      worker_plugin: atr_based_stops
      parameters:
        atr_multiplier: {start: 0.01, end: 1.0, step: 0.01}
        atr_period: {start: 2, end: 200, step: 2}
)");
  ASSERT_EQ(space.size(), 1'000'000u);
  auto last = space.Overrides(999'999);
  EXPECT_EQ(last["context_workers"]["ema"]["params"]["period"], 100);
  EXPECT_EQ(last["planning_workers"]["exit_planning"]["atr_based_stops"]["params"]["atr_multiplier"]
                .dump(),
            "1.0");
  EXPECT_EQ(space.Overrides(123'456)["context_workers"]["ema"]["params"]["period"], 13);
  EXPECT_LT(space.Overrides(123'456).dump().size(), 300u);
}

}  // namespace
}  // namespace s1mple::producer
