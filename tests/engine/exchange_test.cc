// The simulated exchange on hand-made bars alone: no workers, no planner. A Book drives the
// Exchange and its Ledger bar by bar the way the bar loop does (Process, then Mark), with orders
// placed as an accepted plan or an execution worker's actions would place them.
#include "engine/exchange.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

using testing::MakeBars;
using testing::Ohlc;

std::vector<Ohlc> Flat(size_t n, double p = 100) {
  return std::vector<Ohlc>(n, Ohlc{p, p + 1, p - 1, p});
}

// What test_plan would plan on the signal bar (engine/../tests/engine/test_plugins.h): prices
// relative to the signal bar's close.
struct PlanSpec {
  OrderType entry = OrderType::kMarket;
  double entry_offset = 0, stop_offset = 0, target_offset = 0, size = 0;
  int32_t slices = 1, slice_interval = 1, expiry_bars = 0;
};

struct SeenEvent {
  uint32_t bar;
  Event event;
};

Environment Costs(double fees_bps, double slippage_bps) {
  Environment env;
  env.fees_bps = fees_bps;
  env.slippage_bps = slippage_bps;
  return env;
}

struct Book {
  explicit Book(const std::vector<Ohlc>& rows, double fees_bps = 0, double slippage_bps = 0)
      : bars(MakeBars(rows)),
        env(Costs(fees_bps, slippage_bps)),
        ledger(bars, Money{10000}),
        exchange(bars, env, ledger, bus) {
    for (EventId id : {kOnOrderFilled, kOnPositionClosed, kOnLedgerUpdate})
      bus.Subscribe(WorkerCategory::kExecution, id, 0);  // so that the bus queues them
    bus.Seal(kBuiltinEventCount, 1024);
    ledger.Start(0, static_cast<uint32_t>(bars.size()));
  }

  // Bars up to and including `last`, as the bar loop runs them: fills, then the mark.
  void RunThrough(uint32_t last) {
    for (; next <= last && next < bars.size(); ++next) {
      bus.BeginBar();
      changed.push_back(exchange.Process(next));
      ledger.Mark(next, changed.back(), exchange.pending());
      while (const Event* e = bus.Next()) events.push_back({next, *e});
    }
  }
  // The rest of the bars and the end-of-data close.
  void Finish() {
    RunThrough(static_cast<uint32_t>(bars.size() - 1));
    exchange.CloseAtEnd(static_cast<uint32_t>(bars.size() - 1));
  }
  // An accepted plan for an opportunity detected on bar `t` (its orders fill from t + 1).
  void Plan(uint32_t t, Side side, const PlanSpec& s, uint32_t opportunity = 1) {
    const double close = bars.close[t], sgn = Sign(side);
    TradePlan plan;
    plan.opportunity = OpportunityId{opportunity};
    plan.side = side;
    plan.entry_type = s.entry;
    double ref = close;
    if (s.entry != OrderType::kMarket) {
      plan.entry_price = Price{close + s.entry_offset};
      ref = plan.entry_price->v;
    }
    if (s.stop_offset > 0) plan.stop_loss = Price{ref - sgn * s.stop_offset};
    if (s.target_offset > 0) plan.take_profit = Price{ref + sgn * s.target_offset};
    plan.size = Quantity{s.size};
    plan.slices = s.slices;
    plan.slice_interval_bars = s.slice_interval;
    plan.expiry_bars = s.expiry_bars;
    exchange.SubmitPlan(plan, t);
  }
  // An execution worker's close decided on bar t (filled at t + 1's open).
  void Close(uint32_t t, double fraction, std::string_view reason = "") {
    ActionSet a;
    a.close_fraction = fraction;
    a.reason = reason;
    exchange.Apply(a, t);
  }

  // r->trades, r->equity: what RunBacktest's result would hold (the assertions read as the
  // bar-loop tests they came from).
  Book* operator->() { return this; }

  BarSeries bars;
  Environment env;
  EventBus bus;
  Ledger ledger;
  Exchange exchange;
  const std::vector<Trade>& trades = ledger.trades();
  const std::vector<EquityPoint>& equity = ledger.equity();
  uint32_t next = 0;
  std::vector<bool> changed;
  std::vector<SeenEvent> events;
};

constexpr double kCostBps = 10;  // fees and slippage of the cost tests: 10 bps each

// ---- market, limit and stop entries; stops and targets intrabar -------------------------------

TEST(Exchange, MarketEntryAtNextOpenWithSlippageAndTargetAsLimit) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({102, 108, 101.5, 107});
  rows.push_back({107, 107, 106, 106.5});
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  const Trade& t = r->trades[0];
  EXPECT_DOUBLE_EQ(t.entry_price.v, 101 * 1.001);
  EXPECT_DOUBLE_EQ(t.exit_price.v, 106);  // target 100 + 6, a limit: no slippage
  EXPECT_EQ(t.exit_reason, "take_profit");
  EXPECT_EQ(t.side, Side::kLong);
  EXPECT_EQ(t.opportunity.v, 1u);
  EXPECT_EQ(t.entry_bar, 2u);
  EXPECT_EQ(t.exit_bar, 3u);
  const double fees = 10 * 101.101 * 0.001 + 10 * 106 * 0.001;
  EXPECT_NEAR(t.pnl.v, (106 - 101.101) * 10 - fees, 1e-9);
  EXPECT_NEAR(r->equity.back().equity, 10000 + t.pnl.v, 1e-9);
  // bar 2 marked at its close: cash after buying 10 at 101.101 plus the fee, plus 10 x 102
  EXPECT_NEAR(r->equity[2].equity, 10000 - 10 * 101.101 - 10 * 101.101 * 0.001 + 10 * 102, 1e-9);
}

TEST(Exchange, StopAndTargetInOneBarFillsTheStopFirst) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({101, 107, 94, 100});  // touches 95 (stop) and 106 (target)
  rows.push_back({100, 101, 99, 100});
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "stop_loss");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 95 * 0.999);
}

TEST(Exchange, GapThroughTheStopFillsAtTheOpen) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({90, 91, 89, 90});
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 90 * 0.999);
}

TEST(Exchange, LimitEntryFillsWhenPriceTradesThroughIt) {
  auto rows = Flat(3);                // bar 2 low 99: above the 98 limit
  rows.push_back({99, 100, 97, 99});  // fills at 98
  rows.push_back({99, 100, 98.5, 99.5});
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.entry = OrderType::kLimit, .entry_offset = -2, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].entry_bar, 3u);
  EXPECT_DOUBLE_EQ(r->trades[0].entry_price.v, 98);  // limit: no slippage
  EXPECT_EQ(r->trades[0].exit_reason, "end_of_data");
}

TEST(Exchange, StopEntryFillsOnTheBreakout) {
  auto rows = Flat(3);
  rows.push_back({100.5, 104, 100, 103});  // breaks 102
  rows.push_back({103, 104, 102, 103});
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.entry = OrderType::kStop, .entry_offset = 2, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].entry_bar, 3u);
  EXPECT_DOUBLE_EQ(r->trades[0].entry_price.v, 102 * 1.001);
}

TEST(Exchange, ShortTradeProfitsWhenPriceFalls) {
  auto rows = Flat(2);
  rows.push_back({101, 101.5, 100, 100.5});
  rows.push_back({100, 100, 93, 94});  // target 94
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kShort, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  const Trade& t = r->trades[0];
  EXPECT_EQ(t.side, Side::kShort);
  EXPECT_DOUBLE_EQ(t.entry_price.v, 101 * 0.999);
  EXPECT_DOUBLE_EQ(t.exit_price.v, 94);
  EXPECT_NEAR(t.pnl.v, (100.899 - 94) * 10 - (10 * 100.899 + 10 * 94) * 0.001, 1e-9);
  EXPECT_NEAR(r->equity.back().equity, 10000 + t.pnl.v, 1e-9);
}

// ---- the fill bar of an intrabar entry: its stop, not its target ----------------------------

TEST(Exchange, LimitEntryTakesNoTargetOnItsFillBar) {
  auto rows = Flat(3);                      // signal on bar 1 (close 100): buy limit 98
  rows.push_back({99, 100.5, 97, 99});      // fills at 98; the target 100 is touched too
  rows.push_back({99, 100.2, 98.5, 99.5});  // the target, on the next bar
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong,
         {.entry = OrderType::kLimit,
          .entry_offset = -2,
          .stop_offset = 3,
          .target_offset = 2,
          .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].entry_bar, 3u);
  EXPECT_DOUBLE_EQ(r->trades[0].entry_price.v, 98);
  EXPECT_EQ(r->trades[0].exit_reason, "take_profit");
  EXPECT_EQ(r->trades[0].exit_bar, 4u);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 100);
}

TEST(Exchange, ShortStopEntryTakesNoTargetOnItsFillBar) {
  auto rows = Flat(3);                     // signal on bar 1: sell stop 98, target 97
  rows.push_back({99.5, 100, 96.5, 97});   // fills at 98; the target is touched too
  rows.push_back({97.2, 97.5, 96.8, 97});  // the target, on the next bar
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kShort,
         {.entry = OrderType::kStop, .entry_offset = -2, .target_offset = 1, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].entry_bar, 3u);
  EXPECT_DOUBLE_EQ(r->trades[0].entry_price.v, 98);
  EXPECT_EQ(r->trades[0].exit_reason, "take_profit");
  EXPECT_EQ(r->trades[0].exit_bar, 4u);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 97);
}

TEST(Exchange, LimitEntryCanStopOutOnItsFillBar) {
  auto rows = Flat(3);                  // buy limit 98, stop 96, target 100
  rows.push_back({99, 100.5, 95, 96});  // fills at 98, then touches both: the stop
  rows.push_back({96, 97, 95, 96});
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong,
         {.entry = OrderType::kLimit,
          .entry_offset = -2,
          .stop_offset = 2,
          .target_offset = 2,
          .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].entry_bar, 3u);
  EXPECT_EQ(r->trades[0].exit_bar, 3u);
  EXPECT_EQ(r->trades[0].exit_reason, "stop_loss");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 96 * 0.999);
}

TEST(Exchange, MarketEntryCanTakeItsTargetOnItsFillBar) {
  auto rows = Flat(2);                     // signal on bar 1 (close 100): stop 95, target 106
  rows.push_back({101, 107, 100.5, 106});  // enters at the open, reaches the target
  rows.push_back({106, 107, 105, 106});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].entry_bar, 2u);
  EXPECT_EQ(r->trades[0].exit_bar, 2u);
  EXPECT_EQ(r->trades[0].exit_reason, "take_profit");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 106);
}

// ---- slices of an opportunity whose position closed ---------------------------------------

TEST(Exchange, StopLossCancelsTheOpportunitysRemainingSlices) {
  auto rows = Flat(3);                   // 3 slices of 10 at bars 2, 4, 6; stop 97
  rows.push_back({100, 100.5, 96, 97});  // bar 3: stopped out after the first slice
  for (int i = 0; i < 5; ++i) rows.push_back({97, 98, 96.5, 97});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 3, .size = 30, .slices = 3, .slice_interval = 2});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);  // the slices due on bars 4 and 6 never fill
  EXPECT_EQ(r->trades[0].exit_reason, "stop_loss");
  EXPECT_DOUBLE_EQ(r->trades[0].size.v, 10);
  EXPECT_EQ(r->trades[0].exit_bar, 3u);
  for (size_t t = 3; t < r->equity.size(); ++t)  // flat from the stop on
    EXPECT_DOUBLE_EQ(r->equity[t].equity, r->equity[3].equity) << t;
}

// ---- closes asked for by execution workers -------------------------------------------------

TEST(Exchange, PartialExitIsATradeWithTheSameOpportunity) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({104, 105, 103, 104});
  rows.push_back({105, 106, 104, 105});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.size = 10});
  r.RunThrough(2);
  r.Close(2, 0.5);  // what test_manager asks for on the first bar of the position
  r.Finish();
  ASSERT_EQ(r->trades.size(), 2u);
  EXPECT_EQ(r->trades[0].exit_reason, "partial_exit");
  EXPECT_DOUBLE_EQ(r->trades[0].size.v, 5);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 104);  // next open after the decision on bar 2
  EXPECT_EQ(r->trades[1].exit_reason, "end_of_data");
  EXPECT_DOUBLE_EQ(r->trades[1].size.v, 5);
  EXPECT_EQ(r->trades[0].opportunity, r->trades[1].opportunity);
}

TEST(Exchange, CloseFillsBeforeADueSliceAndCancelsTheRemainingSlices) {
  // Slices of 10 at bars 2, 3, 4; the worker closes on bar 2: the exit at bar 3's open comes
  // before that bar's slice and closes the position, so the slices of bars 3 and 4 are dropped.
  auto rows = Flat(2);
  rows.push_back({100, 101, 99, 100});
  rows.push_back({102, 103, 101, 102});
  for (int i = 0; i < 3; ++i) rows.push_back({102, 103, 101, 102});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.size = 30, .slices = 3});
  r.RunThrough(2);
  r.Close(2, 1);
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "close");  // CloseAll without a reason
  EXPECT_DOUBLE_EQ(r->trades[0].size.v, 10);
  EXPECT_EQ(r->trades[0].exit_bar, 3u);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 102);
  EXPECT_DOUBLE_EQ(r->equity.back().equity, 10000 + 10 * (102 - 100));
}

TEST(Exchange, PartialExitKeepsTheRemainingSlices) {
  auto rows = Flat(2);  // slices of 10 at bars 2, 3, 4; half of the first closed on bar 3
  for (int i = 0; i < 4; ++i) rows.push_back({100, 101, 99, 100});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.size = 30, .slices = 3});
  r.RunThrough(2);
  r.Close(2, 0.5);
  r.Finish();
  ASSERT_EQ(r->trades.size(), 2u);
  EXPECT_EQ(r->trades[0].exit_reason, "partial_exit");
  EXPECT_DOUBLE_EQ(r->trades[0].size.v, 5);
  EXPECT_EQ(r->trades[1].exit_reason, "end_of_data");
  EXPECT_DOUBLE_EQ(r->trades[1].size.v, 25);  // 5 + the slices of bars 3 and 4
}

// ---- rules only the exchange sees ----------------------------------------------------------

TEST(Exchange, FeesAreChargedOnBothFillsAndTheEntryFeeGoesToTheTrade) {
  auto rows = Flat(2);
  rows.push_back({100, 101, 99, 100});
  rows.push_back({110, 111, 109, 110});
  Book r(rows, /*fees_bps=*/20);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.size = 10});
  r.RunThrough(2);
  r.Close(2, 1, "signal_exit");
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  const Trade& t = r->trades[0];
  EXPECT_DOUBLE_EQ(t.fees.v, 10 * 100 * 0.002 + 10 * 110 * 0.002);
  EXPECT_NEAR(t.pnl.v, 10 * (110 - 100) - t.fees.v, 1e-9);
  EXPECT_EQ(t.exit_reason, "signal_exit");
  EXPECT_NEAR(r.ledger.view().cash.v, 10000 + t.pnl.v, 1e-9);
  EXPECT_NEAR(r.ledger.view().realized_pnl.v, t.pnl.v, 1e-9);
}

TEST(Exchange, LimitEntryExpiresUnfilledAfterItsBars) {
  auto rows = Flat(6);               // low 99 every bar: a buy limit at 97 never trades
  rows.push_back({98, 99, 96, 97});  // bar 6 would fill it, but it expired after bar 4
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong,
         {.entry = OrderType::kLimit, .entry_offset = -3, .size = 10, .expiry_bars = 3});
  r.RunThrough(4);
  EXPECT_EQ(r.exchange.pending(), 1u);  // bars 2, 3, 4: still working
  r.RunThrough(5);
  EXPECT_EQ(r.exchange.pending(), 0u);  // dropped on bar 5 ...
  EXPECT_TRUE(r.changed[5]);            // ... which counts as a change of the book
  r.Finish();
  EXPECT_TRUE(r->trades.empty());
}

TEST(Exchange, EntryAgainstTheOpenPositionIsDropped) {
  auto rows = Flat(5);
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.size = 10});
  r.RunThrough(2);
  r.Plan(2, Side::kShort, {.size = 10}, /*opportunity=*/2);
  r.RunThrough(3);
  EXPECT_EQ(r.exchange.pending(), 0u);
  EXPECT_TRUE(r.ledger.position().open);
  EXPECT_EQ(r.ledger.position().side, Side::kLong);
  EXPECT_DOUBLE_EQ(r.ledger.position().size.v, 10);
}

TEST(Exchange, LimitWithoutAPriceNeverFills) {
  Book r(Flat(5));
  Order o;
  o.type = OrderType::kLimit;  // no price
  o.size = Quantity{1};
  o.active_from = 1;
  r.exchange.Submit(o);
  r.Finish();
  EXPECT_TRUE(r->trades.empty());
  EXPECT_FALSE(r.ledger.position().open);
}

TEST(Exchange, FillsPublishOrderFilledAndPositionClosed) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({102, 108, 101.5, 107});  // the target 106
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.target_offset = 6, .size = 10});
  r.RunThrough(3);
  std::vector<std::pair<uint32_t, EventId>> seen;
  for (const auto& e : r.events)
    if (e.event.id != kOnLedgerUpdate) seen.emplace_back(e.bar, e.event.id);
  EXPECT_EQ(seen, (std::vector<std::pair<uint32_t, EventId>>{
                      {2, kOnOrderFilled}, {3, kOnOrderFilled}, {3, kOnPositionClosed}}));
  for (const auto& e : r.events) {
    if (e.event.id == kOnOrderFilled || e.event.id == kOnPositionClosed) {
      EXPECT_EQ(e.event.opportunity.v, 1u);
    }
  }
  EXPECT_DOUBLE_EQ(r.events.back().event.value, 106);  // the fill price
}

TEST(Exchange, MovedStopAppliesFromTheNextBar) {
  auto rows = Flat(2);
  rows.push_back({100, 101, 99, 100});     // entry at 100, no stop
  rows.push_back({100, 100.5, 98.5, 99});  // the moved stop 99 is hit
  rows.push_back({99, 99.5, 98, 99});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.size = 10});
  r.RunThrough(2);
  ActionSet a;
  a.set_stop = true;
  a.stop = Price{99};
  r.exchange.Apply(a, 2);
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "stop_loss");
  EXPECT_EQ(r->trades[0].exit_bar, 3u);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 99);
}

}  // namespace
}  // namespace s1mple::engine

namespace s1mple::engine {
namespace {

// ---- issue 23: the edges a broker would fill differently -----------------------------------

// A bar that opens beyond the target and later trades through the stop: the resting take-profit
// limit fills at that open (better than its price), before the intrabar stop-first rule.
TEST(Exchange, GapThroughTheTargetFillsTheTargetAtTheOpen) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});  // entry at 101 (+ slippage)
  rows.push_back({109, 110, 94, 96});      // opens beyond 106, later touches the 95 stop
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "take_profit");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 109);  // the open: a limit, no slippage
  EXPECT_EQ(r->trades[0].exit_bar, 3u);
}

TEST(Exchange, ShortGapThroughTheTargetFillsTheTargetAtTheOpen) {
  auto rows = Flat(2);
  rows.push_back({99, 99.5, 97, 98});  // short entry at 99
  rows.push_back({91, 106, 90, 104});  // opens below the 93 target, later above the 105 stop
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kShort, {.stop_offset = 5, .target_offset = 7, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "take_profit");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 91);
}

// A gap through the stop fills the stop at the open (with slippage), even when the bar then
// trades up to the target.
TEST(Exchange, GapThroughTheStopFillsTheStopAtTheOpenBeforeATargetLaterInTheBar) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({93, 108, 92, 107});  // opens below the 95 stop, later above the 106 target
  Book r(rows, kCostBps, kCostBps);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "stop_loss");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 93 * 0.999);
}

// A bar that opens between stop and target and touches both: the intrabar rule stays.
TEST(Exchange, BothTouchedIntrabarAfterAnOpenBetweenThemFillsTheStop) {
  auto rows = Flat(2);
  rows.push_back({101, 103, 100.5, 102});
  rows.push_back({100, 107, 94, 105});
  Book r(rows);
  r.RunThrough(1);
  r.Plan(1, Side::kLong, {.stop_offset = 5, .target_offset = 6, .size = 10});
  r.Finish();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "stop_loss");
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price.v, 95);
}

// Slippage never pushes a fill outside the bar's [low, high] by default: a market buy at an
// open that is the bar's high fills at the high, a stop that fills at the bar's low fills at the
// low. With slippage_within_bar: false the full slippage applies.
TEST(Exchange, SlippageStaysInsideTheBarUnlessTheEnvironmentAllowsOtherwise) {
  auto rows = Flat(2);
  rows.push_back({101, 101, 100.5, 100.8});  // opens at its high
  rows.push_back({100, 100.5, 96, 97});      // trades down to the 96 stop, its low
  rows.push_back({97, 98, 96, 97});
  for (bool within : {true, false}) {
    SCOPED_TRACE(within ? "within the bar" : "outside allowed");
    Book r(rows, 0, 50);  // 50 bps
    r.env.slippage_within_bar = within;
    Exchange exchange(r.bars, r.env, r.ledger, r.bus);
    // Drive this exchange (the Book's own reads the environment at construction).
    for (uint32_t t = 0; t <= 1; ++t) {
      exchange.Process(t);
      r.ledger.Mark(t, false, exchange.pending());
    }
    TradePlan plan;
    plan.opportunity = OpportunityId{1};
    plan.side = Side::kLong;
    plan.stop_loss = Price{96};
    plan.size = Quantity{10};
    exchange.SubmitPlan(plan, 1);
    for (uint32_t t = 2; t < 4; ++t) {
      exchange.Process(t);
      r.ledger.Mark(t, true, exchange.pending());
    }
    ASSERT_EQ(r.ledger.trades().size(), 1u);
    const Trade& trade = r.ledger.trades()[0];
    if (within) {
      EXPECT_DOUBLE_EQ(trade.entry_price.v, 101);  // 101 x 1.005 capped at the high
      EXPECT_DOUBLE_EQ(trade.exit_price.v, 96);    // 96 x 0.995 capped at the low
    } else {
      EXPECT_DOUBLE_EQ(trade.entry_price.v, 101 * 1.005);
      EXPECT_DOUBLE_EQ(trade.exit_price.v, 96 * 0.995);
    }
  }
}

}  // namespace
}  // namespace s1mple::engine
