// Indicators against textbook values computed by hand on short series.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/context.h"
#include "engine/data.h"
#include "engine/indicators.h"

namespace s1mple::engine {
namespace {

TEST(Indicators, EmaSeedsWithSmaThenSmooths) {
  std::vector<double> in{10, 11, 12, 11, 10, 12}, out(6);
  ComputeEma(in, 3, out);  // alpha = 0.5
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_DOUBLE_EQ(out[2], 11.0);   // (10 + 11 + 12) / 3
  EXPECT_DOUBLE_EQ(out[3], 11.0);   // 11 + 0.5 * (11 - 11)
  EXPECT_DOUBLE_EQ(out[4], 10.5);   // 11 + 0.5 * (10 - 11)
  EXPECT_DOUBLE_EQ(out[5], 11.25);  // 10.5 + 0.5 * (12 - 10.5)
}

TEST(Indicators, EmaPairIsBitForBitTwoEmas) {
  // A series with a gap (NaN) so both recurrences restart and re-seed.
  std::vector<double> in;
  for (int i = 0; i < 200; ++i) in.push_back(100.0 + std::sin(i * 0.37) * 5.0 + i * 0.01);
  in[90] = std::nan("");
  std::vector<double> a(in.size()), b(in.size()), a2(in.size()), b2(in.size());
  ComputeEma(in, 12, a);
  ComputeEma(in, 26, b);
  ComputeEma2(in, 12, a2, 26, b2);
  for (size_t t = 0; t < in.size(); ++t) {
    if (std::isnan(a[t])) {
      EXPECT_TRUE(std::isnan(a2[t])) << t;
    } else {
      EXPECT_EQ(a[t], a2[t]) << t;
    }
    if (std::isnan(b[t])) {
      EXPECT_TRUE(std::isnan(b2[t])) << t;
    } else {
      EXPECT_EQ(b[t], b2[t]) << t;
    }
  }
  EXPECT_TRUE(std::isnan(a2[101]));  // re-seeding over the 12 bars after the gap (91..102)
  EXPECT_FALSE(std::isnan(a2[102]));

  // Through the frame: one pass for both, and the shared cache still finds each by name.
  BarSeries bars;
  for (size_t t = 0; t < 200; ++t) {
    bars.ts_ms.push_back(static_cast<int64_t>(t) * 60'000);
    const double c = 100.0 + std::sin(static_cast<double>(t) * 0.37) * 5.0;
    bars.open.push_back(c);
    bars.high.push_back(c + 1);
    bars.low.push_back(c - 1);
    bars.close.push_back(c);
    bars.volume.push_back(1);
  }
  ContextFrame frame(bars);
  auto pair = frame.EmaPair(12, 26);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(frame.Find("ema_12"), pair->first);
  EXPECT_EQ(frame.Find("ema_26"), pair->second);
  auto again = frame.Ema(26);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, pair->second);
  std::vector<double> ref(200);
  ComputeEma(bars.close, 26, ref);
  EXPECT_EQ(frame.Column(pair->second)[150], ref[150]);
}

TEST(Indicators, SmaOverWindow) {
  std::vector<double> in{1, 2, 3, 4, 5}, out(5);
  ComputeSma(in, 2, out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_DOUBLE_EQ(out[1], 1.5);
  EXPECT_DOUBLE_EQ(out[4], 4.5);
}

TEST(Indicators, RsiIsWilders) {
  // changes: +1, -1, +2, +1, -2
  std::vector<double> in{44, 45, 44, 46, 47, 45}, out(6);
  ComputeRsi(in, 3, out);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
  EXPECT_NEAR(out[3], 75.0, 1e-12);                 // gain 1, loss 1/3, RS 3
  EXPECT_NEAR(out[4], 100.0 - 100.0 / 5.5, 1e-12);  // gain 1, loss 2/9, RS 4.5
  EXPECT_NEAR(out[5], 45.0, 1e-12);                 // gain 2/3, loss 22/27, RS 9/11
}

TEST(Indicators, RsiOfFlatSeriesIsFifty) {
  std::vector<double> in(10, 5.0), out(10);
  ComputeRsi(in, 3, out);
  EXPECT_DOUBLE_EQ(out[9], 50.0);
}

TEST(Indicators, AtrUsesTrueRangeAndWilderSmoothing) {
  std::vector<double> high{10, 11, 13, 11}, low{8, 9, 10, 9}, close{9, 10, 11.5, 9.5}, out(4);
  ComputeAtr(high, low, close, 2, out);
  // TR: 2, 2, 3, max(2, 0.5, 2.5) = 2.5
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_DOUBLE_EQ(out[1], 2.0);
  EXPECT_DOUBLE_EQ(out[2], 2.5);  // (2 * 1 + 3) / 2
  EXPECT_DOUBLE_EQ(out[3], 2.5);  // (2.5 * 1 + 2.5) / 2
}

// Context columns are causal: computing them on a prefix gives the same values on that prefix.
TEST(Indicators, ColumnsAreCausal) {
  DataSpec spec;
  spec.bars = 600;
  auto full = GenerateSyntheticBars(spec);
  ASSERT_TRUE(full.ok());
  BarSeries prefix;
  for (size_t i = 0; i < 300; ++i)
    prefix.Append((*full)->ts_ms[i], (*full)->open[i], (*full)->high[i], (*full)->low[i],
                  (*full)->close[i], (*full)->volume[i]);
  ContextFrame a(**full), b(prefix);
  ColumnId ca[3] = {*a.Ema(20), *a.Rsi(14), *a.Atr(14)};
  ColumnId cb[3] = {*b.Ema(20), *b.Rsi(14), *b.Atr(14)};
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < 300; ++i) {
      const double x = a.Column(ca[k])[i], y = b.Column(cb[k])[i];
      EXPECT_TRUE((std::isnan(x) && std::isnan(y)) || x == y) << k << " " << i;
    }
}

TEST(ContextFrame, SharedIndicatorColumnIsComputedOnce) {
  BarSeries bars;
  for (int i = 0; i < 10; ++i) bars.Append(i * 1000, 10, 11, 9, 10, 1);
  ContextFrame f(bars);
  auto a = f.Ema(3);
  auto b = f.Ema(3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(f.Name(*a), "ema_3");
  EXPECT_EQ(f.column_count(), kBarColumnCount + 1);
  EXPECT_FALSE(f.AddColumn("ema_3").ok());
}

}  // namespace
}  // namespace s1mple::engine

namespace s1mple::engine {
namespace {

// TA-Lib's ATR, as its documentation defines it: true range from bar 1 on (it needs the previous
// close), the first ATR at bar `period` is the mean of TR[1..period], then Wilder smoothing.
std::vector<double> TaLibAtr(const BarSeries& b, int period) {
  const size_t n = b.size();
  std::vector<double> out(n, std::nan(""));
  double atr = 0;
  for (size_t t = 1; t < n; ++t) {
    const double tr = std::max({b.high[t] - b.low[t], std::fabs(b.high[t] - b.close[t - 1]),
                                std::fabs(b.low[t] - b.close[t - 1])});
    if (t <= static_cast<size_t>(period)) {
      atr += tr;
      if (t == static_cast<size_t>(period)) {
        atr /= period;
        out[t] = atr;
      }
      continue;
    }
    atr = (atr * (period - 1) + tr) / period;
    out[t] = atr;
  }
  return out;
}

// docs/PLUGINS.md (atr): the engine seeds with bar 0's high - low and gives its first value one
// bar earlier than TA-Lib; the seed's weight decays as ((period-1)/period)^t, so on daily data
// the two agree to < 1e-9 (relative) after about 220 bars and stay that way.
TEST(Indicators, AtrConvergesToTaLibsWithinAboutTwoHundredTwentyBars) {
  DataSpec spec;
  spec.seed = 7;
  spec.bars = 2000;
  spec.interval = Interval::k1d;
  auto bars = GenerateSyntheticBars(spec);
  ASSERT_TRUE(bars.ok()) << bars.status().ToString();
  const BarSeries& b = **bars;
  std::vector<double> ours(b.size());
  ComputeAtr(b.high, b.low, b.close, 14, ours);
  const std::vector<double> talib = TaLibAtr(b, 14);
  EXPECT_TRUE(std::isnan(ours[12]));
  EXPECT_FALSE(std::isnan(ours[13]));  // ours: first value at bar period - 1
  EXPECT_TRUE(std::isnan(talib[13]));  // TA-Lib's: at bar period
  size_t agree_from = b.size();
  for (size_t t = b.size(); t-- > 14;) {
    if (std::fabs(ours[t] - talib[t]) > 1e-9 * talib[t]) break;
    agree_from = t;
  }
  EXPECT_GT(agree_from, 150u) << "the seeds differ, so the early values do";
  EXPECT_LE(agree_from, 260u) << "agree to 1e-9 from bar " << agree_from;
  std::printf("ATR(14) agrees with TA-Lib's to 1e-9 from bar %zu on\n", agree_from);
}

}  // namespace
}  // namespace s1mple::engine
