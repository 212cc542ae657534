// Textbook indicator formulas over whole columns. Pure functions: out[t] depends only on
// in[0..t]; NaN until the indicator has enough bars (warm-up) and wherever an input is NaN it
// restarts. `out` must be as long as the input.
#pragma once

#include <span>

namespace s1mple::engine {

// Exponential moving average, alpha = 2 / (period + 1), seeded with the simple average of the
// first `period` values (so out[period-1] = SMA, NaN before).
void ComputeEma(std::span<const double> in, int period, std::span<double> out);

// Two EMAs of one input in one pass: the same values, bit for bit, as two ComputeEma calls, in
// about the time of one (the two recurrences overlap in the CPU).
void ComputeEma2(std::span<const double> in, int period_a, std::span<double> out_a, int period_b,
                 std::span<double> out_b);

// Simple moving average over `period` values.
void ComputeSma(std::span<const double> in, int period, std::span<double> out);

// Wilder's RSI: average gain / loss seeded with the simple mean of the first `period` changes,
// then smoothed avg = (avg * (period - 1) + x) / period. First value at index `period`.
// RSI = 100 - 100 / (1 + avg_gain / avg_loss); 100 when avg_loss is 0 (50 when both are 0).
void ComputeRsi(std::span<const double> in, int period, std::span<double> out);

// Wilder's ATR: true range TR[0] = high - low, TR[t] = max(high - low, |high - close[t-1]|,
// |low - close[t-1]|); ATR[period-1] = mean(TR[0..period-1]), then Wilder smoothing.
void ComputeAtr(std::span<const double> high, std::span<const double> low,
                std::span<const double> close, int period, std::span<double> out);

}  // namespace s1mple::engine
