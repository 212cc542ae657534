// The bar loop end to end: workers' actions reaching the exchange, operators, events, threats,
// determinism. The exchange's fill rules on their own: exchange_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "engine/operation.h"
#include "tests/engine/engine_test_util.h"
#include "tests/engine/test_plugins.h"

namespace s1mple::engine {
namespace {

using testing::MakeBars;
using testing::Ohlc;

struct Harness {
  std::shared_ptr<testing::Probe> probe = std::make_shared<testing::Probe>();
  PluginRegistry registry = testing::TestRegistry(probe);

  Result<BacktestResult> Run(const std::string& blueprint, const BarSeries& bars,
                             const std::string& operators = "", const std::string& env = "",
                             bool capture = false) {
    StrategyLink link = testing::Link(blueprint, operators, env, registry);
    RunOptions o;
    o.registry = &registry;
    o.capture_context = capture;
    return RunBacktest(link, bars, o);
  }
};

std::string Blueprint(const std::string& signals, const std::string& plan,
                      const std::string& extra = "") {
  return "opportunity_workers:\n  - plugin: test_signal\n    params: {at: [" + signals +
         "]}\nplanning_workers:\n  entry_planning:\n    - plugin: test_plan\n      params: {" +
         plan + "}\n" + extra;
}

std::vector<Ohlc> Flat(size_t n, double p = 100) {
  return std::vector<Ohlc>(n, Ohlc{p, p + 1, p - 1, p});
}

// ---- the worker's reason for a close --------------------------------------------------------

TEST(BarLoop, WorkerCloseReasonBecomesTheExitReason) {
  auto rows = Flat(2);
  for (int i = 0; i < 4; ++i) rows.push_back({100, 101, 99, 100});
  auto manager = [](const std::string& params) {
    return "execution_workers:\n  risk_safety:\n    - plugin: test_manager\n"
           "      triggers: [on_context_ready]\n      params: {" +
           params + "}\n";
  };
  Harness all;
  auto r = all.Run(
      Blueprint("'1:long:1'", "size: 10", manager("close_fraction: 1, reason: emergency_exit")),
      MakeBars(rows));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "emergency_exit");
  EXPECT_EQ(r->trades[0].exit_bar, 3u);

  Harness part;  // a partial close with a reason of its own still counts as a partial exit
  r = part.Run(
      Blueprint("'1:long:1'", "size: 10", manager("close_fraction: 0.5, reason: first_target")),
      MakeBars(rows));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trades.size(), 2u);
  EXPECT_EQ(r->trades[0].exit_reason, "first_target");
  EXPECT_DOUBLE_EQ(r->trades[0].size.v, 5);
  EXPECT_EQ(r->trades[1].exit_reason, "end_of_data");
  ASSERT_EQ(part.probe->partial_exits.size(), rows.size());
  EXPECT_EQ(part.probe->partial_exits[2], 0);  // decided on bar 2, filled at bar 3's open
  EXPECT_EQ(part.probe->partial_exits[3], 1);
  EXPECT_EQ(part.probe->partial_exits.back(), 1);
}

TEST(Operators, CollectAllRanksOpportunitiesByScoreEventDrivenTakesThemAsTheyCome) {
  const std::string bp =
      "opportunity_workers:\n  - plugin: test_signal\n    params: {at: ['1:long:1']}\n"
      "  - plugin: test_signal\n    params: {at: ['1:short:2']}\n"
      "planning_workers:\n  entry_planning:\n    - plugin: test_plan\n      params: {size: 1}\n";
  auto bars = MakeBars(Flat(5));
  Harness h;
  auto collect = h.Run(bp, bars);  // default: PARALLEL + COLLECT_ALL
  ASSERT_TRUE(collect.ok());
  ASSERT_EQ(collect->trades.size(), 1u);
  EXPECT_EQ(collect->trades[0].side, Side::kShort);
  EXPECT_EQ(collect->trades[0].opportunity.v, 2u);
  auto events =
      h.Run(bp, bars, "operators:\n  OpportunityOperator: {execution_strategy: EVENT_DRIVEN}\n");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->trades.size(), 1u);
  EXPECT_EQ(events->trades[0].side, Side::kLong);
  EXPECT_EQ(events->causality.opportunities_rejected, 1);
  EXPECT_EQ(events->causality.top_rejection_reasons.at(0).reason, "ENTRY_PENDING");
  EXPECT_FALSE(events->causality.top_rejection_reasons.at(0).by_threat);
}

TEST(Events, EventDrivenWorkerRunsOnItsWiringOnly) {
  const std::string bp =
      "opportunity_workers:\n  - plugin: test_pinger\n    params: {at: ['10', '20', '30']}\n"
      "execution_workers:\n  risk_safety:\n    - plugin: test_manager\n";
  Harness h;
  auto r = h.Run(bp, MakeBars(Flat(40)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(h.probe->manager_bars, (std::vector<uint32_t>{10, 20, 30}));
  for (EventId e : h.probe->manager_events) EXPECT_GE(e, kBuiltinEventCount);  // test_ping
}

TEST(Events, BlueprintTriggersReplaceTheWiring) {
  const std::string bp =
      "execution_workers:\n  risk_safety:\n    - plugin: test_manager\n"
      "      triggers: [on_context_ready]\n";
  Harness h;
  auto r = h.Run(bp, MakeBars(Flat(7)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(h.probe->manager_bars.size(), 7u);
  for (EventId e : h.probe->manager_events) EXPECT_EQ(e, kOnContextReady);
}

TEST(Events, CycleIsAnEventStormError) {
  const std::string bp =
      "opportunity_workers:\n  - plugin: test_pinger\n    params: {at: ['5']}\n"
      "execution_workers:\n  risk_safety:\n    - plugin: test_echo\n";
  Harness h;
  auto r = h.Run(bp, MakeBars(Flat(10)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("event storm at bar 5"), std::string::npos)
      << r.status().message();
}

TEST(Threats, DrawdownMonitorRejectsLaterEntriesWithItsThreat) {
  auto rows = Flat(2);
  rows.push_back({100, 101, 99.5, 100});
  rows.push_back({100, 100, 95, 96});  // stop 99 hit: -1000 on 10000
  for (int i = 0; i < 6; ++i) rows.push_back({96, 97, 95, 96});
  Harness h;
  auto r = h.Run(Blueprint("'1:long:1', '5:long:1', '7:long:1'", "stop_offset: 1, size: 1000",
                           "threat_workers:\n  - plugin: max_drawdown_monitor\n"
                           "    params: {max_drawdown_percent: 5}\n"),
                 MakeBars(rows));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->causality.opportunities_detected, 3);
  EXPECT_EQ(r->causality.opportunities_rejected, 2);
  EXPECT_EQ(r->causality.threats_detected, 1);  // one standing threat, one id
  ASSERT_EQ(r->causality.top_rejection_reasons.size(), 1u);
  EXPECT_EQ(r->causality.top_rejection_reasons[0].reason, "MAX_DRAWDOWN_BREACHED");
  EXPECT_TRUE(r->causality.top_rejection_reasons[0].by_threat);
  EXPECT_EQ(r->causality.top_rejection_reasons[0].count, 2);
  ASSERT_EQ(r->opportunities.size(), 3u);
  EXPECT_TRUE(r->opportunities[0].accepted);
  EXPECT_EQ(r->opportunities[1].reject_reason, "MAX_DRAWDOWN_BREACHED");
  EXPECT_EQ(r->opportunities[1].threat.v, 1u);
  EXPECT_EQ(r->opportunities[2].threat.v, 1u);
}

TEST(Context, ChainThroughHandsColumnsOnParallelDoesNot) {
  const std::string bp =
      "context_workers:\n  - plugin: rsi\n    params: {period: 14}\n"
      "  - plugin: ema\n    params: {period: 5, source: rsi_14}\n";
  DataSpec spec;
  spec.bars = 200;
  auto bars = GenerateSyntheticBars(spec);
  Harness h;
  auto chained = h.Run(bp, **bars, "", "", /*capture=*/true);
  ASSERT_TRUE(chained.ok()) << chained.status().ToString();
  auto& names = chained->context_names;
  EXPECT_NE(std::find(names.begin(), names.end(), "ema_5_rsi_14"), names.end());
  auto parallel =
      h.Run(bp, **bars, "operators:\n  ContextOperator: {execution_strategy: PARALLEL}\n");
  ASSERT_FALSE(parallel.ok());
  EXPECT_NE(
      parallel.status().message().find("context_workers[1]: source column 'rsi_14' is not visible"),
      std::string::npos)
      << parallel.status().message();
}

// The example operation on its own data.
struct Example {
  OperationConfig op;
  std::shared_ptr<const BarSeries> bars;
  Example() {
    auto o = LoadOperationFile("config/operations/ema_cross.yaml");
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    op = *o;
    auto b = LoadData(op.links[0].environment.data);
    EXPECT_TRUE(b.ok());
    bars = *b;
  }
};

TEST(Backtest, TwoRunsAreBitIdentical) {
  Example ex;
  auto a = RunBacktest(ex.op.links[0], *ex.bars);
  auto b = RunBacktest(ex.op.links[0], *ex.bars);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->equity.size(), b->equity.size());
  EXPECT_EQ(std::memcmp(a->equity.data(), b->equity.data(), a->equity.size() * sizeof(EquityPoint)),
            0);
  EXPECT_EQ(ToJson(*a).dump(), ToJson(*b).dump());
  EXPECT_GT(a->metrics.total_trades, 20);
  ASSERT_EQ(a->buy_and_hold.size(), a->equity.size());
  EXPECT_EQ(std::memcmp(a->buy_and_hold.data(), b->buy_and_hold.data(),
                        a->buy_and_hold.size() * sizeof(double)),
            0);
}

// ---- buy and hold -------------------------------------------------------------------------

TEST(BuyAndHold, CapitalBoughtAtTheFirstCloseNoFees) {
  // 1,000 bought at 50: 20 units; marked at 55, 40 and 62.5.
  const std::vector<double> closes = {50, 55, 40, 62.5};
  EXPECT_EQ(BuyAndHoldEquity(closes, 1000), (std::vector<double>{1000, 1100, 800, 1250}));
  EXPECT_TRUE(BuyAndHoldEquity({}, 1000).empty());
  const std::vector<double> bad = {0, 10};
  EXPECT_EQ(BuyAndHoldEquity(bad, 1000), (std::vector<double>{1000, 1000}));
}

TEST(BuyAndHold, ARunCarriesItOnItsOwnBarsAndTheJsonSamplesItWithTheEquity) {
  // Closes 100, 110, 90, 120, 105, 130 (hourly), capital 10,000, a strategy that never trades:
  // buy-and-hold is 10,000 * close / 100 while the strategy's equity stays at 10,000.
  const std::vector<double> closes = {100, 110, 90, 120, 105, 130};
  Harness h;
  auto r = h.Run(Blueprint("", "size: 1"), testing::BarsFromCloses(closes));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->equity.size(), closes.size());
  EXPECT_EQ(r->buy_and_hold, (std::vector<double>{10000, 11000, 9000, 12000, 10500, 13000}));
  const nlohmann::json all = ToJson(*r);
  ASSERT_EQ(all["buy_and_hold"].size(), closes.size());
  EXPECT_EQ(all["buy_and_hold"][3].get<double>(), 12000);
  // Bounded to 4 points: the same indices as the equity curve's.
  JsonOptions o;
  o.max_equity_points = 4;
  const nlohmann::json few = ToJson(*r, o);
  ASSERT_EQ(few["buy_and_hold"].size(), few["equity"].size());
  const auto kept = DownsampleEquity(r->equity, 4);
  for (size_t k = 0; k < kept.size(); ++k)
    EXPECT_EQ(few["buy_and_hold"][k].get<double>(), r->buy_and_hold[kept[k]]) << k;
  // A period starts buy-and-hold at its first traded close (110 here), not the data's first.
  auto later = h.Run(Blueprint("", "size: 1"), testing::BarsFromCloses(closes), "",
                     "      period: {start: '2020-01-01T01:00:00Z'}\n");
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  ASSERT_EQ(later->buy_and_hold.size(), 5u);
  EXPECT_EQ(later->buy_and_hold[0], 10000);
  EXPECT_DOUBLE_EQ(later->buy_and_hold[4], 10000 * 130 / 110.0);
}

TEST(Backtest, EveryTradeCarriesAnAcceptedOpportunity) {
  Example ex;
  auto r = RunBacktest(ex.op.links[0], *ex.bars);
  ASSERT_TRUE(r.ok());
  std::set<uint32_t> accepted;
  int64_t rejected = 0;
  for (const auto& o : r->opportunities) {
    if (o.accepted)
      accepted.insert(o.id.v);
    else
      ++rejected;
  }
  EXPECT_EQ(static_cast<int64_t>(r->opportunities.size()), r->causality.opportunities_detected);
  EXPECT_EQ(rejected, r->causality.opportunities_rejected);
  for (const auto& t : r->trades) EXPECT_TRUE(accepted.count(t.opportunity.v)) << t.opportunity.v;
}

TEST(Backtest, SequentialPlanningChainsTheStopIntoTheTargetParallelDoesNot) {
  Example ex;
  StrategyLink seq = ex.op.links[0], par = ex.op.links[0];
  par.operators[OperatorId::kPlanning] = {ExecutionStrategy::kParallel,
                                          AggregationStrategy::kCollectAll};
  auto a = RunBacktest(seq, *ex.bars), b = RunBacktest(par, *ex.bars);
  ASSERT_TRUE(a.ok() && b.ok());
  auto count = [](const BacktestResult& r, const char* reason) {
    return std::count_if(r.trades.begin(), r.trades.end(),
                         [&](const Trade& t) { return t.exit_reason == reason; });
  };
  // SEQUENTIAL + CHAIN_THROUGH: fixed_rr_exit sees atr_based_stops' stop and sets a target.
  EXPECT_GT(count(*a, "take_profit"), 0);
  // PARALLEL + COLLECT_ALL: it plans from the same input (no stop) and sets none.
  EXPECT_EQ(count(*b, "take_profit"), 0);
  EXPECT_GT(count(*b, "stop_loss"), 0);
}

TEST(Backtest, PeriodSelectsTradedBarsEarlierBarsWarmUp) {
  Example ex;
  StrategyLink link = ex.op.links[0];
  link.environment.period.start = TimestampMs{ex.bars->ts_ms[1000]};
  link.environment.period.end = TimestampMs{ex.bars->ts_ms[2999]};
  RunOptions o;
  o.capture_context = true;
  auto r = RunBacktest(link, *ex.bars, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bars, 2000);
  EXPECT_EQ(r->equity.size(), 2000u);
  EXPECT_EQ(r->period_start.v, ex.bars->ts_ms[1000]);
  auto it = std::find(r->context_names.begin(), r->context_names.end(), "ema_50");
  ASSERT_NE(it, r->context_names.end());
  EXPECT_FALSE(std::isnan(r->context_columns[it - r->context_names.begin()][0]));
  EXPECT_DOUBLE_EQ(r->equity.front().equity, 10000);
  for (const auto& t : r->trades) EXPECT_GE(t.entry_time.v, ex.bars->ts_ms[1000]);

  link.environment.period.start = TimestampMs{ex.bars->ts_ms.back() + 1};
  link.environment.period.end.reset();
  auto none = RunBacktest(link, *ex.bars);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("period selects no bars"), std::string::npos);
}

TEST(Backtest, FewerThanAThousandBarsWarns) {
  Example ex;
  DataSpec spec;
  spec.bars = 500;
  auto bars = GenerateSyntheticBars(spec);
  auto r = RunBacktest(ex.op.links[0], **bars);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("fewer than 1000"), std::string::npos);
}

}  // namespace
}  // namespace s1mple::engine
