// Planning plugins of the catalog: FVG limit entries, TWAP slicing by the data's interval,
// liquidity exits, threat-adaptive sizing and the DCA planners.
#include <cmath>

#include "tests/engine/catalog_test_util.h"

namespace s1mple::engine::catalog_test {
namespace {

TradePlan RunPlan(Harness& h, PlanningWorker& w, const Opportunity& opp, uint32_t t,
                  TradePlan plan = {}) {
  const BarContext bar = h.At(t);
  plan.side = opp.side;
  if (!plan.reference_price) plan.reference_price = opp.reference_price;
  PlanningInput in{&bar, &opp, PlanningPhase::kEntry};
  w.Plan(in, plan);
  return plan;
}

Opportunity Opp(Side side, double ref, double zone_low = kNaN, double zone_high = kNaN) {
  Opportunity o;
  o.side = side;
  o.reference_price = PriceOrNone(ref);
  o.zone_low = PriceOrNone(zone_low);
  o.zone_high = PriceOrNone(zone_high);
  return o;
}

std::unique_ptr<PlanningWorker> Planner(const std::string& yaml, PlanningPhase phase) {
  return MakeWorker<PlanningWorker>(yaml, WorkerCategory::kPlanning, phase);
}

TEST(LimitEntryAtFvg, MidpointOrNearEdgeWithStopBeyondTheGap) {
  Harness h(MakeBars(Flat(3)));
  auto mid = Planner("{plugin: limit_entry_at_fvg}", PlanningPhase::kEntry);
  TradePlan p = RunPlan(h, *mid, Opp(Side::kLong, 102, 100, 101), 2);
  EXPECT_EQ(p.entry_type, OrderType::kLimit);
  EXPECT_DOUBLE_EQ(V(p.entry_price), 100.5);
  EXPECT_DOUBLE_EQ(V(p.reference_price), 100.5);
  EXPECT_DOUBLE_EQ(V(p.stop_loss), 100 * (1 - 0.0005));  // 5 bps below the gap
  EXPECT_EQ(p.expiry_bars, 12);
  auto edge = Planner("{plugin: limit_entry_at_fvg, params: {entry_at_midpoint: false}}",
                      PlanningPhase::kEntry);
  EXPECT_DOUBLE_EQ(V(RunPlan(h, *edge, Opp(Side::kLong, 102, 100, 101), 2).entry_price), 101);
  TradePlan s = RunPlan(h, *edge, Opp(Side::kShort, 99, 100, 101), 2);
  EXPECT_DOUBLE_EQ(V(s.entry_price), 100);
  EXPECT_DOUBLE_EQ(V(s.stop_loss), 101 * (1 + 0.0005));
  TradePlan none = RunPlan(h, *mid, Opp(Side::kLong, 102), 2);
  EXPECT_TRUE(none.rejected);
  EXPECT_EQ(none.reject_reason, "NO_FVG_ZONE");
}

TEST(LimitEntryAtFvg, TheSeedsPlanningPhaseVariantValidates) {
  EXPECT_TRUE(Planner("{plugin: limit_entry_at_fvg, params: {entry_at_midpoint: true}}",
                      PlanningPhase::kEntry));
}

// 15 minutes on 5m bars: 3 slices on the next 3 opens; on 1h bars one order; an hour on 1m bars
// with at most 12 slices: 12 slices 5 bars apart.
TEST(TwapEntry, SplitsOverTheBarsTheDurationCovers) {
  struct Case {
    int64_t interval_ms;
    std::string params;
    int32_t slices, spacing;
  };
  for (const Case& c : {Case{300'000, "{duration_minutes: 15}", 3, 1},
                        Case{3'600'000, "{duration_minutes: 15}", 1, 1},
                        Case{60'000, "{duration_minutes: 60, max_slices: 12}", 12, 5},
                        Case{300'000, "{duration_minutes: 16}", 4, 1}}) {
    Harness h(MakeBars(Flat(3), c.interval_ms));
    auto w = Planner("{plugin: twap_entry, params: " + c.params + "}", PlanningPhase::kEntry);
    h.Bind(*w);
    TradePlan p = RunPlan(h, *w, Opp(Side::kLong, 100), 1);
    EXPECT_EQ(p.entry_type, OrderType::kMarket);
    EXPECT_EQ(p.slices, c.slices) << c.params << " @" << c.interval_ms;
    EXPECT_EQ(p.slice_interval_bars, c.spacing) << c.params << " @" << c.interval_ms;
  }
}

// The structure bars of catalog_context_test (lookback 2): at bar 7 the swing low is 98 and 105
// rests above; from bar 8 on the bullish order block is 98.5 .. 100 and 105 is swept.
std::vector<Bar> StructureBars() {
  return {{100, 101, 99, 100.5},     {100.5, 102, 100, 101.5}, {101.5, 105, 101, 104},
          {104, 104.5, 102, 102.5},  {102.5, 103, 100, 100.5}, {100.5, 101, 98, 99},
          {100, 100, 98.5, 99.2},    {99.8, 102, 99.5, 101.8}, {101.8, 106, 101.5, 105.5},
          {105.5, 106.5, 104, 104.5}};
}

TEST(LiquidityTargetExit, StopBelowTheOrderBlockTargetAtLiquidity) {
  Harness h(MakeBars(StructureBars()));
  const double buf = 0.0005;
  // Bar 7, before any order block: the stop goes below the swing low (98); the target just under
  // the liquidity at 105 is 3.15 away for 3.85 of risk: too close at min_risk_reward 1 ...
  auto strict =
      Planner("{plugin: liquidity_target_exit, params: {swing_lookback: 2}}", PlanningPhase::kExit);
  h.Bind(*strict);
  TradePlan close = RunPlan(h, *strict, Opp(Side::kLong, 101.8), 7);
  EXPECT_TRUE(close.rejected);
  EXPECT_EQ(close.reject_reason, "LIQUIDITY_TARGET_TOO_CLOSE");
  // ... and accepted at 0.5.
  auto loose =
      Planner("{plugin: liquidity_target_exit, params: {swing_lookback: 2, min_risk_reward: 0.5}}",
              PlanningPhase::kExit);
  h.Bind(*loose);
  TradePlan ok = RunPlan(h, *loose, Opp(Side::kLong, 101.8), 7);
  ASSERT_FALSE(ok.rejected);
  EXPECT_DOUBLE_EQ(V(ok.stop_loss), 98 * (1 - buf));
  EXPECT_DOUBLE_EQ(V(ok.take_profit), 105 * (1 - buf));
  // Bar 9: the order block 98.5 .. 100 gives the stop; no liquidity is left above, so the
  // target is fallback_risk_reward (2) x the risk.
  TradePlan ob = RunPlan(h, *strict, Opp(Side::kLong, 104.5), 9);
  ASSERT_FALSE(ob.rejected);
  EXPECT_DOUBLE_EQ(V(ob.stop_loss), 98.5 * (1 - buf));
  EXPECT_DOUBLE_EQ(V(ob.take_profit), 104.5 + 2 * (104.5 - 98.5 * (1 - buf)));
  // Without stop_below_order_block the earlier planner's stop (e.g. beyond the gap) is kept.
  auto keep = Planner(
      "{plugin: liquidity_target_exit, params: {swing_lookback: 2, stop_below_order_block: false, "
      "target_opposite_liquidity: false, fallback_risk_reward: 3}}",
      PlanningPhase::kExit);
  h.Bind(*keep);
  TradePlan with_stop;
  with_stop.stop_loss = Price{103};
  TradePlan kept = RunPlan(h, *keep, Opp(Side::kLong, 104.5), 9, with_stop);
  EXPECT_DOUBLE_EQ(V(kept.stop_loss), 103);
  EXPECT_DOUBLE_EQ(V(kept.take_profit), 104.5 + 3 * 1.5);
}

TEST(LiquidityTargetExit, NoLevelOnTheLossSideIsRejected) {
  Harness h(MakeBars(Flat(5)));
  auto w = Planner("{plugin: liquidity_target_exit}", PlanningPhase::kExit);
  h.Bind(*w);
  TradePlan p = RunPlan(h, *w, Opp(Side::kLong, 100), 4);
  EXPECT_TRUE(p.rejected);
  EXPECT_EQ(p.reject_reason, "NO_STRUCTURE_STOP");
}

TEST(AdaptiveRiskSizer, HalvesTheSizeWhileAThreatStands) {
  Harness h(MakeBars(Flat(3)));  // equity 10000
  auto w = Planner(
      "{plugin: adaptive_risk_sizer, params: {base_risk_percent: 1.0, "
      "reduce_on_high_threat: true, max_leverage: 10}}",
      PlanningPhase::kSize);
  TradePlan plan;
  plan.stop_loss = Price{99};  // 1 below the entry of 100: 1% of 10000 = 100 units
  EXPECT_DOUBLE_EQ(V(RunPlan(h, *w, Opp(Side::kLong, 100), 1, plan).size), 100);
  Threat low;
  low.type = "SOMETHING_MINOR";
  low.severity = Severity::kLow;
  h.threats = {low};
  EXPECT_DOUBLE_EQ(V(RunPlan(h, *w, Opp(Side::kLong, 100), 1, plan).size), 100);
  Threat risk;
  risk.type = "MARKET_RISK_HIGH";
  risk.severity = Severity::kMedium;
  h.threats = {low, risk};
  EXPECT_DOUBLE_EQ(V(RunPlan(h, *w, Opp(Side::kLong, 100), 1, plan).size), 50);
  auto fixed = Planner(
      "{plugin: adaptive_risk_sizer, params: {reduce_on_high_threat: false, "
      "max_leverage: 10}}",
      PlanningPhase::kSize);
  EXPECT_DOUBLE_EQ(V(RunPlan(h, *fixed, Opp(Side::kLong, 100), 1, plan).size), 100);
  TradePlan no_stop;
  EXPECT_EQ(RunPlan(h, *w, Opp(Side::kLong, 100), 1, no_stop).reject_reason,
            "NO_STOP_FOR_RISK_SIZING");
}

TEST(SimpleDcaPlanner, FixedTranches) {
  Harness h(MakeBars(Flat(3)));
  auto w = Planner("{plugin: simple_dca_planner, params: {tranches: 5, tranche_interval_bars: 7}}",
                   PlanningPhase::kEntry);
  TradePlan p = RunPlan(h, *w, Opp(Side::kLong, 100), 1);
  EXPECT_EQ(p.entry_type, OrderType::kMarket);
  EXPECT_EQ(p.slices, 5);
  EXPECT_EQ(p.slice_interval_bars, 7);
  const PluginManifest* m = DefaultRegistry().Find("simple_dca_planner");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->event_driven);
}

TEST(AdaptiveDcaPlanner, AdaptsToItsWiredEvents) {
  const PluginManifest* m = DefaultRegistry().Find("adaptive_dca_planner");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->event_driven);
  EXPECT_EQ(m->wirings, (std::vector<std::string>{"dca_opportunity_scored", "dca_risk_assessed"}));
  Harness h(MakeBars(Flat(5)));
  auto w = Planner(
      "{plugin: adaptive_dca_planner, params: {base_tranches: 4, max_tranches: 8, "
      "tranche_interval_bars: 12, max_risk: 0.95}}",
      PlanningPhase::kEntry);
  h.Bind(*w);
  auto fire = [&](uint32_t t, const char* name, double value) {
    Event e;
    e.id = h.events.Intern(name);
    e.value = value;
    w->HandleEvent(h.At(t, &e), e);
  };
  Opportunity opp = Opp(Side::kLong, 100);
  opp.score = 0.25;
  // Deep discount, no risk: one tranche (4 x (1 + 0 - 1) rounds to 0, at least 1).
  fire(1, "dca_opportunity_scored", 1.0);
  fire(1, "dca_risk_assessed", 0.0);
  TradePlan fast = RunPlan(h, *w, opp, 1);
  EXPECT_EQ(fast.slices, 1);
  EXPECT_EQ(fast.slice_interval_bars, 12);
  // No discount, risk 0.5: 4 x 1.5 = 6 tranches, 12 x 1.5 = 18 bars apart.
  fire(2, "dca_opportunity_scored", 0.0);
  fire(2, "dca_risk_assessed", 0.5);
  TradePlan slow = RunPlan(h, *w, opp, 2);
  EXPECT_EQ(slow.slices, 6);
  EXPECT_EQ(slow.slice_interval_bars, 18);
  // Too risky: no buying.
  fire(3, "dca_risk_assessed", 0.96);
  EXPECT_EQ(RunPlan(h, *w, opp, 3).reject_reason, "DCA_RISK_TOO_HIGH");
  // Events of an earlier bar do not count: the opportunity's score (0.25) and no risk: 3.
  TradePlan stale = RunPlan(h, *w, opp, 4);
  EXPECT_EQ(stale.slices, 3);
  EXPECT_EQ(stale.slice_interval_bars, 12);
}

TEST(AdaptiveDcaPlanner, BaseTranchesAboveMaxIsRejectedAtLoad) {
  auto cfg = DefaultRegistry().ParseWorker(
      YAML::Load("{plugin: adaptive_dca_planner, params: {base_tranches: 9, max_tranches: 8}}"),
      WorkerCategory::kPlanning, PlanningPhase::kEntry, "smart_dca.yaml",
      "planning_workers.entry_planning[0]");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find(
                "smart_dca.yaml: planning_workers.entry_planning[0].params: base_tranches (9) must "
                "not exceed max_tranches (8)"),
            std::string::npos)
      << cfg.status().message();
}

TEST(FixedSizeSizer, SameUnitsWhateverTheStopOrEquity) {
  Harness h(MakeBars(Flat(3)));
  auto w = Planner("{plugin: fixed_size_sizer, params: {units: 2.5}}", PlanningPhase::kSize);
  TradePlan no_stop = RunPlan(h, *w, Opp(Side::kLong, 100), 1);
  EXPECT_FALSE(no_stop.rejected);
  EXPECT_DOUBLE_EQ(V(no_stop.size), 2.5);
  h.ledger.equity = Money{10};
  TradePlan with_stop;
  with_stop.stop_loss = Price{90};
  EXPECT_DOUBLE_EQ(V(RunPlan(h, *w, Opp(Side::kShort, 100), 2, with_stop).size), 2.5);
}

}  // namespace
}  // namespace s1mple::engine::catalog_test
