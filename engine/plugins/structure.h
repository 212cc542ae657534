// Shared market-structure and volume columns for the plugin catalog: swing highs and lows, breaks
// of structure, order blocks, liquidity levels, volume averages and rolling percentile ranks.
//
// Each Ensure* function works like ContextFrame::Ema: it finds the columns by name in the frame,
// or computes and adds them the first time they are asked for, so a `market_structure` context
// worker and an fvg detector, exit planner or trailing stop using the same swing lookback share
// one set of columns whatever order their Bind/Compute calls run in. Every column is causal:
// its value at bar t depends only on bars 0..t (a swing point is known only once `lookback` bars
// have followed it). Values are NaN where nothing is known yet.
//
// Pure Compute* functions over spans are exposed for tests on hand-made bars.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"
#include "engine/context.h"

namespace s1mple::engine::structure {

// Options of the market-structure analysis. Defaults are the `market_structure` manifest's.
struct StructureOptions {
  int swing_lookback = 5;     // bars on each side of a swing point (a fractal of 2*lookback+1 bars)
  int liquidity_swings = 10;  // unswept swing highs (lows) kept as liquidity above (below)
  double liquidity_tolerance_bps = 5.0;  // swings this close (bps) form one liquidity cluster
  int order_block_search = 10;  // bars searched back from a break for the order-block candle

  // Column-name suffix: "<lookback>" with default liquidity/order-block options, else
  // "<lookback>_<swings>_<tolerance>_<search>".
  std::string Key() const;
};

// Pointers into the frame's columns (valid for the frame's lifetime). Codes:
//   bos:       +1 on the bar whose close breaks above the last unbroken swing high, -1 below the
//              last unbroken swing low, 0 otherwise (each swing level is broken at most once);
//   trend:     the direction of the latest break (+1 / -1), 0 before the first one;
//   swing_high/swing_low: the latest confirmed swing high / low price;
//   ob_bull_low/high: the latest bullish order block (the last down-close candle in the
//              `order_block_search` bars before a bullish break), until a close below its low;
//   ob_bear_low/high: the same for bearish breaks (last up-close candle; void on a close above);
//   liq_above: the nearest cluster of unswept swing highs above the bar's high (the cluster's
//              highest level: where buy stops rest); liq_below: the same below the low.
struct StructureColumns {
  const double* swing_high = nullptr;
  const double* swing_low = nullptr;
  const double* bos = nullptr;
  const double* trend = nullptr;
  const double* ob_bull_low = nullptr;
  const double* ob_bull_high = nullptr;
  const double* ob_bear_low = nullptr;
  const double* ob_bear_high = nullptr;
  const double* liq_above = nullptr;
  const double* liq_below = nullptr;
};

// The column names, in StructureColumns order, for `key` (StructureOptions::Key()).
inline constexpr int kStructureColumnCount = 10;
std::string StructureColumnName(int index, const std::string& key);

// Finds or computes the structure columns of `options` in `frame`.
[[nodiscard]] Result<StructureColumns> EnsureStructure(ContextFrame& frame,
                                                       const StructureOptions& options);

// Output spans of ComputeStructure, each as long as the bars.
struct StructureOut {
  std::span<double> swing_high, swing_low, bos, trend, ob_bull_low, ob_bull_high, ob_bear_low,
      ob_bear_high, liq_above, liq_below;
};
void ComputeStructure(std::span<const double> open, std::span<const double> high,
                      std::span<const double> low, std::span<const double> close,
                      const StructureOptions& options, const StructureOut& out);

// "volume_sma_<period>": simple moving average of the volume column.
[[nodiscard]] Result<ColumnId> EnsureVolumeSma(ContextFrame& frame, int period);

// "<prefix>_hh_<period>" / "<prefix>_ll_<period>": highest high / lowest low of the `period` bars
// BEFORE bar t (bars t-period .. t-1; NaN for t < period) — a Donchian channel without bar t.
struct Channel {
  const double* upper = nullptr;
  const double* lower = nullptr;
};
[[nodiscard]] Result<Channel> EnsurePriorChannel(ContextFrame& frame, int period);
void ComputePriorChannel(std::span<const double> high, std::span<const double> low, int period,
                         std::span<double> upper, std::span<double> lower);

// Rolling percentile rank in percent (mid-rank): out[t] = 100 * (B + E/2) / N over the valid
// values among the last `window` bars (t included): B of them below in[t], E equal to it (in[t]
// itself included), N in all. A constant series ranks 50; a new unique maximum of a full window of
// 500 ranks 99.9. NaN inputs
// are skipped; out[t] is NaN while fewer than `min_count` valid values are in the window or when
// in[t] is NaN. O(n log n) (a Fenwick tree over the ranks of the values).
void RollingPercentRank(std::span<const double> in, int window, int min_count,
                        std::span<double> out);

// The bar interval of a series in ms: the smallest positive step among its first 256 bars
// (0 for fewer than two bars).
int64_t BarIntervalMs(const BarSeries& bars);

}  // namespace s1mple::engine::structure
