// The JSON form of a BacktestResult (shape: docs/METRICS.md) and equity downsampling.
#include <algorithm>
#include <charconv>

#include "common/json_slice.h"
#include "engine/calendar.h"
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
// v rounded to kReturnDigits significant digits (std::to_chars: exact and the same everywhere),
// so the JSON prints it in at most that many digits.
double RoundReturn(double v) {
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, kReturnDigits);
  if (ec != std::errc()) return v;
  double out = v;
  std::from_chars(buf, end, out);
  return out;
}
}  // namespace

std::vector<double> BuyAndHoldEquity(std::span<const double> closes, double initial_capital) {
  std::vector<double> out(closes.size(), initial_capital);
  if (closes.empty() || !(closes[0] > 0) || !std::isfinite(closes[0])) return out;
  // One division per bar, in the same order everywhere: bit-identical on every machine.
  const double units = initial_capital / closes[0];
  for (size_t i = 0; i < closes.size(); ++i) out[i] = units * closes[i];
  return out;
}

nlohmann::json DailyReturnsToJson(const DailyReturns& r) {
  nlohmann::json values = nlohmann::json::array();
  nlohmann::json gaps = nlohmann::json::array();
  for (size_t i = 0; i < r.values.size(); ++i) {
    values.push_back(Num(RoundReturn(r.values[i])));
    if (i > 0 && r.days[i] - r.days[i - 1] != 1)
      gaps.push_back(nlohmann::json::array({i, r.days[i] - r.days[i - 1]}));
  }
  return nlohmann::json{
      {"first_date",
       r.days.empty() ? nlohmann::json(nullptr) : nlohmann::json(FormatIsoDate(r.days.front()))},
      {"values", std::move(values)},
      {"gaps", std::move(gaps)}};
}

Result<DailyReturns> DailyReturnsFromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("returns." + what); };
  if (!j.is_object()) return bad("is not an object");
  DailyReturns out;
  const auto values = j.find("values");
  if (values == j.end() || !values->is_array()) return bad("values is not an array");
  if (values->empty()) return out;
  const auto first = j.find("first_date");
  if (first == j.end() || !first->is_string()) return bad("first_date is not a date");
  const auto day0 = ParseIsoDate(first->get<std::string>());
  if (!day0) return bad("first_date '" + first->get<std::string>() + "' is not YYYY-MM-DD");
  out.values.reserve(values->size());
  for (size_t i = 0; i < values->size(); ++i) {
    const auto& v = (*values)[i];
    // null: a return that was not finite (an equity of 0); read as NaN.
    if (!v.is_number() && !v.is_null())
      return bad("values[" + std::to_string(i) + "] is not a number");
    out.values.push_back(v.is_number() ? v.get<double>() : std::nan(""));
  }
  std::vector<int64_t> step(values->size(), 1);
  if (const auto gaps = j.find("gaps"); gaps != j.end()) {
    if (!gaps->is_array()) return bad("gaps is not an array");
    for (size_t k = 0; k < gaps->size(); ++k) {
      const auto& g = (*gaps)[k];
      if (!g.is_array() || g.size() != 2 || !g[0].is_number_unsigned() ||
          !g[1].is_number_integer() || g[0].get<uint64_t>() == 0 ||
          g[0].get<uint64_t>() >= values->size() || g[1].get<int64_t>() < 1)
        return bad("gaps[" + std::to_string(k) + "] is not [index, days]");
      step[g[0].get<size_t>()] = g[1].get<int64_t>();
    }
  }
  out.days.resize(values->size());
  out.days[0] = *day0;
  for (size_t i = 1; i < out.days.size(); ++i) out.days[i] = out.days[i - 1] + step[i];
  return out;
}

namespace {

// One element of a returns array: a number read with from_chars, or null (NaN). False when it is
// neither, or not a value the document reader gives the same double for.
bool ReadReturnValue(std::string_view text, double& value) {
  if (text == "null") {
    value = std::nan("");
    return true;
  }
  bool integer = false;
  if (text.empty() || JsonNumberLength(text, &integer) != text.size()) return false;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(value))
    return false;
  // nlohmann reads "-0" as the integer 0 (+0.0), from_chars as -0.0.
  return !(integer && value == 0 && text.front() == '-');
}

}  // namespace

Result<DailyReturns> DailyReturnsFromJsonText(std::string_view text) {
  // Whatever the fast path does not read plainly is the document parser's to judge, so both
  // agree on every input (and the errors are DailyReturnsFromJson's).
  auto parsed = [&]() -> Result<DailyReturns> {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return Status::InvalidArgument("returns is not JSON");
    return DailyReturnsFromJson(j);
  };
  std::vector<std::pair<std::string_view, std::string_view>> members;
  if (!SliceJsonObject(text, members)) return parsed();
  std::string_view first, values, gaps;
  for (const auto& [key, value] : members) {
    std::string_view* slot = key == "first_date" ? &first
                             : key == "values"   ? &values
                             : key == "gaps"     ? &gaps
                                                 : nullptr;
    if (key.find('\\') != std::string_view::npos) return parsed();  // an escaped key
    if (slot == nullptr) continue;
    if (!slot->empty()) return parsed();  // a duplicate: the document's last one wins
    *slot = value;
  }
  DailyReturns out;
  const auto elements = values.empty() ? std::nullopt : SliceJsonArray(values);
  if (!elements) return parsed();
  out.values.resize(elements->size());
  for (size_t i = 0; i < elements->size(); ++i)
    if (!ReadReturnValue((*elements)[i], out.values[i])) return parsed();
  if (out.values.empty()) return out;
  // "YYYY-MM-DD" without escapes.
  if (first.size() < 2 || first.front() != '"' || first.back() != '"' ||
      first.find('\\') != std::string_view::npos)
    return parsed();
  const auto day0 = ParseIsoDate(first.substr(1, first.size() - 2));
  if (!day0) return parsed();
  std::vector<int64_t> step(out.values.size(), 1);
  if (!gaps.empty()) {
    const auto list = SliceJsonArray(gaps);
    if (!list) return parsed();
    for (std::string_view g : *list) {
      const auto pair = SliceJsonArray(g);
      if (!pair || pair->size() != 2) return parsed();
      uint64_t index = 0;
      int64_t days = 0;
      const std::string_view a = (*pair)[0], b = (*pair)[1];  // sliced without whitespace
      const auto ra = std::from_chars(a.data(), a.data() + a.size(), index);
      const auto rb = std::from_chars(b.data(), b.data() + b.size(), days);
      if (ra.ec != std::errc() || ra.ptr != a.data() + a.size() || rb.ec != std::errc() ||
          rb.ptr != b.data() + b.size() || (a.size() > 1 && a[0] == '0') || index == 0 ||
          index >= out.values.size() || days < 1)
        return parsed();
      step[index] = days;
    }
  }
  out.days.resize(out.values.size());
  out.days[0] = *day0;
  for (size_t i = 1; i < out.days.size(); ++i) out.days[i] = out.days[i - 1] + step[i];
  return out;
}

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
  nlohmann::json bh = nlohmann::json::array();
  const bool with_bh = options.include_buy_and_hold && r.buy_and_hold.size() == r.equity.size();
  for (size_t i : DownsampleEquity(r.equity, options.max_equity_points)) {
    eq.push_back(nlohmann::json::array({r.equity[i].ts.v, Num(r.equity[i].equity)}));
    if (with_bh) bh.push_back(Num(RoundReturn(r.buy_and_hold[i])));
  }
  j["equity"] = std::move(eq);
  if (with_bh) j["buy_and_hold"] = std::move(bh);
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
  if (options.include_returns) j["returns"] = DailyReturnsToJson(r.daily_returns);
  j["warnings"] = r.warnings;
  return j;
}

}  // namespace s1mple::engine
