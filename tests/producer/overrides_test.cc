// The override merge (engine/overrides.h): list form, map form, operator overrides, {}.
#include <gtest/gtest.h>

#include "engine/overrides.h"

namespace s1mple::engine {
namespace {

using nlohmann::json;

constexpr const char* kBlueprint = R"(name: base
opportunity_workers:
  - plugin: fvg_entry_detector
    subtype: technical_pattern
    params: {min_gap_size: 5, require_structure_break: true, label: "007"}
  - plugin: breakout_scanner
    params: {lookback: 20}
threat_workers:
  - plugin: max_drawdown_monitor
    triggers: [on_ledger_update]
    params: {max_drawdown_percent: 15.0}
planning_workers:
  exit_planning:
    - plugin: liquidity_target_exit
      params: {target_opposite_liquidity: false}
  size_planning:
    - plugin: fixed_risk_sizer
      params: {risk_per_trade_percent: 1.0}
)";

constexpr const char* kOperators = R"(operators:
  PlanningOperator:
    execution_strategy: SEQUENTIAL
    aggregation_strategy: CHAIN_THROUGH
  OpportunityOperator:
    execution_strategy: PARALLEL
    aggregation_strategy: COLLECT_ALL
)";

// The merged blueprint as typed JSON, for assertions.
nlohmann::ordered_json Apply(const json& overrides, ConfigTexts* texts = nullptr) {
  auto r = ApplyOverrides({kBlueprint, kOperators}, overrides);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  if (texts) *texts = r.value();
  return YamlToJson(YAML::Load(r->blueprint_yaml));
}

TEST(Overrides, EmptyOverridesChangeNothing) {
  auto r = ApplyOverrides({kBlueprint, kOperators}, json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->blueprint_yaml, kBlueprint);
  EXPECT_EQ(r->operators_yaml, kOperators);
}

TEST(Overrides, ListEntryDeepMergesOntoTheBaseWorkerOfThatPlugin) {
  auto bp = Apply(json::parse(R"({"opportunity_workers":
      [{"plugin": "fvg_entry_detector", "params": {"min_gap_size": 8}}]})"));
  auto workers = bp["opportunity_workers"];
  ASSERT_EQ(workers.size(), 1u);                          // breakout_scanner not named: dropped
  EXPECT_EQ(workers[0]["subtype"], "technical_pattern");  // kept from base
  EXPECT_EQ(workers[0]["params"]["min_gap_size"], 8);     // override wins
  EXPECT_EQ(workers[0]["params"]["require_structure_break"], true);  // unspecified: base value
  EXPECT_EQ(workers[0]["params"]["label"], "007");  // a quoted string stays a string
}

TEST(Overrides, ListDefinesTheOrderAndAddsNewWorkers) {
  auto bp = Apply(json::parse(R"({"opportunity_workers": [
      {"plugin": "trend_follower", "subtype": "momentum_signal"},
      {"plugin": "breakout_scanner"}]})"));
  auto workers = bp["opportunity_workers"];
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0]["plugin"], "trend_follower");
  EXPECT_EQ(workers[0]["subtype"], "momentum_signal");
  EXPECT_EQ(workers[1]["params"]["lookback"], 20);
}

TEST(Overrides, PhasedSlotsMergeIndependently) {
  auto bp = Apply(json::parse(R"({"planning_workers": {"exit_planning":
      [{"plugin": "atr_based_stops", "params": {"atr_multiplier": 2.0}}]}})"));
  EXPECT_EQ(bp["planning_workers"]["exit_planning"].size(), 1u);
  EXPECT_EQ(bp["planning_workers"]["exit_planning"][0]["plugin"], "atr_based_stops");
  EXPECT_EQ(bp["planning_workers"]["exit_planning"][0]["params"]["atr_multiplier"], 2.0);
  // size_planning is untouched
  EXPECT_EQ(bp["planning_workers"]["size_planning"][0]["params"]["risk_per_trade_percent"], 1.0);
}

TEST(Overrides, MapFormPatchesNamedWorkersAndKeepsTheList) {
  auto bp = Apply(json::parse(R"({"opportunity_workers":
      {"fvg_entry_detector": {"params": {"min_gap_size": 3}}}})"));
  auto workers = bp["opportunity_workers"];
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0]["params"]["min_gap_size"], 3);
  EXPECT_EQ(workers[0]["params"]["require_structure_break"], true);
  EXPECT_EQ(workers[1]["plugin"], "breakout_scanner");
}

TEST(Overrides, MapFormNamingAWorkerTheBaseLacksIsAnError) {
  auto r = ApplyOverrides({kBlueprint, kOperators}, json::parse(R"({"threat_workers":
      {"volatility_spike_detector": {"params": {"volatility_threshold_percentile": 95}}}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "overrides worker 'volatility_spike_detector' which the base blueprint lacks at "
            "overrides.threat_workers.volatility_spike_detector");
}

TEST(Overrides, TriggersAndListsInsideAWorkerReplace) {
  auto bp = Apply(json::parse(R"({"threat_workers": [{"plugin": "max_drawdown_monitor",
      "triggers": ["on_context_ready"]}]})"));
  EXPECT_EQ(bp["threat_workers"][0]["triggers"], nlohmann::ordered_json({"on_context_ready"}));
  EXPECT_EQ(bp["threat_workers"][0]["params"]["max_drawdown_percent"], 15.0);
}

TEST(Overrides, OperatorOverridesPatchOperatorsYaml) {
  ConfigTexts texts;
  Apply(json::parse(R"({"operator_overrides": {"PlanningOperator":
      {"execution_strategy": "PARALLEL", "aggregation_strategy": "COLLECT_ALL"}}})"),
        &texts);
  auto ops = YamlToJson(YAML::Load(texts.operators_yaml));
  EXPECT_EQ(ops["operators"]["PlanningOperator"]["execution_strategy"], "PARALLEL");
  EXPECT_EQ(ops["operators"]["PlanningOperator"]["aggregation_strategy"], "COLLECT_ALL");
  EXPECT_EQ(ops["operators"]["OpportunityOperator"]["execution_strategy"], "PARALLEL");
  EXPECT_EQ(texts.blueprint_yaml, kBlueprint);
}

TEST(Overrides, OperatorOverrideOfAnOperatorNotInOperatorsYamlIsAnError) {
  auto r = ApplyOverrides({kBlueprint, kOperators}, json::parse(R"({"operator_overrides":
      {"ThreatOperator": {"execution_strategy": "SEQUENTIAL"}}})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "overrides.operator_overrides.ThreatOperator: operators.yaml has no operator "
            "'ThreatOperator'");
}

TEST(Overrides, UnknownKeysAreErrors) {
  auto r = ApplyOverrides({kBlueprint, kOperators}, json::parse(R"({"monitor_workers": []})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("overrides.monitor_workers: unknown key"), std::string::npos);
  r = ApplyOverrides({kBlueprint, kOperators}, json::parse(R"({"operator_overrides":
      {"PlanningOperator": {"workers": 3}}})"));
  ASSERT_FALSE(r.ok());
}

TEST(Overrides, YamlRoundTripKeepsTypes) {
  auto node = YAML::Load("a: \"5\"\nb: 5\nc: 2.50\nd: true\ne: 'true'\nf: ~\ng: [x, 1]\n");
  auto j = YamlToJson(node);
  EXPECT_TRUE(j["a"].is_string());
  EXPECT_TRUE(j["b"].is_number_integer());
  EXPECT_TRUE(j["c"].is_number_float());
  EXPECT_TRUE(j["d"].is_boolean());
  EXPECT_TRUE(j["e"].is_string());
  EXPECT_TRUE(j["f"].is_null());
  EXPECT_EQ(YamlToJson(YAML::Load(EmitYaml(node))), j);
  EXPECT_EQ(YamlToJson(YAML::Load(EmitYaml(JsonToYaml(j)))), j);
}

}  // namespace
}  // namespace s1mple::engine
