// The simulated exchange: fill rules, slippage, fees (engine/exchange.h).
#include "engine/exchange.h"

#include <algorithm>
#include <cmath>

namespace s1mple::engine {

Exchange::Exchange(const BarSeries& bars, const Environment& env, Ledger& ledger, EventBus& bus)
    : bars_(bars),
      fees_bps_(env.fees_bps),
      slippage_bps_(env.slippage_bps),
      within_bar_(env.slippage_within_bar),
      ledger_(ledger),
      bus_(bus) {}

void Exchange::SubmitPlan(const TradePlan& plan, uint32_t t) {
  const int slices = std::max(1, plan.slices);
  const int interval = std::max(1, plan.slice_interval_bars);
  for (int k = 0; k < slices; ++k) {
    Order o;
    o.entry = true;
    o.type = plan.entry_type;
    o.side = plan.side;
    o.price = plan.entry_price;
    o.size = Quantity{plan.size.v / slices};
    o.stop_loss = plan.stop_loss;
    o.take_profit = plan.take_profit;
    o.opportunity = plan.opportunity;
    o.active_from = t + 1 + static_cast<uint32_t>(k * interval);
    o.expires_after = plan.expiry_bars > 0 && plan.entry_type != OrderType::kMarket
                          ? o.active_from + static_cast<uint32_t>(plan.expiry_bars) - 1
                          : UINT32_MAX;
    orders_.push_back(o);
  }
}

void Exchange::Apply(const ActionSet& a, uint32_t t) {
  PositionView& p = ledger_.mutable_position();
  if (a.cancel_entries)
    orders_.erase(
        std::remove_if(orders_.begin(), orders_.end(), [](const Order& o) { return o.entry; }),
        orders_.end());
  if (!p.open) return;
  if (a.set_stop) p.stop_loss = a.stop;
  if (a.set_target) p.take_profit = a.target;
  if (a.close_fraction > 0) {
    double queued = 0;
    for (const Order& o : orders_)
      if (!o.entry) queued += o.size.v;
    const double size = std::min(p.size.v - queued, p.size.v * a.close_fraction);
    if (size > 0) {
      Order o;
      o.entry = false;
      o.side = p.side;
      o.size = Quantity{size};
      o.active_from = t + 1;
      o.expires_after = UINT32_MAX;
      o.partial = a.close_fraction < 1.0;
      // The worker's reason (a literal or a string it owns: it outlives the run), else ours.
      o.reason = !a.reason.empty() ? a.reason
                 : o.partial       ? std::string_view("partial_exit")
                                   : std::string_view("close");
      orders_.push_back(o);
    }
  }
}

bool Exchange::entry_pending() const {
  for (const Order& o : orders_)
    if (o.entry) return true;
  return false;
}

// Opens or adds to the position. False when the order is against the open position (dropped:
// the threat gate never plans against it).
bool Exchange::FillEntry(const Order& o, double price, uint32_t t) {
  const double fee = Fee(o.size.v * price);
  if (!ledger_.Enter(o, price, fee, t)) return false;
  bus_.Push(kOnOrderFilled, price, o.opportunity);
  return true;
}

// Reduces the position; `reason` becomes the trade's exit_reason. A complete close records the
// position's opportunity in closed_opportunity_ (its queued entries are cancelled by the caller:
// this may run inside the order loop).
void Exchange::FillExit(double size, double price, std::string_view reason, bool partial,
                        uint32_t t) {
  const PositionView& p = ledger_.position();
  if (!p.open || size <= 0) return;
  size = std::min(size, p.size.v);
  const double fee = Fee(size * price);
  const Ledger::ExitFill fill = ledger_.Exit(size, price, fee, reason, partial, t);
  bus_.Push(kOnOrderFilled, price, fill.opportunity);
  if (fill.closed) {
    bus_.Push(kOnPositionClosed, price, fill.opportunity);
    closed_opportunity_ = fill.opportunity;
  }
}

// Entry orders of other opportunities stay. (While a position is open the threat gate plans no
// other opportunity, so today only the closed one's slices can be queued.)
void Exchange::CancelEntriesOf(OpportunityId opportunity) {
  orders_.erase(
      std::remove_if(orders_.begin(), orders_.end(),
                     [&](const Order& o) { return o.entry && o.opportunity == opportunity; }),
      orders_.end());
}

// 1. The orders due on bar t: exits first (market, at the open), then entries, each in
// submission order. Entries of an opportunity whose position the exits closed are dropped.
// Returns whether a limit or stop entry filled (intrabar).
bool Exchange::FillOrders(uint32_t t, bool& held_at_open) {
  const double open = bars_.open[t];  // the range only for limit and stop entries
  size_t keep = 0;
  for (size_t i = 0; i < orders_.size(); ++i) {
    const Order& o = orders_[i];
    if (o.entry || o.active_from > t) {
      if (keep != i) orders_[keep] = o;
      ++keep;
      continue;
    }
    FillExit(o.size.v, Slip(open, o.side == Side::kShort, t), o.reason, o.partial, t);
  }
  orders_.resize(keep);
  held_at_open = held_at_open && ledger_.position().open;
  bool entered_intrabar = false;
  keep = 0;
  for (size_t i = 0; i < orders_.size(); ++i) {
    const Order& o = orders_[i];
    if (!o.entry || o.active_from > t) {
      if (keep != i) orders_[keep] = o;
      ++keep;
      continue;
    }
    if (o.expires_after < t) continue;                   // expired unfilled
    if (o.opportunity == closed_opportunity_) continue;  // its position closed this bar
    const bool buy = o.side == Side::kLong;
    const double px = o.price ? o.price->v : kNaN;  // NaN: a limit/stop never fills
    double fill = kNaN;
    switch (o.type) {
      case OrderType::kMarket:
        fill = Slip(open, buy, t);
        break;
      case OrderType::kLimit:
        if (buy && bars_.low[t] <= px) fill = std::min(open, px);
        if (!buy && bars_.high[t] >= px) fill = std::max(open, px);
        break;
      case OrderType::kStop:
        if (buy && bars_.high[t] >= px) fill = Slip(std::max(open, px), true, t);
        if (!buy && bars_.low[t] <= px) fill = Slip(std::min(open, px), false, t);
        break;
    }
    if (std::isnan(fill)) {
      if (keep != i) orders_[keep] = o;
      ++keep;
      continue;
    }
    if (FillEntry(o, fill, t) && o.type != OrderType::kMarket) entered_intrabar = true;
  }
  orders_.resize(keep);
  return entered_intrabar;
}

void Exchange::CloseAtEnd(uint32_t last) {
  if (!ledger_.position().open) return;
  FillExit(ledger_.position().size.v, bars_.close[last], "end_of_data", false, last);
  ledger_.RemarkLast();
}

}  // namespace s1mple::engine
