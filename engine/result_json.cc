// The JSON form of a BacktestResult (shape: docs/METRICS.md) and equity downsampling.
#include <algorithm>

#include "engine/data.h"
#include "engine/result.h"

namespace s1mple::engine {

namespace {
nlohmann::json Opt(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json Num(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json MetricsToJson(const Metrics& m) {
  return nlohmann::json{
      {"sharpe_ratio", Opt(m.sharpe_ratio)}, {"sortino_ratio", Opt(m.sortino_ratio)},
      {"total_return", Num(m.total_return)}, {"cagr", Opt(m.cagr)},
      {"max_drawdown", Num(m.max_drawdown)}, {"calmar", Opt(m.calmar)},
      {"win_rate", Opt(m.win_rate)},         {"profit_factor", Opt(m.profit_factor)},
      {"total_trades", m.total_trades},      {"avg_trade_duration", Opt(m.avg_trade_duration)}};
}

nlohmann::json CausalityToJson(const Causality& c) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : c.top_rejection_reasons) {
    nlohmann::json x{{"reason", r.reason}, {"count", r.count}};
    if (r.by_threat) x["threat_type"] = r.reason;  // only where a threat blocked the entries
    reasons.push_back(std::move(x));
  }
  return nlohmann::json{{"opportunities_detected", c.opportunities_detected},
                        {"opportunities_rejected", c.opportunities_rejected},
                        {"threats_detected", c.threats_detected},
                        {"top_rejection_reasons", std::move(reasons)}};
}

std::vector<size_t> DownsampleEquity(std::span<const EquityPoint> equity, size_t max_points) {
  const size_t n = equity.size();
  std::vector<size_t> idx;
  if (max_points == 0 || n <= max_points) {
    idx.resize(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    return idx;
  }
  // The peak and trough of the maximum drawdown.
  size_t peak = 0, best_peak = 0, trough = 0;
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    if (equity[i].equity > equity[peak].equity) peak = i;
    const double dd = equity[peak].equity > 0
                          ? (equity[peak].equity - equity[i].equity) / equity[peak].equity
                          : 0;
    if (dd > worst) {
      worst = dd;
      best_peak = peak;
      trough = i;
    }
  }
  const size_t forced[] = {0, n - 1, trough, best_peak};
  if (max_points < 4) {
    idx.assign(forced, forced + max_points);
  } else {
    idx.assign(forced, forced + 4);
    const size_t m = max_points - 4;  // evenly spaced interior points
    for (size_t k = 1; k <= m; ++k) idx.push_back(k * (n - 1) / (m + 1));
  }
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

nlohmann::json ToJson(const BacktestResult& r, const JsonOptions& options) {
  nlohmann::json j;
  j["name"] = r.name;
  j["metrics"] = MetricsToJson(r.metrics);
  j["causality"] = CausalityToJson(r.causality);
  nlohmann::json eq = nlohmann::json::array();
  for (size_t i : DownsampleEquity(r.equity, options.max_equity_points))
    eq.push_back(nlohmann::json::array({r.equity[i].ts.v, Num(r.equity[i].equity)}));
  j["equity"] = std::move(eq);
  if (options.include_trades) {
    nlohmann::json trades = nlohmann::json::array();
    const size_t kept =
        options.max_trades == 0 ? r.trades.size() : std::min(options.max_trades, r.trades.size());
    for (size_t i = 0; i < kept; ++i) {
      const Trade& t = r.trades[i];
      trades.push_back({{"entry_time", FormatIsoTimestamp(t.entry_time)},
                        {"exit_time", FormatIsoTimestamp(t.exit_time)},
                        {"entry_price", t.entry_price.v},
                        {"exit_price", t.exit_price.v},
                        {"side", SideName(t.side)},
                        {"size", t.size.v},
                        {"pnl", Num(t.pnl.v)},
                        {"fees", t.fees.v},
                        {"opportunity_id", t.opportunity.v},
                        {"exit_reason", t.exit_reason}});
    }
    j["trades"] = std::move(trades);
    if (kept < r.trades.size()) j["trades_total"] = r.trades.size();
  }
  if (options.include_opportunities) {
    nlohmann::json opps = nlohmann::json::array();
    for (const auto& o : r.opportunities) {
      nlohmann::json x{{"id", o.id.v},
                       {"bar", o.bar},
                       {"side", SideName(o.side)},
                       {"signal_type", o.signal_type},
                       {"accepted", o.accepted}};
      if (!o.accepted) x["reject_reason"] = o.reject_reason;
      if (o.threat.v) x["threat_id"] = o.threat.v;
      opps.push_back(std::move(x));
    }
    j["opportunities"] = std::move(opps);
  }
  j["bars"] = r.bars;
  j["period"] = {{"start", FormatIsoTimestamp(r.period_start)},
                 {"end", FormatIsoTimestamp(r.period_end)}};
  j["warnings"] = r.warnings;
  return j;
}

}  // namespace s1mple::engine
