// Each built-in plugin on hand-made bars where the expected output is known.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>
#include <cmath>

#include "engine/plugin_registry.h"
#include "engine/plugins/plugin_util.h"
#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

class Events final : public EventRegistry {
 public:
  EventId Intern(std::string_view name) override {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<EventId>(i + kBuiltinEventCount);
    names.emplace_back(name);
    return static_cast<EventId>(names.size() - 1 + kBuiltinEventCount);
  }
  std::vector<std::string> names;
};

template <typename W>
std::unique_ptr<W> MakeWorker(const std::string& yaml, WorkerCategory cat, ContextFrame& frame,
                              std::optional<PlanningPhase> phase = std::nullopt) {
  auto wc = DefaultRegistry().ParseWorker(YAML::Load(yaml), cat, phase, "test", "w");
  EXPECT_TRUE(wc.ok()) << wc.status().ToString();
  auto w = DefaultRegistry().Create(*wc);
  EXPECT_TRUE(w.ok());
  Events ev;
  BindContext ctx{frame, ev, static_cast<ColumnId>(frame.column_count()), "test", "w", wc->plugin};
  EXPECT_TRUE((*w)->Bind(ctx).ok());
  return std::unique_ptr<W>(static_cast<W*>(w->release()));
}

struct Emitted {
  uint32_t bar;
  Side side;
  std::string type;
};

class RecordingSink final : public OpportunitySink {
 public:
  class NullPub final : public EventPublisher {
   public:
    void Publish(EventId, double) override {}
  };
  void Emit(Side side, double, std::string_view type, std::optional<Price>, std::optional<Price>,
            std::optional<Price>) override {
    out.push_back({bar, side, std::string(type)});
  }
  std::span<Opportunity> Earlier() override { return {}; }
  EventPublisher& events() override { return pub; }
  uint32_t bar = 0;
  std::vector<Emitted> out;
  NullPub pub;
};

std::vector<Emitted> RunDetector(const std::string& yaml, const BarSeries& bars) {
  ContextFrame frame(bars);
  auto w = MakeWorker<OpportunityWorker>(yaml, WorkerCategory::kOpportunity, frame);
  LedgerView ledger;
  RecordingSink sink;
  for (uint32_t t = 0; t < bars.size(); ++t) {
    BarContext b;
    b.bar = t;
    b.frame = &frame;
    b.ledger = &ledger;
    sink.bar = t;
    w->Detect(b, sink);
  }
  return sink.out;
}

// fast EMA(1) = close; slow EMA(3) = 10, 10, 9.5, 8.75, 8.875, 9.9375 from bar 2:
// close - slow = 0, 0, -0.5, -0.75, +0.125, ... -> crosses down at bar 4, up at bar 6.
const std::vector<double> kCloses{10, 10, 10, 10, 9, 8, 9, 11, 12, 12};

TEST(TrendFollower, EmitsOnTheCrossingBars) {
  auto out = RunDetector("{plugin: trend_follower, params: {fast_period: 1, slow_period: 3}}",
                         testing::BarsFromCloses(kCloses));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bar, 4u);
  EXPECT_EQ(out[0].side, Side::kShort);
  EXPECT_EQ(out[0].type, "EMA_CROSS_DOWN");
  EXPECT_EQ(out[1].bar, 6u);
  EXPECT_EQ(out[1].side, Side::kLong);
  EXPECT_EQ(out[1].type, "EMA_CROSS_UP");
}

TEST(TrendFollower, LongOnlyIgnoresDownCrosses) {
  auto out = RunDetector(
      "{plugin: trend_follower, params: {fast_period: 1, slow_period: 3, direction: long_only}}",
      testing::BarsFromCloses(kCloses));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bar, 6u);
}

class RecordingThreats final : public ThreatSink {
 public:
  class NullPub final : public EventPublisher {
   public:
    void Publish(EventId, double) override {}
  };
  void Raise(std::string_view type, Severity sev, bool blocks, double value) override {
    Threat t;
    t.type = type;
    t.severity = sev;
    t.blocks_new_entries = blocks;
    t.value = value;
    out.push_back(t);
  }
  std::span<const Threat> Earlier() const override { return {}; }
  EventPublisher& events() override { return pub; }
  std::vector<Threat> out;
  NullPub pub;
};

TEST(MaxDrawdownMonitor, RaisesPastItsLimitOnly) {
  BarSeries bars = testing::BarsFromCloses({10, 10});
  ContextFrame frame(bars);
  auto w = MakeWorker<ThreatWorker>(
      "{plugin: max_drawdown_monitor, params: {max_drawdown_percent: 15, max_daily_drawdown: 2}}",
      WorkerCategory::kThreat, frame);
  LedgerView l;
  BarContext b;
  b.frame = &frame;
  b.ledger = &l;
  RecordingThreats sink;
  l.peak_equity = Money{100};
  l.day_start_equity = Money{90};
  l.equity = Money{90};  // 10 % below peak, flat on the day
  w->Assess(b, sink);
  EXPECT_TRUE(sink.out.empty());
  l.equity = Money{84};  // 16 % below peak
  w->Assess(b, sink);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].type, "MAX_DRAWDOWN_BREACHED");
  EXPECT_EQ(sink.out[0].severity, Severity::kHigh);
  EXPECT_TRUE(sink.out[0].blocks_new_entries);
  EXPECT_NEAR(sink.out[0].value, 16.0, 1e-12);
  sink.out.clear();
  l.equity = Money{87};  // 13 % below peak but 3.3 % down on the day
  w->Assess(b, sink);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].type, "DAILY_DRAWDOWN_BREACHED");
}

// Planning workers on the ATR bars of the indicator test: ATR(2) = 2.5 at bar 3, close 9.5.
struct PlanFixture : ::testing::Test {
  BarSeries bars =
      testing::MakeBars({{9, 10, 8, 9}, {9, 11, 9, 10}, {10, 13, 10, 11.5}, {10.5, 11, 9, 9.5}});
  ContextFrame frame{bars};
  LedgerView ledger;
  BarContext bar;
  Opportunity opp;
  void SetUp() override {
    ledger.equity = Money{10000};
    bar.frame = &frame;
    bar.ledger = &ledger;
    bar.bar = 3;
  }
  TradePlan Run(const std::string& yaml, PlanningPhase phase, TradePlan plan) {
    auto w = MakeWorker<PlanningWorker>(yaml, WorkerCategory::kPlanning, frame, phase);
    PlanningInput in{&bar, &opp, phase};
    w->Plan(in, plan);
    return plan;
  }
};

TEST_F(PlanFixture, MarketEntryImmediateUsesTheCloseAsReference) {
  TradePlan p = Run("{plugin: market_entry_immediate}", PlanningPhase::kEntry, TradePlan{});
  EXPECT_EQ(p.entry_type, OrderType::kMarket);
  EXPECT_FALSE(p.entry_price.has_value());
  EXPECT_DOUBLE_EQ(p.reference_price->v, 9.5);
}

TEST_F(PlanFixture, AtrBasedStopsPlaceTheStopMultiplierAtrsAway) {
  TradePlan in;
  in.reference_price = Price{9.5};
  const std::string y = "{plugin: atr_based_stops, params: {atr_period: 2, atr_multiplier: 2}}";
  EXPECT_DOUBLE_EQ(Run(y, PlanningPhase::kExit, in).stop_loss->v, 4.5);  // 9.5 - 2 * 2.5
  in.side = Side::kShort;
  EXPECT_DOUBLE_EQ(Run(y, PlanningPhase::kExit, in).stop_loss->v, 14.5);
  bar.bar = 0;  // ATR(2) not ready
  TradePlan r = Run(y, PlanningPhase::kExit, in);
  EXPECT_TRUE(r.rejected);
  EXPECT_EQ(r.reject_reason, "ATR_NOT_READY");
}

TEST_F(PlanFixture, FixedRrExitTargetsAMultipleOfTheRisk) {
  const std::string y = "{plugin: fixed_rr_exit, params: {risk_reward_ratio: 2}}";
  TradePlan in;
  in.reference_price = Price{100};
  in.stop_loss = Price{95};
  EXPECT_DOUBLE_EQ(Run(y, PlanningPhase::kExit, in).take_profit->v, 110);
  in.side = Side::kShort;
  in.stop_loss = Price{104};
  EXPECT_DOUBLE_EQ(Run(y, PlanningPhase::kExit, in).take_profit->v, 92);
  in.stop_loss.reset();  // nothing to measure from: no target
  EXPECT_FALSE(Run(y, PlanningPhase::kExit, in).take_profit.has_value());
}

TEST_F(PlanFixture, FixedRiskSizerRisksAPercentOfEquityCappedByLeverage) {
  const std::string y = "{plugin: fixed_risk_sizer, params: {risk_per_trade_percent: 1}}";
  TradePlan in;
  in.reference_price = Price{100};
  in.stop_loss = Price{95};
  EXPECT_DOUBLE_EQ(Run(y, PlanningPhase::kSize, in).size.v, 20);  // 100 / 5
  in.stop_loss = Price{99.9};  // 1000 units would be 10x leverage: capped at 100 units
  EXPECT_NEAR(Run(y, PlanningPhase::kSize, in).size.v, 100, 1e-9);
  in.stop_loss.reset();
  TradePlan r = Run(y, PlanningPhase::kSize, in);
  EXPECT_TRUE(r.rejected);
  EXPECT_EQ(r.reject_reason, "NO_STOP_FOR_RISK_SIZING");
}

// The one risk-sizing helper of fixed_risk_sizer and adaptive_risk_sizer, and its NaN rule.
TEST(RiskSizedQuantity, RisksTheFractionCappedByLeverageElseNoSize) {
  using plugin::RiskSizedQuantity;
  EXPECT_DOUBLE_EQ(RiskSizedQuantity(Money{10000}, 0.01, Price{100}, Price{95}, 1)->v, 20);
  EXPECT_NEAR(RiskSizedQuantity(Money{10000}, 0.01, Price{100}, Price{99.9}, 1)->v, 100, 1e-9);
  EXPECT_NEAR(RiskSizedQuantity(Money{10000}, 0.01, Price{100}, Price{105}, 1)->v, 20, 1e-9);
  EXPECT_FALSE(RiskSizedQuantity(Money{10000}, 0.01, Price{100}, Price{100}, 1));  // no distance
  EXPECT_FALSE(RiskSizedQuantity(Money{0}, 0.01, Price{100}, Price{95}, 1));
  EXPECT_FALSE(RiskSizedQuantity(Money{-5}, 0.01, Price{100}, Price{95}, 1));
  EXPECT_FALSE(RiskSizedQuantity(Money{10000}, 0.0, Price{100}, Price{95}, 1));  // risk 0
  EXPECT_FALSE(RiskSizedQuantity(Money{kNaN}, 0.01, Price{100}, Price{95}, 1));
  EXPECT_FALSE(RiskSizedQuantity(Money{10000}, 0.01, Price{kNaN}, Price{95}, 1));
  EXPECT_FALSE(RiskSizedQuantity(Money{10000}, 0.01, Price{100}, Price{kNaN}, 1));
  EXPECT_FALSE(RiskSizedQuantity(Money{10000}, kNaN, Price{100}, Price{95}, 1));
  EXPECT_FALSE(RiskSizedQuantity(Money{10000}, 0.01, Price{0}, Price{5}, 1));  // no reference
}

TEST(ContextPlugins, ProduceTheirNamedColumns) {
  BarSeries bars = testing::BarsFromCloses(kCloses);
  ContextFrame frame(bars);
  for (const char* y : {"{plugin: ema, params: {period: 3}}", "{plugin: rsi, params: {period: 3}}",
                        "{plugin: atr, params: {period: 2}}"}) {
    auto w = MakeWorker<ContextWorker>(y, WorkerCategory::kContext, frame);
    ASSERT_TRUE(w->Compute(frame).ok()) << y;
  }
  ASSERT_TRUE(frame.Find("ema_3") && frame.Find("rsi_3") && frame.Find("atr_2"));
  EXPECT_DOUBLE_EQ(frame.Column(*frame.Find("ema_3"))[4], 9.5);
}

}  // namespace
}  // namespace s1mple::engine
