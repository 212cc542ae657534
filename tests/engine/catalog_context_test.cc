// Context plugins of the catalog on hand-made bars: market structure (swings, breaks, order
// blocks, liquidity), volume averages, regime classification, and the shared helpers.
#include <cmath>

#include "engine/plugins/structure.h"
#include "tests/engine/catalog_test_util.h"

namespace s1mple::engine::catalog_test {
namespace {

// Swing lookback 2. A swing high at bar 2 (105, confirmed at bar 4), a swing low at bar 5 (98,
// confirmed at bar 7), a bullish break at bar 8 (close 105.5 > 105) whose order block is bar 6 (the
// last down candle before it), then a bearish break at bar 10 (close 97.8 < 98).
std::vector<Bar> StructureBars() {
  return {
      {100, 101, 99, 100.5},       // 0
      {100.5, 102, 100, 101.5},    // 1
      {101.5, 105, 101, 104},      // 2 swing high 105
      {104, 104.5, 102, 102.5},    // 3
      {102.5, 103, 100, 100.5},    // 4
      {100.5, 101, 98, 99},        // 5 swing low 98
      {100, 100, 98.5, 99.2},      // 6 down candle: the order block
      {99.8, 102, 99.5, 101.8},    // 7
      {101.8, 106, 101.5, 105.5},  // 8 bullish BOS, sweeps 105
      {105.5, 106.5, 104, 104.5},  // 9
      {104.5, 105, 97.5, 97.8},    // 10 bearish BOS, sweeps 98
  };
}

TEST(MarketStructure, SwingsBreaksOrderBlocksAndLiquidity) {
  Harness h(MakeBars(StructureBars()));
  auto w = MakeWorker<ContextWorker>("{plugin: market_structure, params: {swing_lookback: 2}}",
                                     WorkerCategory::kContext);
  ASSERT_TRUE(w);
  h.Bind(*w);
  const auto sh = h.Column("swing_high_2"), sl = h.Column("swing_low_2");
  const auto bos = h.Column("bos_2"), trend = h.Column("structure_trend_2");
  const auto obl = h.Column("ob_bull_low_2"), obh = h.Column("ob_bull_high_2");
  const auto bearl = h.Column("ob_bear_low_2"), bearh = h.Column("ob_bear_high_2");
  const auto above = h.Column("liq_above_2"), below = h.Column("liq_below_2");

  // The swing high of bar 2 is known only at bar 4 (two bars later).
  EXPECT_TRUE(std::isnan(sh[3]));
  EXPECT_EQ(sh[4], 105);
  EXPECT_TRUE(std::isnan(sl[6]));
  EXPECT_EQ(sl[7], 98);
  // Breaks of structure, each swing broken once.
  for (size_t t = 0; t < bos.size(); ++t) {
    const double want = t == 8 ? 1 : t == 10 ? -1 : 0;
    EXPECT_EQ(bos[t], want) << "bar " << t;
  }
  EXPECT_EQ(trend[7], 0);
  EXPECT_EQ(trend[9], 1);
  EXPECT_EQ(trend[10], -1);
  // The bullish order block: bar 6 (low 98.5, high 100), void once bar 10 closes below 98.5.
  EXPECT_TRUE(std::isnan(obl[7]));
  EXPECT_EQ(obl[8], 98.5);
  EXPECT_EQ(obh[9], 100);
  EXPECT_TRUE(std::isnan(obl[10]));
  // The bearish order block of bar 10's break: the last up candle before it, bar 8.
  EXPECT_EQ(bearl[10], 101.5);
  EXPECT_EQ(bearh[10], 106);
  // Liquidity: 105 rests above from bar 4 until bar 8 trades through it; 98 below from bar 7
  // until bar 10 sweeps it.
  EXPECT_TRUE(std::isnan(above[3]));
  EXPECT_EQ(above[4], 105);
  EXPECT_EQ(above[7], 105);
  EXPECT_TRUE(std::isnan(above[8]));
  EXPECT_EQ(below[7], 98);
  EXPECT_EQ(below[9], 98);
  EXPECT_TRUE(std::isnan(below[10]));
}

// Equal highs: 105 and 104.97 (2.9 bps apart) form one liquidity cluster whose level is the higher
// one; with a 1 bp tolerance they are two levels and the nearer one counts.
TEST(MarketStructure, NearbySwingHighsFormOneLiquidityCluster) {
  const std::vector<Bar> bars = {{99.5, 100, 99, 99.5},
                                 {99.5, 105, 100, 104},
                                 {104, 104.2, 103, 103.5},
                                 {103.5, 104.97, 103, 104},
                                 {104, 104.2, 103, 103.5}};
  for (auto [tolerance, want] : {std::pair{5.0, 105.0}, std::pair{1.0, 104.97}}) {
    Harness h(MakeBars(bars));
    auto w = MakeWorker<ContextWorker>(
        "{plugin: market_structure, params: {swing_lookback: 1, liquidity_tolerance_bps: " +
            std::to_string(tolerance) + "}}",
        WorkerCategory::kContext);
    ASSERT_TRUE(w);
    h.Bind(*w);
    structure::StructureOptions o;
    o.swing_lookback = 1;
    o.liquidity_tolerance_bps = tolerance;
    EXPECT_EQ(h.Column("liq_above_" + o.Key())[4], want) << "tolerance " << tolerance;
  }
}

TEST(MarketStructure, SharedColumnsAreComputedOnce) {
  Harness h(MakeBars(StructureBars()));
  structure::StructureOptions o;
  o.swing_lookback = 2;
  auto a = structure::EnsureStructure(h.frame, o);
  ASSERT_TRUE(a.ok());
  const size_t columns = h.frame.column_count();
  auto b = structure::EnsureStructure(h.frame, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(h.frame.column_count(), columns);
  EXPECT_EQ(a->bos, b->bos);
  // The context worker finds them too instead of failing on a taken name.
  auto w = MakeWorker<ContextWorker>("{plugin: market_structure, params: {swing_lookback: 2}}",
                                     WorkerCategory::kContext);
  h.Bind(*w);
  EXPECT_EQ(h.frame.column_count(), columns);
}

TEST(VolumeAverage, AverageAndRatio) {
  std::vector<Bar> bars = Flat(4);
  bars[0].v = 100;
  bars[1].v = 200;
  bars[2].v = 300;
  bars[3].v = 600;
  Harness h(MakeBars(bars));
  auto w = MakeWorker<ContextWorker>("{plugin: volume_average, params: {period: 3}}",
                                     WorkerCategory::kContext);
  h.Bind(*w);
  const auto sma = h.Column("volume_sma_3"), ratio = h.Column("volume_ratio_3");
  EXPECT_TRUE(std::isnan(sma[1]));
  EXPECT_DOUBLE_EQ(sma[2], 200);
  EXPECT_DOUBLE_EQ(sma[3], (200 + 300 + 600) / 3.0);
  EXPECT_DOUBLE_EQ(ratio[2], 1.5);
}

TEST(RegimeClassifier, TrendRangeAndVolatile) {
  std::vector<Bar> bars;
  double c = 100;
  for (int i = 0; i < 60; ++i) bars.push_back({c, c + 0.05, c - 0.05, c});                // range
  for (int i = 0; i < 40; ++i, c += 0.5) bars.push_back({c, c + 0.8, c - 0.3, c + 0.5});  // up
  for (int i = 0; i < 3; ++i) bars.push_back({c, c + 8, c - 8, c});  // violent bars
  Harness h(MakeBars(bars));
  auto w = MakeWorker<ContextWorker>(
      "{plugin: regime_classifier, params: {ema_period: 10, slope_lookback: 5, atr_period: 5, "
      "volatility_lookback: 20, trend_threshold: 1.5, volatile_ratio: 1.8}}",
      WorkerCategory::kContext);
  h.Bind(*w);
  const auto regime = h.Column("regime_10_5");
  EXPECT_TRUE(std::isnan(regime[3]));
  EXPECT_EQ(regime[55], 0);   // flat: range
  EXPECT_EQ(regime[95], 1);   // steady rise of 0.5/bar with ~1 ATR: trend up
  EXPECT_EQ(regime[102], 2);  // ATR far above its average: volatile
}

TEST(PercentRank, MidRankOfTiesAndNewMaximum) {
  std::vector<double> in(10, 1.0);
  in[9] = 5.0;
  in[4] = kNaN;
  std::vector<double> out(in.size());
  structure::RollingPercentRank(in, 5, 3, out);
  EXPECT_TRUE(std::isnan(out[1]));  // fewer than 3 values
  EXPECT_DOUBLE_EQ(out[3], 50.0);   // all equal
  EXPECT_TRUE(std::isnan(out[4]));  // NaN input
  EXPECT_DOUBLE_EQ(out[9], 100.0 * 4.5 / 5.0);
}

TEST(PriorChannel, ExcludesTheCurrentBar) {
  const std::vector<double> high = {1, 5, 2, 3, 9, 1}, low = {0, 4, 1, 2, 8, 0};
  std::vector<double> up(6), lo(6);
  structure::ComputePriorChannel(high, low, 2, up, lo);
  EXPECT_TRUE(std::isnan(up[1]));
  EXPECT_EQ(up[2], 5);  // bars 0..1
  EXPECT_EQ(up[4], 3);  // bars 2..3
  EXPECT_EQ(up[5], 9);
  EXPECT_EQ(lo[5], 2);  // bars 3..4
}

}  // namespace
}  // namespace s1mple::engine::catalog_test
