// Execution plugins of the catalog: partial profits at the first target, trailing stops that only
// tighten, and the emergency exit on severe threats.
#include <cmath>

#include "tests/engine/catalog_test_util.h"

namespace s1mple::engine::catalog_test {
namespace {

std::unique_ptr<ExecutionWorker> Exec(const std::string& yaml) {
  return MakeWorker<ExecutionWorker>(yaml, WorkerCategory::kExecution);
}

void OpenLong(Harness& h, double entry, double stop, uint32_t entry_bar, uint32_t opp = 1) {
  PositionView& p = h.ledger.position;
  p.open = true;
  p.side = Side::kLong;
  p.size = p.initial_size = Quantity{10};
  p.entry_price = Price{entry};
  p.stop_loss = Price{stop};
  p.entry_bar = entry_bar;
  p.opportunity = OpportunityId{opp};
}

TEST(PartialProfitTaker, HalfOffAndBreakevenAtTheFirstTargetOnce) {
  // Long at 100 with the stop at 98: the first target (1R) is 102.
  std::vector<Bar> b = Flat(2);
  b.push_back({100.5, 101.9, 100.2, 101.5});  // 2: just short of it
  b.push_back({101.5, 102.0, 101.0, 101.8});  // 3: touches 102
  b.push_back({101.8, 103.0, 101.5, 102.5});  // 4: further
  Harness h(MakeBars(b));
  auto w = Exec("{plugin: partial_profit_taker}");
  h.Bind(*w);
  OpenLong(h, 100, 98, 1);
  ActionRecorder a1, a2, a3;
  w->Manage(h.At(2), a1);
  EXPECT_TRUE(a1.closes.empty());
  EXPECT_TRUE(a1.stops.empty());
  w->Manage(h.At(3), a2);
  EXPECT_EQ(a2.closes, std::vector<double>{0.5});
  EXPECT_EQ(a2.stops, std::vector<double>{100});
  h.ledger.position.stop_loss = Price{100};
  h.ledger.position.size = Quantity{5};
  w->Manage(h.At(4), a3);
  EXPECT_TRUE(a3.closes.empty());
  EXPECT_TRUE(a3.stops.empty());
}

TEST(PartialProfitTaker, OptionsOffDoNothing) {
  std::vector<Bar> b = Flat(2);
  b.push_back({101.5, 102.5, 101.0, 101.8});
  Harness h(MakeBars(b));
  auto only_be =
      Exec("{plugin: partial_profit_taker, params: {take_50_percent_at_first_target: false}}");
  h.Bind(*only_be);
  OpenLong(h, 100, 98, 1);
  ActionRecorder a;
  only_be->Manage(h.At(2), a);
  EXPECT_TRUE(a.closes.empty());
  EXPECT_EQ(a.stops, std::vector<double>{100});
}

// Rising then falling bars: the chandelier stop (best high since entry - 1 x ATR(3)) follows the
// rise; on the fall it may still tighten as the ATR shrinks, but never loosens nor crosses the
// close.
TEST(TrailingStopManager, MovesOnlyInTheTradesFavour) {
  std::vector<Bar> b = Flat(4);
  double c = 100;
  for (int i = 0; i < 8; ++i, c += 1) b.push_back({c, c + 1.2, c - 0.2, c + 1});
  for (int i = 0; i < 6; ++i, c -= 0.6) b.push_back({c, c + 0.2, c - 0.8, c - 0.6});
  Harness h(MakeBars(b));
  auto w = Exec(
      "{plugin: trailing_stop_manager, params: {trail_after_first_target: false, "
      "trail_by_structure: false, atr_period: 3, atr_multiplier: 1.0}}");
  h.Bind(*w);
  OpenLong(h, 100, 95, 4);
  std::vector<std::pair<uint32_t, double>> moves;
  for (uint32_t t = 4; t < h.bars.size(); ++t) {
    ActionRecorder a;
    w->Manage(h.At(t), a);
    for (double s : a.stops) {
      EXPECT_GT(s, V(h.ledger.position.stop_loss)) << "bar " << t << " loosened the stop";
      EXPECT_LT(s, h.bars.close[t]) << "bar " << t;
      h.ledger.position.stop_loss = Price{s};  // what the engine applies next bar
      moves.emplace_back(t, s);
    }
  }
  ASSERT_GE(moves.size(), 8u);  // every rising bar
  // Each move: the highest high so far (108.2 from bar 11 on) minus that bar's ATR(3).
  const auto atr = h.Column("atr_3");
  const auto [t_last, s_last] = moves.back();
  EXPECT_GE(t_last, 11u);
  EXPECT_NEAR(s_last, 108.2 - atr[t_last], 1e-9);
  EXPECT_NEAR(moves[0].second, 101.2 - atr[4], 1e-9);
}

TEST(TrailingStopManager, WaitsForTheFirstTarget) {
  std::vector<Bar> b = Flat(4);
  b.push_back({100, 101.5, 99.8, 101});     // 4: high 101.5 < 102 (1R with stop 98)
  b.push_back({101, 102.5, 100.8, 102.2});  // 5: reaches 102
  Harness h(MakeBars(b));
  auto w = Exec(
      "{plugin: trailing_stop_manager, params: {trail_after_first_target: true, "
      "trail_by_structure: false, atr_period: 2, atr_multiplier: 1.0}}");
  h.Bind(*w);
  OpenLong(h, 100, 98, 3);
  ActionRecorder before, after;
  w->Manage(h.At(4), before);
  EXPECT_TRUE(before.stops.empty());
  w->Manage(h.At(5), after);
  ASSERT_EQ(after.stops.size(), 1u);
  EXPECT_GT(after.stops[0], 98);
}

TEST(TrailingStopManager, TrailsBehindTheLastSwingLow) {
  // Swing lows (lookback 2) confirmed along a staircase; the stop follows them 5 bps below.
  const std::vector<Bar> b = {{100, 101, 99, 100.5},    {100.5, 101.5, 99.5, 101},
                              {101, 101.2, 98, 100},  // 2: low 98
                              {100, 102, 99, 101.5},    {101.5, 103, 100.5, 102.5},
                              {102.5, 103.5, 101, 103}, {103, 103.2, 100, 101},
                              {101, 104, 101.2, 103.5}, {103.5, 105, 102.5, 104.5}};  // 6: low 100
  Harness h(MakeBars(b));
  auto w = Exec(
      "{plugin: trailing_stop_manager, params: {trail_after_first_target: false, "
      "trail_by_structure: true, swing_lookback: 2, buffer_bps: 5}}");
  h.Bind(*w);
  OpenLong(h, 100, 97, 3);
  std::vector<std::pair<uint32_t, double>> moves;
  for (uint32_t t = 3; t < h.bars.size(); ++t) {
    ActionRecorder a;
    w->Manage(h.At(t), a);
    for (double s : a.stops) {
      moves.emplace_back(t, s);
      h.ledger.position.stop_loss = Price{s};
    }
  }
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].first, 4u);  // swing low 98 of bar 2 known at bar 4
  EXPECT_DOUBLE_EQ(moves[0].second, 98 * (1 - 0.0005));
  EXPECT_EQ(moves[1].first, 8u);  // swing low 100 of bar 6 known at bar 8
  EXPECT_DOUBLE_EQ(moves[1].second, 100 * (1 - 0.0005));
}

TEST(EmergencyExitAgent, ExitsOnCriticalNotOnLow) {
  Harness h(MakeBars(Flat(3)));
  auto w = Exec(
      "{plugin: emergency_exit_agent, triggers: [on_threat_detected], params: "
      "{exit_on_severity: [CRITICAL, HIGH]}}");
  h.Bind(*w);
  OpenLong(h, 100, 95, 0);
  h.ledger.pending_orders = 1;
  Threat low, critical;
  low.id = ThreatId{1};
  low.type = "MARKET_RISK_HIGH";
  low.severity = Severity::kLow;
  critical.id = ThreatId{2};
  critical.type = "VOLATILITY_SPIKE";
  critical.severity = Severity::kCritical;
  h.threats = {low, critical};
  Event on_low, on_critical;
  on_low.id = on_critical.id = kOnThreatDetected;
  on_low.threat = low.id;
  on_critical.threat = critical.id;
  ActionRecorder quiet, exit;
  w->Manage(h.At(1, &on_low), quiet);  // the LOW threat was detected: nothing
  EXPECT_TRUE(quiet.closes.empty());
  EXPECT_EQ(quiet.cancels, 0);
  w->Manage(h.At(1, &on_critical), exit);
  EXPECT_EQ(exit.closes, std::vector<double>{1.0});
  EXPECT_EQ(exit.cancels, 1);
  // Flat with nothing pending: nothing to do.
  h.ledger.position = PositionView{};
  h.ledger.pending_orders = 0;
  ActionRecorder flat;
  w->Manage(h.At(2, &on_critical), flat);
  EXPECT_TRUE(flat.closes.empty());
  EXPECT_EQ(flat.cancels, 0);
}

TEST(EmergencyExitAgent, DefaultSeverityIsCriticalOnly) {
  Harness h(MakeBars(Flat(2)));
  auto w = Exec("{plugin: emergency_exit_agent}");
  OpenLong(h, 100, 95, 0);
  Threat high;
  high.id = ThreatId{3};
  high.severity = Severity::kHigh;
  h.threats = {high};
  Event e;
  e.id = kOnThreatDetected;
  e.threat = high.id;
  ActionRecorder a;
  w->Manage(h.At(1, &e), a);
  EXPECT_TRUE(a.closes.empty());
}

TEST(EmaCrossExit, ClosesOnTheCrossAgainstThePositionOnly) {
  // Closes 10, 10, 10, 14, 14, 6, 6, 12: with EMA 1/2 (alpha 1 and 2/3) the fast line is the
  // close itself; fast - slow is 0, 0, 1.33, 0.44, -2.52, -0.84, 1.72 from bar 1 on: crosses
  // up at bars 3 (from 0) and 7, down at bar 5.
  std::vector<Bar> bars;
  for (double c : {10.0, 10.0, 10.0, 14.0, 14.0, 6.0, 6.0, 12.0}) bars.push_back({c, c, c, c});
  Harness h(MakeBars(bars));
  auto w = Exec("{plugin: ema_cross_exit, params: {fast_period: 1, slow_period: 2}}");
  h.Bind(*w);
  OpenLong(h, 14, kNaN, 3);
  std::vector<int> closed_long;
  for (uint32_t t = 0; t < bars.size(); ++t) {
    ActionRecorder a;
    w->Manage(h.At(t), a);
    if (!a.closes.empty()) closed_long.push_back(static_cast<int>(t));
  }
  EXPECT_EQ(closed_long, std::vector<int>{5});  // the cross down, not the cross up
  h.ledger.position.side = Side::kShort;
  std::vector<int> closed_short;
  for (uint32_t t = 0; t < bars.size(); ++t) {
    ActionRecorder a;
    w->Manage(h.At(t), a);
    if (!a.closes.empty()) {
      closed_short.push_back(static_cast<int>(t));
      EXPECT_EQ(a.closes, std::vector<double>{1.0});
    }
  }
  EXPECT_EQ(closed_short, (std::vector<int>{3, 7}));
  h.ledger.position = PositionView{};  // flat: nothing to close
  ActionRecorder flat;
  w->Manage(h.At(5), flat);
  EXPECT_TRUE(flat.closes.empty());
}

TEST(EmaCrossExit, FastMustBeBelowSlow) {
  auto cfg = DefaultRegistry().ParseWorker(
      YAML::Load("{plugin: ema_cross_exit, params: {fast_period: 30, slow_period: 20}}"),
      WorkerCategory::kExecution, std::nullopt, "test", "worker");
  ASSERT_FALSE(cfg.ok());  // refused while the blueprint is validated, naming the params
  EXPECT_NE(cfg.status().message().find("fast_period (30) must be below slow_period (20)"),
            std::string::npos)
      << cfg.status().ToString();
}

}  // namespace
}  // namespace s1mple::engine::catalog_test
