// The ledger of one strategy link: cash, the one net position, realized pnl, the closed trades
// and the equity curve (docs/METRICS.md, "The equity curve").
//
// The exchange (engine/exchange.h) decides what fills, at what price and for what fee; the
// ledger books it: an entry opens or adds to the position (average price, the plan's stop and
// target), an exit reduces it and records a Trade (net pnl with the entry fee's pro-rata share).
// Mark() marks to market at a bar's close and appends the equity point. Workers read it through
// view() (LedgerView).
//
// Numbers are kept as the raw `.v` of Money/Price/Quantity in the arithmetic, in one fixed order,
// so every run is bit-identical. Not thread-safe: one ledger per run, used by the run's thread
// only (no mutex, so no thread-safety annotations).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/data.h"
#include "engine/result.h"
#include "engine/worker.h"

namespace s1mple::engine {

struct Order;

class Ledger {
 public:
  // Borrows `bars` (for timestamps), which must outlive the ledger.
  Ledger(const BarSeries& bars, Money initial_capital);

  // Space for the equity curve of `bars` traded bars and some trades (the loop must not
  // allocate); starts the day count at the first traded bar.
  void Start(uint32_t first_bar, uint32_t bars);

  const LedgerView& view() const { return view_; }
  const PositionView& position() const { return view_.position; }
  // Execution workers' stop and target changes (through the exchange's Apply).
  PositionView& mutable_position() { return view_.position; }

  // ---- fills (from the exchange) ----
  // Opens or adds to the position at `price` (fee paid from cash). False, and nothing booked,
  // when the order is against the open position.
  bool Enter(const Order& order, double price, double fee, uint32_t bar);
  struct ExitFill {
    OpportunityId opportunity;  // of the position reduced
    bool closed = false;        // the position is now flat
  };
  // Reduces the open position by `size` (<= its size, > 0) at `price` and records the trade
  // (exit_reason `reason`; `partial` counts in PositionView::partial_exits unless it closed).
  ExitFill Exit(double size, double price, double fee, std::string_view reason, bool partial,
                uint32_t bar);

  // ---- marks ----
  // Marks the position at bar t's close, updates peak and day-start equity and the pending-order
  // count, appends the equity point. True when workers should hear on_ledger_update: `fills`
  // (something filled or left the book), the equity changed, or a new UTC day started.
  // Inline: it runs on every bar.
  bool Mark(uint32_t t, bool fills, uint32_t pending_orders) {
    const PositionView& p = view_.position;
    const double equity = view_.cash.v + (p.open ? Sign(p.side) * p.size.v * bars_.close[t] : 0.0);
    bool changed = fills || equity != last_equity_;
    const int64_t day = DayOf(bars_.ts_ms[t]);
    if (day != current_day_) {
      view_.day_start_equity = Money{last_equity_};
      current_day_ = day;
      changed = true;
    }
    view_.equity = Money{equity};
    view_.peak_equity = Money{std::max(view_.peak_equity.v, equity)};
    view_.pending_orders = pending_orders;
    last_equity_ = equity;
    equity_.push_back(EquityPoint{TimestampMs{bars_.ts_ms[t]}, equity});  // reserved
    return changed;
  }
  // The end of the bars from `from` (< end) on which Mark() would not report a change when
  // nothing fills: the position is flat, the equity is what the last mark found, and the UTC day
  // stays the same. `from` when the position is open.
  uint32_t SilentUntil(uint32_t from, uint32_t end) const {
    if (view_.position.open || !(view_.cash.v + 0.0 == last_equity_)) return from;
    return FirstAtOrAfter(from, end, (current_day_ + 1) * kDayMs);
  }
  // Mark() for each of the quiet bars [from, until) at once (engine/worker.h NextActiveBar): no
  // fill and no order on them, and no stop or target to watch. The equity points, the peak, the
  // day-start equity and the day are exactly what Mark() on each bar would leave; what Mark()
  // would return is not (the caller only skips bars on which nobody hears on_ledger_update).
  // `with_range`: also stream the bars' high and low (the fills after the span read them: with
  // slippage); the open always.
  void MarkQuiet(uint32_t from, uint32_t until, bool with_range) {
    if (from >= until) return;
    const PositionView& p = view_.position;
    const double cash = view_.cash.v;
    const double units = p.open ? Sign(p.side) * p.size.v : 0.0;
    const double* close = bars_.close.data();
    const int64_t* ts = bars_.ts_ms.data();
    const size_t base = equity_.size();
    equity_.resize(base + (until - from));  // reserved
    EquityPoint* out = equity_.data() + base;
    double peak = view_.peak_equity.v;
    const uint32_t last = static_cast<uint32_t>(bars_.size() - 1);
    for (uint32_t t = from; t < until; ++t, ++out) {
      // The next active bar's fills read its open (and range), which this loop does not: keep
      // them streaming into the cache a few lines ahead (memory is ~100 ns away, longer than
      // most runs of quiet bars take).
      if ((t & 7) == 0) {
        const uint32_t ahead = std::min(t + 32, last);
        __builtin_prefetch(bars_.open.data() + ahead);
        if (with_range) {
          __builtin_prefetch(bars_.high.data() + ahead);
          __builtin_prefetch(bars_.low.data() + ahead);
        }
      }
      // Mark()'s expression, term for term.
      const double equity = cash + (p.open ? units * close[t] : 0.0);
      peak = std::max(peak, equity);
      *out = EquityPoint{TimestampMs{ts[t]}, equity};
    }
    const int64_t last_day = DayOf(ts[until - 1]);
    if (last_day != current_day_) {
      // The day of the span's last bar began inside it: its start equity is the point before
      // the first bar of that day (timestamps increase strictly).
      const uint32_t j = FirstAtOrAfter(from, until, last_day * kDayMs);
      view_.day_start_equity =
          Money{j == from ? last_equity_ : equity_[base + (j - 1 - from)].equity};
      current_day_ = last_day;
    }
    last_equity_ = equity_.back().equity;
    view_.equity = Money{last_equity_};
    view_.peak_equity = Money{peak};
    view_.pending_orders = 0;
  }
  // After the end-of-data close on the last bar: its equity point becomes the cash.
  void RemarkLast() { equity_.back().equity = view_.cash.v; }

  std::vector<Trade>& trades() { return trades_; }
  std::vector<EquityPoint>& equity() { return equity_; }

 private:
  static constexpr int64_t kDayMs = 86'400'000;
  // The UTC day of a timestamp (floor division).
  static int64_t DayOf(int64_t ts) {
    return ts >= 0 ? ts / kDayMs : -((-ts + kDayMs - 1) / kDayMs);
  }

  // The first bar in [from, end) whose time is >= ms (end if none), searched from `from` on in
  // growing steps: the answer is usually a few bars away, and a binary search over the whole
  // rest of a long series would miss the cache at every step.
  uint32_t FirstAtOrAfter(uint32_t from, uint32_t end, int64_t ms) const {
    const int64_t* ts = bars_.ts_ms.data();
    uint32_t lo = from, step = 1;
    while (lo < end && ts[lo] < ms) {
      const uint32_t hi = end - lo > step ? lo + step : end;
      if (hi == end || ts[hi - 1] >= ms)
        return static_cast<uint32_t>(std::lower_bound(ts + lo, ts + hi, ms) - ts);
      lo = hi;
      step *= 2;
    }
    return lo;
  }

  const BarSeries& bars_;
  LedgerView view_;
  double entry_fees_open_ = 0;  // entry fees of the open position not yet charged to trades
  int64_t entry_ts_ = 0;
  int64_t current_day_ = 0;
  double last_equity_ = 0;
  std::vector<Trade> trades_;
  std::vector<EquityPoint> equity_;
};

}  // namespace s1mple::engine
