// The simulated exchange of one strategy link (nautilus_trader's SimulatedExchange): the book of
// pending orders, the fill rules on OHLC bars, slippage and fees. The ledger (engine/ledger.h)
// books what fills. Rules: docs/CONFIGURATION.md, "The bar loop", step 1:
//
//   - orders due on bar t fill first the exits (market, at the open, slippage against you), then
//     the entries, each in submission order: market at the open (+ slippage); limit when the bar
//     trades through the price, at the better of the open and the limit (no slippage); stop when
//     the bar trades through the price, at the worse of the open and the stop (+ slippage). An
//     entry against the open position is dropped; an expired one is dropped unfilled;
//   - then the open position's stop and target. A position held through the open whose bar
//     opens beyond a level fills that level's resting order at the open: a gap through the
//     target takes profit at the open (a limit, no slippage: better than the target), a gap
//     through the stop stops out at the open (+ slippage). Otherwise intrabar: both touched, the
//     stop fills first; the target is a limit at its price. On a bar where a limit or stop entry
//     filled only the stop is checked;
//   - slippage never pushes a fill outside the bar's [low, high] unless the environment says
//     slippage_within_bar: false;
//   - a position that closes completely cancels the still-queued entries of its opportunity;
//   - fees (fees_bps of the notional) on every fill; events on_order_filled (value: the fill
//     price) and on_position_closed go on the bus.
//
// Unit-testable on bars alone: give it a BarSeries, an Environment (fees, slippage), a Ledger
// and an EventBus, Submit orders and call Process bar by bar (tests/engine/exchange_test.cc).
// Not thread-safe: one exchange per run, used by the run's thread only (no mutex, so no
// thread-safety annotations).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/config.h"
#include "engine/data.h"
#include "engine/event_bus.h"
#include "engine/ledger.h"
#include "engine/worker.h"

namespace s1mple::engine {

// A pending order. Entries open or add to the position and carry the plan's stop and target;
// exits reduce it at the next open.
struct Order {
  bool entry = true;
  OrderType type = OrderType::kMarket;
  Side side = Side::kLong;     // the position side it opens (entry) or closes (exit)
  std::optional<Price> price;  // limit / stop price (a limit or stop without one never fills)
  Quantity size;
  std::optional<Price> stop_loss;    // entries: set on the position when it fills
  std::optional<Price> take_profit;  // entries: set on the position when it fills
  OpportunityId opportunity;
  uint32_t active_from = 0;             // first bar it may fill on
  uint32_t expires_after = UINT32_MAX;  // last bar it may fill on (UINT32_MAX: never)
  std::string_view reason;              // exits: the trade's exit_reason (outlives the run)
  bool partial = false;  // exits: a partial close (counts in PositionView::partial_exits)
};

// What execution workers asked for on the open position (one worker's actions, or an operator
// step's merged ones: engine/operators.h).
struct ActionSet {
  bool set_stop = false, set_target = false, cancel_entries = false;
  std::optional<Price> stop, target;  // with set_*: the new level; nullopt removes it
  double close_fraction = 0;          // 0 .. 1 of the current size
  std::string_view reason;            // the worker's reason for the close ("" = none given)
};

class Exchange {
 public:
  // Borrows everything, which must outlive the exchange.
  Exchange(const BarSeries& bars, const Environment& env, Ledger& ledger, EventBus& bus);

  // ---- the book ----
  void Submit(const Order& order) { orders_.push_back(order); }
  // The entry orders of an accepted plan, placed on bar t: `slices` equal orders, the first due
  // on bar t+1, slice_interval_bars apart; limit/stop entries expire after expiry_bars.
  void SubmitPlan(const TradePlan& plan, uint32_t t);
  // Execution actions decided on bar t: cancels, stop/target changes (from the next bar), a
  // close as an exit order due on bar t+1 (reason: the worker's, else close / partial_exit).
  void Apply(const ActionSet& actions, uint32_t t);
  bool entry_pending() const;
  uint32_t pending() const { return static_cast<uint32_t>(orders_.size()); }
  const std::vector<Order>& orders() const { return orders_; }
  void Reserve(size_t n) { orders_.reserve(n); }

  // ---- per bar ----
  // Fills what is due on bar t (the rules above). True when anything changed: a trade closed or
  // an order left the book (filled, expired or cancelled).
  bool Process(uint32_t t) {
    if (orders_.empty() && !ledger_.position().open) return false;  // most bars of a waiting run
    return ProcessBook(t);
  }
  // Closes what is still open at bar `last`'s close (fee, no slippage; exit reason end_of_data).
  void CloseAtEnd(uint32_t last);

  double Fee(double notional) const { return notional * fees_bps_ / 10000.0; }
  // `price` moved slippage_bps against the side that trades; with slippage_within_bar (the
  // default) kept inside bar t's [low, high].
  // Whether a market fill reads its bar's high and low (Slip below: with slippage kept inside
  // the bar); limit and stop entries always do.
  bool FillsReadRange() const { return slippage_bps_ != 0 && within_bar_; }
  double Slip(double price, bool buying, uint32_t t) const {
    if (slippage_bps_ == 0) return price;  // what the formula gives, without reading the bar
    const double s = slippage_bps_ / 10000.0;
    const double slipped = buying ? price * (1 + s) : price * (1 - s);
    if (!within_bar_) return slipped;
    return buying ? std::min(slipped, std::max(price, bars_.high[t]))
                  : std::max(slipped, std::min(price, bars_.low[t]));
  }

 private:
  bool ProcessBook(uint32_t t);
  bool FillOrders(uint32_t t, bool& held_at_open);
  void FillStopAndTarget(uint32_t t, bool entered_intrabar, bool held_at_open);
  bool FillEntry(const Order& o, double price, uint32_t t);
  void FillExit(double size, double price, std::string_view reason, bool partial, uint32_t t);
  void CancelEntriesOf(OpportunityId opportunity);

  const BarSeries& bars_;
  const double fees_bps_, slippage_bps_;
  const bool within_bar_;
  Ledger& ledger_;
  EventBus& bus_;
  std::vector<Order> orders_;
  // The opportunity whose position closed completely in this Process (0: none): its still-queued
  // entries are cancelled.
  OpportunityId closed_opportunity_;
};

// The per-bar path is inline (it runs on every bar while a position is open or orders wait).
inline bool Exchange::ProcessBook(uint32_t t) {
  const uint32_t trades_before = ledger_.view().closed_trades;
  const size_t orders_before = orders_.size();
  // Held through the open: open before this bar and still open after the exits at the open.
  bool held_at_open = ledger_.position().open;
  const bool entered_intrabar = !orders_.empty() && FillOrders(t, held_at_open);
  if (ledger_.position().open) FillStopAndTarget(t, entered_intrabar, held_at_open);
  if (closed_opportunity_.v != 0) {
    CancelEntriesOf(closed_opportunity_);
    closed_opportunity_ = OpportunityId{};
  }
  return ledger_.view().closed_trades != trades_before || orders_.size() != orders_before;
}

// The open position's stop and target. First the open: a position held through it whose bar
// opens beyond a level fills that level's resting order at the open (the stop's first should a
// moved stop and the target both lie beyond it). Then intrabar; both touched: the stop (adverse)
// first. On a bar where a limit or stop entry filled intrabar only the stop is checked: whether
// the target's price came after the entry's is unknown.
inline void Exchange::FillStopAndTarget(uint32_t t, bool entered_intrabar, bool held_at_open) {
  const PositionView& p = ledger_.position();
  if (!p.stop_loss && !p.take_profit) return;
  const double open = bars_.open[t], high = bars_.high[t], low = bars_.low[t];
  const bool is_long = p.side == Side::kLong;
  if (held_at_open) {
    if (p.stop_loss && (is_long ? open <= p.stop_loss->v : open >= p.stop_loss->v)) {
      FillExit(p.size.v, Slip(open, !is_long, t), "stop_loss", false, t);
      return;
    }
    if (p.take_profit && (is_long ? open >= p.take_profit->v : open <= p.take_profit->v)) {
      FillExit(p.size.v, open, "take_profit", false, t);
      return;
    }
  }
  const bool stop_hit = p.stop_loss && (is_long ? low <= p.stop_loss->v : high >= p.stop_loss->v);
  const bool target_hit = !entered_intrabar && p.take_profit &&
                          (is_long ? high >= p.take_profit->v : low <= p.take_profit->v);
  if (stop_hit) {
    const double stop = p.stop_loss->v;
    const double px = is_long ? std::min(open, stop) : std::max(open, stop);
    FillExit(p.size.v, Slip(px, !is_long, t), "stop_loss", false, t);
  } else if (target_hit) {
    const double target = p.take_profit->v;
    const double px = is_long ? std::max(open, target) : std::min(open, target);
    FillExit(p.size.v, px, "take_profit", false, t);
  }
}

}  // namespace s1mple::engine
