// Loading operation.yaml, strategy_blueprint.yaml and operators.yaml, and every bad input.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "engine/operation.h"
#include "engine/plugin_registry.h"
#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

namespace fs = std::filesystem;

TEST(LoadOperation, ExampleLoadsWithResolvedPathsAndDefaults) {
  auto op = LoadOperationFile("config/operations/ema_cross.yaml");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  ASSERT_EQ(op->links.size(), 1u);
  const StrategyLink& l = op->links[0];
  EXPECT_EQ(l.name, "ema_cross");
  EXPECT_EQ(l.blueprint_path, fs::path("config/strategies/ema_cross.yaml"));
  EXPECT_EQ(l.operators_path, fs::path("config/operators.yaml"));
  EXPECT_EQ(l.blueprint.opportunity_workers.at(0).plugin, "trend_follower");
  EXPECT_EQ(l.blueprint.opportunity_workers[0].params.GetInt("fast_period"), 12);
  EXPECT_EQ(l.blueprint.planning_workers[1].size(), 2u);  // exit_planning
  EXPECT_EQ(l.environment.fees_bps, 5);
  EXPECT_EQ(l.environment.data.source, DataSpec::Source::kSynthetic);
  EXPECT_EQ(l.operators[OperatorId::kOpportunity].execution, ExecutionStrategy::kParallel);
  EXPECT_EQ(l.operators[OperatorId::kExecution].aggregation, AggregationStrategy::kNone);
  // Defaults filled in from the manifest.
  EXPECT_DOUBLE_EQ(l.blueprint.threat_workers.at(0).params.GetFloat("max_daily_drawdown"), 0.0);
}

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            ("s1mple-engine-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path Write(const std::string& rel, const std::string& text) const {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

constexpr const char* kGoodBlueprint = R"(name: t
opportunity_workers:
  - plugin: trend_follower
    params: {fast_period: 5, slow_period: 20}
planning_workers:
  exit_planning:
    - plugin: atr_based_stops
  size_planning:
    - plugin: fixed_risk_sizer
)";

TEST(LoadOperation, RelativePathsResolveAgainstTheNamingFile) {
  TempDir d;
  d.Write("strategies/b.yaml", kGoodBlueprint);
  d.Write("data/bars.csv", "timestamp,open,high,low,close,volume\n2020-01-01,1,2,1,1,1\n");
  auto op_path = d.Write("ops/op.yaml", R"(strategy_links:
  - strategy_blueprint: ../strategies/b.yaml
    environment:
      data: {source: csv, path: ../data/bars.csv}
)");
  auto op = LoadOperationFile(op_path);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->links[0].blueprint_path, (d.path() / "strategies/b.yaml").lexically_normal());
  EXPECT_EQ(op->links[0].environment.data.path, (d.path() / "data/bars.csv").lexically_normal());
  EXPECT_TRUE(LoadData(op->links[0].environment.data).ok());
}

struct BadInput {
  const char* name;
  std::string blueprint;
  std::string operators;
  std::string env;     // extra environment lines
  const char* expect;  // substrings of the one-line error, '|'-separated
};

class RejectsBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(RejectsBadInput, WithOneLineNamingOriginAndYamlPath) {
  const BadInput& c = GetParam();
  auto op =
      ParseOperationTexts(testing::Environment(c.env), c.blueprint, c.operators, "job sw-1/7");
  ASSERT_FALSE(op.ok()) << c.name;
  EXPECT_TRUE(op.status().IsInvalidArgument()) << op.status().ToString();
  const std::string& msg = op.status().message();
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  std::string expect = c.expect;
  size_t start = 0;
  while (start <= expect.size()) {
    size_t bar = expect.find('|', start);
    std::string part =
        expect.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    EXPECT_NE(msg.find(part), std::string::npos) << "missing '" << part << "' in: " << msg;
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
}

const std::string kOpp = "opportunity_workers:\n  - plugin: trend_follower\n";
INSTANTIATE_TEST_SUITE_P(
    Engine, RejectsBadInput,
    ::testing::Values(
        BadInput{"unknown_plugin", "opportunity_workers:\n  - plugin: fvg_magic\n", "", "",
                 "job sw-1/7 blueprint: opportunity_workers[0].plugin: unknown plugin "
                 "'fvg_magic'|known opportunity_workers plugins:|trend_follower"},
        BadInput{"plugin_in_wrong_category", "context_workers:\n  - plugin: trend_follower\n", "",
                 "", "context_workers[0].plugin: plugin 'trend_follower' is a OpportunityWorker"},
        BadInput{"planner_in_wrong_phase",
                 "planning_workers:\n  size_planning:\n    - plugin: atr_based_stops\n", "", "",
                 "planning_workers.size_planning[0].plugin: plugin 'atr_based_stops' cannot plan "
                 "size_planning"},
        BadInput{"unknown_param", kOpp + "    params: {fast: 3}\n", "", "",
                 "opportunity_workers[0].params.fast: unknown parameter 'fast'|fast_period, "
                 "slow_period, direction"},
        BadInput{"mistyped_int", kOpp + "    params: {fast_period: 2.5}\n", "", "",
                 "opportunity_workers[0].params.fast_period: expected an integer, got '2.5'"},
        BadInput{"mistyped_string", kOpp + "    params: {fast_period: twelve}\n", "", "",
                 "params.fast_period: expected int, got 'twelve'"},
        BadInput{
            "out_of_bounds",
            "planning_workers:\n  exit_planning:\n    - plugin: atr_based_stops\n      params: "
            "{atr_multiplier: 50}\n",
            "", "",
            "planning_workers.exit_planning[0].params.atr_multiplier: 50 is above the "
            "maximum 20"},
        BadInput{"below_bounds", kOpp + "    params: {fast_period: 0}\n", "", "",
                 "params.fast_period: 0 is below the minimum 1"},
        BadInput{"bad_enum", kOpp + "    params: {direction: sideways}\n", "", "",
                 "params.direction: 'sideways' is not one of both, long_only, short_only"},
        BadInput{"cross_param", kOpp + "    params: {fast_period: 30, slow_period: 20}\n", "", "",
                 "opportunity_workers[0].params: fast_period (30) must be below slow_period (20)"},
        BadInput{"unknown_worker_key", kOpp + "    parms: {}\n", "", "",
                 "opportunity_workers[0].parms: unknown key 'parms'"},
        BadInput{"unknown_blueprint_key", "opportunity_worker: []\n", "", "",
                 "opportunity_worker: unknown key"},
        BadInput{"unknown_trigger", kOpp + "    triggers: [on_moon_phase]\n", "", "",
                 "opportunity_workers[0].triggers[0]: unknown event 'on_moon_phase'"},
        BadInput{"triggers_on_context",
                 "context_workers:\n  - plugin: ema\n    triggers: [on_context_ready]\n", "", "",
                 "context_workers[0].triggers: context_workers take no triggers"},
        BadInput{"bad_execution_strategy", kOpp,
                 "operators:\n  PlanningOperator: {execution_strategy: RANDOM}\n", "",
                 "job sw-1/7 operators: operators.PlanningOperator.execution_strategy: 'RANDOM' "
                 "is not one of"},
        BadInput{"chain_needs_sequential", kOpp,
                 "operators:\n  PlanningOperator: {execution_strategy: PARALLEL, "
                 "aggregation_strategy: CHAIN_THROUGH}\n",
                 "",
                 "operators.PlanningOperator: CHAIN_THROUGH needs execution_strategy SEQUENTIAL"},
        BadInput{"unknown_operator", kOpp, "operators:\n  MagicOperator: {}\n", "",
                 "operators.MagicOperator: unknown operator"},
        BadInput{"event_driven_context", kOpp,
                 "operators:\n  ContextOperator: {execution_strategy: EVENT_DRIVEN}\n", "",
                 "ContextOperator cannot be EVENT_DRIVEN"},
        BadInput{"yaml_syntax", "opportunity_workers: [\n", "", "",
                 "job sw-1/7 blueprint: YAML syntax error at line"},
        BadInput{"negative_fees", kOpp, "", "      fees_bps: -1\n",
                 "job sw-1/7 operation: strategy_links[0].environment.fees_bps: -1 must be at "
                 "least 0"},
        BadInput{"bad_periods_per_year", kOpp, "", "      periods_per_year: lots\n",
                 "strategy_links[0].environment.periods_per_year: expected a number"},
        BadInput{"bad_period", kOpp, "", "      period: {start: 2021-01-01, end: 2020-01-01}\n",
                 "strategy_links[0].environment.period.end: end is before start"},
        BadInput{"bad_slippage_within_bar", kOpp, "", "      slippage_within_bar: maybe\n",
                 "strategy_links[0].environment.slippage_within_bar: expected true or false"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ParseOperationTexts, NeedsExactlyOneLink) {
  std::string two = testing::Environment() + "  - environment:\n      data: {source: synthetic}\n";
  auto op = ParseOperationTexts(two, kGoodBlueprint, "", "job 3/1");
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("exactly one link"), std::string::npos);
}

TEST(ParseOperationTexts, IgnoresPathFieldsAndUsesTexts) {
  auto op = ParseOperationTexts(
      "strategy_links:\n  - strategy_blueprint: /nonexistent.yaml\n    operators: /none.yaml\n"
      "    environment:\n      data: {source: csv, path: data/btc.csv}\n",
      kGoodBlueprint, "operators:\n  PlanningOperator: {execution_strategy: PARALLEL}\n", "job");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->links[0].operators[OperatorId::kPlanning].aggregation,
            AggregationStrategy::kCollectAll);  // follows the execution strategy
  EXPECT_EQ(op->links[0].environment.data.path, fs::path("data/btc.csv"));  // kept as written
}

TEST(LoadOperation, MissingBlueprintFileNamesItAndItsReferrer) {
  TempDir d;
  auto p = d.Write("op.yaml",
                   "strategy_links:\n  - strategy_blueprint: nope.yaml\n    environment:\n"
                   "      data: {source: synthetic}\n");
  auto op = LoadOperationFile(p);
  ASSERT_FALSE(op.ok());
  EXPECT_TRUE(op.status().IsNotFound());
  EXPECT_NE(op.status().message().find("nope.yaml: cannot open file"), std::string::npos);
  EXPECT_NE(op.status().message().find("strategy_links[0].strategy_blueprint"), std::string::npos);
}

TEST(LoadOperation, MissingOperationFileIsNotFound) {
  auto op = LoadOperationFile("config/operations/does_not_exist.yaml");
  ASSERT_FALSE(op.ok());
  EXPECT_TRUE(op.status().IsNotFound());
}

TEST(LoadOperation, ErrorsInABlueprintFileNameThatFile) {
  TempDir d;
  d.Write("b.yaml",
          "opportunity_workers:\n  - plugin: trend_follower\n    params: {slow_period: 1}\n");
  auto p = d.Write("op.yaml",
                   "strategy_links:\n  - strategy_blueprint: b.yaml\n    environment:\n"
                   "      data: {source: synthetic}\n");
  auto op = LoadOperationFile(p);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().message().rfind((d.path() / "b.yaml").string() +
                                            ": opportunity_workers[0].params.slow_period: 1 is "
                                            "below the minimum 2",
                                        0),
            0u)
      << op.status().message();
}

TEST(Operators, ListFormWithOperatorIdIsAccepted) {
  auto ops = ParseOperatorsText(
      "operators:\n  - operator_id: OpportunityOperator\n    execution_strategy: EVENT_DRIVEN\n",
      "ops.yaml");
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  EXPECT_EQ((*ops)[OperatorId::kOpportunity].execution, ExecutionStrategy::kEventDriven);
  EXPECT_EQ((*ops)[OperatorId::kOpportunity].aggregation, AggregationStrategy::kNone);
  EXPECT_EQ((*ops)[OperatorId::kPlanning].execution, ExecutionStrategy::kSequential);
}

TEST(Operators, ConfigFileSpellsOutTheDefaults) {
  auto ops =
      ParseOperatorsText(testing::ReadText("config/operators.yaml"), "config/operators.yaml");
  ASSERT_TRUE(ops.ok());
  OperatorsConfig defaults;
  for (int i = 0; i < kOperatorCount; ++i) {
    EXPECT_EQ(ops->ops[i].execution, defaults.ops[i].execution) << i;
    EXPECT_EQ(ops->ops[i].aggregation, defaults.ops[i].aggregation) << i;
  }
}

TEST(PluginRegistry, ValidatesASingleParamForSweeps) {
  const PluginRegistry& r = DefaultRegistry();
  const PluginManifest* m = r.Find("fixed_risk_sizer");
  ASSERT_NE(m, nullptr);
  auto ok = r.ParseParam(*m, "risk_per_trade_percent", YAML::Load("1.25"), "plan.yaml",
                         "parameter_space[0].parameters.risk_per_trade_percent");
  ASSERT_TRUE(ok.ok());
  EXPECT_DOUBLE_EQ(std::get<double>(*ok), 1.25);
  auto bad = r.ParseParam(*m, "risk_per_trade_percent", YAML::Load("500"), "plan.yaml", "p.x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("plan.yaml: p.x: 500 is above the maximum 100"),
            std::string::npos);
}

TEST(PluginRegistry, IsAnObjectTestsCanFill) {
  PluginRegistry r;
  EXPECT_EQ(r.Find("ema"), nullptr);
  PluginManifest m;
  m.name = "x";
  m.category = WorkerCategory::kContext;
  ASSERT_TRUE(r.Register(m, [](const ParamSet&) -> Result<std::unique_ptr<Worker>> {
                 return Status::Internal("unused");
               }).ok());
  EXPECT_EQ(r.Register(m, nullptr).code(), Status::Code::kAlreadyExists);
  EXPECT_NE(r.Find("x"), nullptr);
  EXPECT_NE(DefaultRegistry().Find("trend_follower"), nullptr);
}

}  // namespace
}  // namespace s1mple::engine
