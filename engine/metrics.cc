// Metrics of a backtest (definitions: docs/METRICS.md).
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/calendar.h"
#include "engine/result.h"

namespace s1mple::engine {

namespace {

constexpr double kDayMs = 86'400'000.0;
constexpr double kYearMs = 365.25 * kDayMs;

}  // namespace

DailyReturns ComputeDailyReturns(std::span<const EquityPoint> equity) {
  DailyReturns out;
  if (equity.empty()) return out;
  double prev = equity.front().equity;
  // The day of point i as [day_start, next_start): the next point's day is compared by range, so
  // a curve's points cost one division per day, not two per point.
  DayNumber day = DayOfTimestamp(equity.front().ts.v);
  int64_t day_start = DayStartMs(day), next_start = DayStartMs(day + 1);
  const int64_t span_ms = equity.back().ts.v - equity.front().ts.v;
  if (span_ms >= 0) {
    const size_t days = static_cast<size_t>(span_ms / static_cast<int64_t>(kDayMs)) + 2;
    out.days.reserve(std::min(days, equity.size()));
    out.values.reserve(std::min(days, equity.size()));
  }
  for (size_t i = 0; i < equity.size(); ++i) {
    if (i + 1 < equity.size()) {
      const int64_t next_ts = equity[i + 1].ts.v;
      if (next_ts >= day_start && next_ts < next_start) continue;  // not the last of its day
    }
    out.days.push_back(day);
    out.values.push_back(equity[i].equity / prev - 1.0);
    prev = equity[i].equity;
    if (i + 1 < equity.size()) {
      day = DayOfTimestamp(equity[i + 1].ts.v);
      day_start = DayStartMs(day);
      next_start = DayStartMs(day + 1);
    }
  }
  return out;
}

namespace {

// The curve part of the metrics, over any curve type (`at(i)`: equity value i of n), so that
// ComputeMetrics and ComputeCurveMetrics run the very same arithmetic.
template <typename EquityAt>
Metrics CurveMetrics(size_t points, EquityAt at, double years, std::span<const double> r,
                     double periods_per_year) {
  Metrics m;
  if (points == 0) return m;
  const double first = at(0), last = at(points - 1);
  m.total_return = (last / first - 1.0) * 100.0;
  if (years > 0 && first > 0 && last > 0)
    m.cagr = (std::pow(last / first, 1.0 / years) - 1.0) * 100.0;

  double peak = first, mdd = 0;
  for (size_t i = 0; i < points; ++i) {
    const double e = at(i);
    peak = std::max(peak, e);
    // The division only where the fall may be a new maximum (the margin covers the rounding of
    // the multiplication), so the result is exactly max((peak - e) / peak) at a fraction of the
    // cost.
    if (peak > 0 && peak - e > mdd * peak * (1 - 1e-9)) mdd = std::max(mdd, (peak - e) / peak);
  }
  m.max_drawdown = mdd * 100.0;
  if (m.cagr && m.max_drawdown > 0) m.calmar = *m.cagr / m.max_drawdown;

  const size_t n = r.size();
  if (n >= 2) {
    double mean = 0;
    for (double x : r) mean += x;
    mean /= static_cast<double>(n);
    double ss = 0, down = 0;
    for (double x : r) {
      ss += (x - mean) * (x - mean);
      if (x < 0) down += x * x;
    }
    const double sd = std::sqrt(ss / static_cast<double>(n - 1));
    const double dd = std::sqrt(down / static_cast<double>(n));
    const double ann = std::sqrt(periods_per_year);
    if (sd > 0) m.sharpe_ratio = mean / sd * ann;
    if (dd > 0) m.sortino_ratio = mean / dd * ann;
  }
  return m;
}

}  // namespace

Metrics ComputeCurveMetrics(std::span<const double> equity, double years,
                            std::span<const double> daily_returns, double periods_per_year) {
  return CurveMetrics(
      equity.size(), [&](size_t i) { return equity[i]; }, years, daily_returns, periods_per_year);
}

Metrics ComputeMetrics(std::span<const EquityPoint> equity, std::span<const Trade> trades,
                       double periods_per_year) {
  if (equity.empty()) return Metrics{};
  return ComputeMetrics(equity, trades, periods_per_year, ComputeDailyReturns(equity).values);
}

Metrics ComputeMetrics(std::span<const EquityPoint> equity, std::span<const Trade> trades,
                       double periods_per_year, std::span<const double> r) {
  if (equity.empty()) return Metrics{};
  const double years = static_cast<double>(equity.back().ts.v - equity.front().ts.v) / kYearMs;
  Metrics m = CurveMetrics(
      equity.size(), [&](size_t i) { return equity[i].equity; }, years, r, periods_per_year);

  m.total_trades = static_cast<int64_t>(trades.size());
  if (!trades.empty()) {
    int64_t wins = 0;
    double gross_profit = 0, gross_loss = 0, duration_ms = 0;
    for (const auto& t : trades) {
      if (t.pnl.v > 0) {
        ++wins;
        gross_profit += t.pnl.v;
      } else {
        gross_loss -= t.pnl.v;
      }
      duration_ms += static_cast<double>(t.exit_time.v - t.entry_time.v);
    }
    m.win_rate = 100.0 * static_cast<double>(wins) / static_cast<double>(trades.size());
    if (gross_loss > 0) m.profit_factor = gross_profit / gross_loss;
    m.avg_trade_duration = duration_ms / static_cast<double>(trades.size()) / 3'600'000.0;
  }
  return m;
}

}  // namespace s1mple::engine
