#include "engine/result_csv.h"

#include <charconv>
#include <cmath>

#include "engine/data.h"

namespace s1mple::engine {
namespace {

std::string Num(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::string("nan");
}

}  // namespace

std::string EquityCsv(const BacktestResult& r) {
  std::string out = "timestamp,equity\n";
  out.reserve(r.equity.size() * 40);
  for (const auto& p : r.equity) {
    out += FormatIsoTimestamp(p.ts);
    out += ',';
    out += Num(p.equity);
    out += '\n';
  }
  return out;
}

std::string TradesCsv(const BacktestResult& r) {
  std::string out =
      "entry_time,exit_time,entry_price,exit_price,side,size,pnl,fees,opportunity_id,exit_reason\n";
  for (const auto& t : r.trades) {
    out += FormatIsoTimestamp(t.entry_time) + ',' + FormatIsoTimestamp(t.exit_time) + ',' +
           Num(t.entry_price.v) + ',' + Num(t.exit_price.v) + ',' + std::string(SideName(t.side)) +
           ',' + Num(t.size.v) + ',' + Num(t.pnl.v) + ',' + Num(t.fees.v) + ',' +
           std::to_string(t.opportunity.v) + ',' + t.exit_reason + '\n';
  }
  return out;
}

std::string ContextCsv(const BacktestResult& r) {
  std::string out = "timestamp";
  for (const auto& n : r.context_names) out += ',' + n;
  out += '\n';
  for (size_t i = 0; i < r.equity.size(); ++i) {
    out += FormatIsoTimestamp(r.equity[i].ts);
    for (const auto& col : r.context_columns) {
      out += ',';
      if (std::isfinite(col[i])) out += Num(col[i]);  // warm-up NaN: empty field
    }
    out += '\n';
  }
  return out;
}

}  // namespace s1mple::engine
