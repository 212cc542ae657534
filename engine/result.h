// The outcome of one backtest: metrics, causality, equity curve, trades; and its JSON form.
// Definitions of every number: docs/METRICS.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/rejection.h"
#include "engine/types.h"

namespace s1mple::engine {

// One closed trade (a partial exit is a trade of its own, with the same opportunity id).
struct Trade {
  TimestampMs entry_time;
  TimestampMs exit_time;
  Price entry_price;  // average fill, after slippage
  Price exit_price;   // after slippage
  Side side = Side::kLong;
  Quantity size;
  Money pnl;  // net of the fees of both fills (entry fee pro rata for partial exits)
  Money fees;
  OpportunityId opportunity;
  // "stop_loss", "take_profit", "end_of_data", or an execution worker's close reason (e.g.
  // "emergency_exit"; "close" / "partial_exit" when it gave none).
  std::string exit_reason;
  uint32_t entry_bar = 0;
  uint32_t exit_bar = 0;
};

// Undefined values (Sharpe with zero variance, profit factor without losses, ...) are nullopt;
// JSON writes them as null. See docs/METRICS.md.
struct Metrics {
  std::optional<double> sharpe_ratio;
  std::optional<double> sortino_ratio;
  double total_return = 0;     // %
  std::optional<double> cagr;  // %
  double max_drawdown = 0;     // %, positive
  std::optional<double> calmar;
  std::optional<double> win_rate;  // %
  std::optional<double> profit_factor;
  int64_t total_trades = 0;
  std::optional<double> avg_trade_duration;  // hours
};

// One reason of `top_rejection_reasons` (docs/METRICS.md, "Causality").
struct RejectionCount {
  std::string reason;  // RejectionReason::Name(): a threat type, or e.g. "POSITION_OPEN"
  int64_t count = 0;
  bool by_threat = false;  // a threat blocked the entries (JSON: also "threat_type")
};

struct Causality {
  int64_t opportunities_detected = 0;
  int64_t opportunities_rejected = 0;
  int64_t threats_detected = 0;
  std::vector<RejectionCount> top_rejection_reasons;  // by count desc, then name
};

// What happened to one opportunity.
struct OpportunityRecord {
  OpportunityId id;
  uint32_t bar = 0;
  Side side = Side::kLong;
  std::string signal_type;
  bool accepted = false;                             // became an order
  RejectionCode reject_code = RejectionCode::kNone;  // why not (kNone when accepted)
  std::string reject_reason;  // RejectionReason::Name(): a threat type or planning reason
  ThreatId threat;            // the threat that rejected it, if one did
};

// What RunOptions::time_workers measured of one worker (wall-clock, steady clock): not part of
// the result's JSON, and not deterministic.
struct WorkerTiming {
  WorkerCategory category = WorkerCategory::kContext;
  std::string yaml_path;  // e.g. "opportunity_workers[0]"
  std::string plugin;
  uint64_t calls = 0;             // per-bar entry calls (Detect, Assess, Plan, HandleEvent, Manage)
  int64_t nanoseconds = 0;        // time in those calls
  int64_t setup_nanoseconds = 0;  // time in Bind and Compute
};

struct EquityPoint {
  TimestampMs ts;
  double equity = 0;
};

// The daily return series of docs/METRICS.md ("Daily returns"): values[i] is the simple return
// of the UTC day days[i] (days ascending, one per day with a traded bar). Sharpe and Sortino
// are computed from it; a sweep keeps it with every result (DESIGN decision 11).
struct DailyReturns {
  std::vector<int64_t> days;  // UTC days since 1970-01-01 (engine/calendar.h)
  std::vector<double> values;
  size_t size() const { return values.size(); }
};

// The daily returns of an equity curve: the first equity value, then the last value of every
// UTC calendar day; r_i = d_i / d_(i-1) - 1, dated by the day of d_i.
DailyReturns ComputeDailyReturns(std::span<const EquityPoint> equity);

struct BacktestResult {
  std::string name;  // the strategy link's name
  Metrics metrics;
  Causality causality;
  std::vector<EquityPoint> equity;  // one per traded bar, marked at the close
  // Buy-and-hold of the same data (BuyAndHoldEquity): buy_and_hold[i] is its equity at the close
  // of the bar of equity[i] (same length as `equity`; empty only when the run had no bars).
  std::vector<double> buy_and_hold;
  DailyReturns daily_returns;  // of `equity` (ComputeDailyReturns)
  std::vector<Trade> trades;
  std::vector<OpportunityRecord> opportunities;
  int64_t bars = 0;          // bars traded (inside the period)
  TimestampMs period_start;  // first and last traded bar
  TimestampMs period_end;
  std::vector<std::string> warnings;  // e.g. "only 500 bars (fewer than 1000)"
  // Filled when RunOptions::capture_context: every column of the frame over the traded bars.
  std::vector<std::string> context_names;
  std::vector<std::vector<double>> context_columns;
  // Filled when RunOptions::time_workers: every worker in blueprint order (not in ToJson).
  std::vector<WorkerTiming> worker_timings;
};

// The buy-and-hold benchmark of a run (docs/METRICS.md, "Buy and hold"): the initial capital
// bought at the first traded bar's close, held to the end, no fees, no slippage:
// equity_i = initial_capital * closes[i] / closes[0] over the traded bars' closes. Empty when
// `closes` is; when closes[0] is not a positive finite price, every value is initial_capital
// (nothing could be bought).
std::vector<double> BuyAndHoldEquity(std::span<const double> closes, double initial_capital);

// Computes metrics from an equity curve and closed trades (what RunBacktest uses; exposed for
// tests on hand-computed curves). `equity` must be non-empty.
Metrics ComputeMetrics(std::span<const EquityPoint> equity, std::span<const Trade> trades,
                       double periods_per_year);
// The same with the curve's daily returns already computed (ComputeDailyReturns(equity).values).
Metrics ComputeMetrics(std::span<const EquityPoint> equity, std::span<const Trade> trades,
                       double periods_per_year, std::span<const double> daily_returns);

// The metrics of a curve without trades (docs/METRICS.md): total_return, cagr, max_drawdown and
// calmar from the equity values `equity` (in time order; empty: all zero / null) that span
// `years`, sharpe_ratio and sortino_ratio from `daily_returns`. ComputeMetrics is exactly this
// (years from the first and last timestamp, the returns from ComputeDailyReturns) plus the trade
// metrics; exposed for series no single run produced, e.g. a CPCV split's train groups joined in
// time order (producer/fold_analysis.h).
Metrics ComputeCurveMetrics(std::span<const double> equity, double years,
                            std::span<const double> daily_returns, double periods_per_year);

struct JsonOptions {
  // 0 = every point. Otherwise at most this many points: the first, the last, the peak and
  // trough of the maximum drawdown, and evenly spaced points in between.
  size_t max_equity_points = 0;
  bool include_trades = true;
  // 0 = every trade. Otherwise the first max_trades trades (in exit order) and, when some were
  // left out, "trades_total": the number of closed trades (metrics.total_trades counts them too).
  size_t max_trades = 0;
  bool include_opportunities = false;  // "opportunities": [{id, bar, side, ...}]
  // "buy_and_hold": the buy-and-hold equity at the same points as "equity" (the same
  // DownsampleEquity indices), each value rounded to kReturnDigits significant digits.
  bool include_buy_and_hold = true;
  // "returns": the daily return series (docs/METRICS.md, "returns"), each value rounded to
  // kReturnDigits significant digits.
  bool include_returns = true;
};

// Significant digits kept of each daily return in the JSON (relative error below 5e-10; a
// Sharpe ratio computed from them agrees with metrics.sharpe_ratio to about 1e-9).
inline constexpr int kReturnDigits = 10;

// {"name", "metrics": {...}, "causality": {...}, "equity": [[ts_ms, equity], ...],
//  "buy_and_hold": [equity, ...] (one per "equity" point, at its time),
//  "trades": [{entry_time, exit_time, entry_price, exit_price, side, size, pnl, fees,
//  opportunity_id, exit_reason}], ["trades_total": N,] "bars": N, "period": {"start": ISO,
//  "end": ISO}, "returns": {"first_date", "values", "gaps"}, "warnings": [...]}. Times in trades
//  are ISO-8601 strings. Shape: docs/METRICS.md.
nlohmann::json ToJson(const BacktestResult& result, const JsonOptions& options = {});
nlohmann::json MetricsToJson(const Metrics& metrics);
nlohmann::json CausalityToJson(const Causality& causality);
// {"first_date": "2020-01-02", "values": [r_0, r_1, ...], "gaps": [[i, days], ...]}: values[i]
// is dated `days` calendar days after values[i-1] where [i, days] is listed, else the day after
// it. Empty series: {"first_date": null, "values": [], "gaps": []}.
nlohmann::json DailyReturnsToJson(const DailyReturns& returns);
// The inverse (what readers of stored results use); InvalidArgument naming the member at fault.
[[nodiscard]] Result<DailyReturns> DailyReturnsFromJson(const nlohmann::json& returns);
// The same from the member's JSON text, without building a document (what the sweep outputs
// read for every run): the same series and the same errors as parsing the text and calling
// DailyReturnsFromJson.
[[nodiscard]] Result<DailyReturns> DailyReturnsFromJsonText(std::string_view returns);

// Indices of the equity points ToJson keeps for `max_points` (sorted, unique).
std::vector<size_t> DownsampleEquity(std::span<const EquityPoint> equity, size_t max_points);

}  // namespace s1mple::engine
