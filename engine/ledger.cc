// The ledger: booking fills, trades, marks (engine/ledger.h).
#include "engine/ledger.h"

#include <algorithm>

#include "engine/exchange.h"

namespace s1mple::engine {

Ledger::Ledger(const BarSeries& bars, Money initial_capital) : bars_(bars) {
  view_.cash = initial_capital;
  view_.equity = view_.peak_equity = view_.day_start_equity = initial_capital;
  last_equity_ = initial_capital.v;
}

void Ledger::Start(uint32_t first_bar, uint32_t bars) {
  equity_.reserve(bars);
  trades_.reserve(256);
  current_day_ = DayOf(bars_.ts_ms[first_bar]);
}

bool Ledger::Enter(const Order& o, double price, double fee, uint32_t t) {
  PositionView& p = view_.position;
  if (p.open && p.side != o.side) return false;
  if (!p.open) {
    p = PositionView{};
    p.open = true;
    p.side = o.side;
    p.entry_price = Price{price};
    p.size = o.size;
    p.opportunity = o.opportunity;
    p.entry_bar = t;
    entry_ts_ = bars_.ts_ms[t];
    entry_fees_open_ = 0;
  } else {
    p.entry_price = Price{(p.entry_price.v * p.size.v + price * o.size.v) / (p.size.v + o.size.v)};
    p.size.v += o.size.v;
  }
  p.initial_size = p.size;
  if (o.stop_loss) p.stop_loss = o.stop_loss;
  if (o.take_profit) p.take_profit = o.take_profit;
  entry_fees_open_ += fee;
  view_.cash.v -= Sign(o.side) * o.size.v * price + fee;
  return true;
}

Ledger::ExitFill Ledger::Exit(double size, double price, double fee, std::string_view reason,
                              bool partial, uint32_t t) {
  PositionView& p = view_.position;
  const double entry_fee_share = entry_fees_open_ * (size / p.size.v);
  entry_fees_open_ -= entry_fee_share;
  view_.cash.v += Sign(p.side) * size * price - fee;
  const double pnl = Sign(p.side) * (price - p.entry_price.v) * size - fee - entry_fee_share;
  view_.realized_pnl.v += pnl;
  Trade tr;
  tr.entry_time = TimestampMs{entry_ts_};
  tr.exit_time = TimestampMs{bars_.ts_ms[t]};
  tr.entry_price = p.entry_price;
  tr.exit_price = Price{price};
  tr.side = p.side;
  tr.size = Quantity{size};
  tr.pnl = Money{pnl};
  tr.fees = Money{fee + entry_fee_share};
  tr.opportunity = p.opportunity;
  tr.exit_reason = std::string(reason);
  tr.entry_bar = p.entry_bar;
  tr.exit_bar = t;
  trades_.push_back(std::move(tr));
  ++view_.closed_trades;
  p.size.v -= size;
  ExitFill fill{p.opportunity, false};
  if (p.size.v <= p.initial_size.v * 1e-12) {
    fill.closed = true;
    p = PositionView{};
    entry_fees_open_ = 0;
  } else if (partial) {
    ++p.partial_exits;
  }
  return fill;
}

}  // namespace s1mple::engine
