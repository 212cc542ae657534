// The seeds' three base operations run end to end on >= 50,000 synthetic bars and trade a
// meaningful number of times; every variant of the seeds' variant plans runs against them.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/operation.h"
#include "engine/overrides.h"
#include "tests/engine/catalog_test_util.h"

namespace s1mple::engine::catalog_test {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Ran {
  BacktestResult result;
  OperationConfig config;
};

Ran RunOperation(const std::string& path) {
  auto op = LoadOperationFile(path);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  if (!op.ok()) return {};
  EXPECT_EQ(op->links.size(), 1u);
  auto bars = LoadData(op->links[0].environment.data);
  EXPECT_TRUE(bars.ok()) << bars.status().ToString();
  auto r = RunBacktest(op->links[0], **bars);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  return {std::move(r).value(), std::move(op).value()};
}

void Print(const std::string& name, const BacktestResult& r) {
  std::cout << name << ": trades " << r.metrics.total_trades << ", return "
            << r.metrics.total_return << "%, max drawdown " << r.metrics.max_drawdown
            << "%, opportunities " << r.causality.opportunities_detected << ", rejected "
            << r.causality.opportunities_rejected << " (";
  for (const auto& rc : r.causality.top_rejection_reasons)
    std::cout << rc.reason << " " << rc.count << " ";
  std::cout << ")\n";
}

void ExpectMeaningful(const BacktestResult& r, int64_t min_trades) {
  EXPECT_GE(r.bars, 50000);
  EXPECT_GE(r.metrics.total_trades, min_trades);
  EXPECT_LE(r.metrics.total_trades, r.bars / 20);
  EXPECT_GE(r.causality.opportunities_detected, r.metrics.total_trades / 2);
  for (const Trade& t : r.trades) EXPECT_GT(t.opportunity.v, 0u);
}

TEST(CatalogOperations, IctSmcBacktestTradesFvgLimitEntries) {
  Ran ran = RunOperation("config/operations/ict_smc_backtest.yaml");
  ExpectMeaningful(ran.result, 50);
  int64_t fvg = 0;
  for (const auto& o : ran.result.opportunities)
    fvg += o.signal_type == "FVG_BULLISH" || o.signal_type == "FVG_BEARISH";
  EXPECT_EQ(fvg, static_cast<int64_t>(ran.result.opportunities.size()));
  int64_t targets = 0;
  for (const Trade& t : ran.result.trades) targets += t.exit_reason == "take_profit";
  EXPECT_GT(targets, 0);  // liquidity / fallback targets are reached
  Print("ict_smc", ran.result);
}

TEST(CatalogOperations, MultiStrategyBacktestTradesEverySubtype) {
  Ran ran = RunOperation("config/operations/multi_strategy_backtest.yaml");
  ExpectMeaningful(ran.result, 50);
  std::map<std::string, int64_t> accepted;
  for (const auto& o : ran.result.opportunities)
    if (o.accepted) ++accepted[o.signal_type];
  for (const char* s : {"FVG_RETEST_BULLISH", "BREAKOUT_UP", "EMA_CROSS_UP", "MOMENTUM_UP",
                        "OVERSOLD", "RSI_REVERSAL_UP"})
    EXPECT_GT(accepted[s], 0) << s << " never became a trade";
  Print("multi_strategy", ran.result);
}

TEST(CatalogOperations, SmartDcaBuysInTranchesAdaptedByEvents) {
  Ran ran = RunOperation("config/operations/smart_dca.yaml");
  ExpectMeaningful(ran.result, 30);
  Print("smart_dca", ran.result);
  // The risk reaches the planner only through the dca_risk_assessed event (without it the
  // planner assumes no risk): rejections for too much risk prove the wiring delivers.
  int64_t too_risky = 0;
  for (const auto& rc : ran.result.causality.top_rejection_reasons)
    if (rc.reason == "DCA_RISK_TOO_HIGH") too_risky = rc.count;
  EXPECT_GT(too_risky, 0);
  // The same operation with the StandardWorker planner (the seeds' implicit_chain variant)
  // trades differently: the events change the tranches.
  const auto& link = ran.config.links[0];
  ConfigTexts base{Slurp(link.blueprint_path), Slurp(link.operators_path)};
  auto texts = ApplyOverrides(
      base, nlohmann::json::parse(
                R"({"planning_workers": {"entry_planning": [{"plugin": "simple_dca_planner"}]}})"));
  ASSERT_TRUE(texts.ok()) << texts.status().ToString();
  auto op = ParseOperationTexts(Slurp("config/operations/smart_dca.yaml"), texts->blueprint_yaml,
                                texts->operators_yaml, "implicit_chain");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  auto bars = LoadData(op->links[0].environment.data);
  ASSERT_TRUE(bars.ok());
  auto simple = RunBacktest(op->links[0], **bars);
  ASSERT_TRUE(simple.ok()) << simple.status().ToString();
  EXPECT_GE(simple->metrics.total_trades, 30);
  EXPECT_NE(simple->metrics.total_return, ran.result.metrics.total_return);
}

TEST(CatalogOperations, Deterministic) {
  Ran a = RunOperation("config/operations/ict_smc_backtest.yaml");
  Ran b = RunOperation("config/operations/ict_smc_backtest.yaml");
  ASSERT_EQ(a.result.equity.size(), b.result.equity.size());
  for (size_t i = 0; i < a.result.equity.size(); ++i)
    ASSERT_EQ(a.result.equity[i].equity, b.result.equity[i].equity) << i;
  EXPECT_EQ(a.result.trades.size(), b.result.trades.size());
}

// A whole run: volatility spikes close open positions through emergency_exit_agent (the trades
// carry its reason, "emergency_exit"); without the agent no position is ever closed that way.
TEST(CatalogOperations, EmergencyExitClosesPositionsOnCriticalSpikes) {
  auto op = LoadOperationFile("config/operations/ict_smc_backtest.yaml");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  const auto& link = op->links[0];
  ConfigTexts base{Slurp(link.blueprint_path), Slurp(link.operators_path)};
  auto bars = LoadData(link.environment.data);
  ASSERT_TRUE(bars.ok());
  auto closes = [&](const std::string& overrides) -> int64_t {
    auto texts = ApplyOverrides(base, nlohmann::json::parse(overrides));
    EXPECT_TRUE(texts.ok()) << texts.status().ToString();
    auto cfg = ParseOperationTexts(Slurp("config/operations/ict_smc_backtest.yaml"),
                                   texts->blueprint_yaml, texts->operators_yaml, "emergency");
    EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
    auto r = RunBacktest(cfg->links[0], **bars);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    int64_t n = 0;
    for (const Trade& t : r->trades) n += t.exit_reason == "emergency_exit";
    return n;
  };
  const std::string spikes =
      R"("threat_workers": [{"plugin": "max_drawdown_monitor"}, {"plugin":
      "volatility_spike_detector", "params": {"volatility_threshold_percentile": 99,
      "block_new_entries": false, "raise_market_risk": false, "critical_atr_multiple": 3}}])";
  EXPECT_EQ(closes("{" + spikes + "}"), 0);
  EXPECT_GT(closes("{" + spikes +
                   R"(, "execution_workers": {"risk_safety": [{"plugin": "emergency_exit_agent",
                   "params": {"exit_on_severity": ["CRITICAL"]}}]}})"),
            0);
}

// Every variant of the seeds' variant plans whose base is one of these operations loads and
// runs; variants that swap the workforce trade.
TEST(CatalogOperations, EverySeedVariantRuns) {
  int runs = 0;
  for (const auto& entry : std::filesystem::directory_iterator("config/variants")) {
    const YAML::Node plan = YAML::LoadFile(entry.path().string());
    const YAML::Node vc = plan["variant_config"];
    ASSERT_TRUE(vc) << entry.path();
    const std::string base_op = vc["base_operation"].as<std::string>();
    auto op = LoadOperationFile(base_op);
    ASSERT_TRUE(op.ok()) << entry.path() << ": " << op.status().ToString();
    const auto& link = op->links[0];
    ConfigTexts base{Slurp(link.blueprint_path), Slurp(link.operators_path)};
    auto bars = LoadData(link.environment.data);
    ASSERT_TRUE(bars.ok());
    for (const auto& v : vc["variants"]) {
      const std::string name = entry.path().filename().string() + "/" + v["name"].as<std::string>();
      auto texts = ApplyOverrides(base, nlohmann::json::parse(YamlToJson(v["overrides"]).dump()));
      ASSERT_TRUE(texts.ok()) << name << ": " << texts.status().ToString();
      auto cfg =
          ParseOperationTexts(Slurp(base_op), texts->blueprint_yaml, texts->operators_yaml, name);
      ASSERT_TRUE(cfg.ok()) << name << ": " << cfg.status().ToString();
      auto r = RunBacktest(cfg->links[0], **bars);
      ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
      EXPECT_GE(r->metrics.total_trades, 10) << name;
      Print(name, *r);
      ++runs;
    }
  }
  EXPECT_GE(runs, 20);
}

}  // namespace
}  // namespace s1mple::engine::catalog_test
