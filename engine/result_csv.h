// The CSV forms of a BacktestResult, next to its JSON (engine/result.h, ToJson): what
// `s1mple run --out DIR` writes per strategy link. Columns: docs/METRICS.md.
//   equity.csv   timestamp,equity                         one row per bar
//   trades.csv   entry_time,exit_time,entry_price,exit_price,side,size,pnl,fees,opportunity_id,
//                exit_reason                              one row per closed trade
//   context.csv  timestamp,<every context column>         one row per bar; warm-up NaN: empty
// Numbers are the shortest text that reads back to the same double (std::to_chars), times
// ISO-8601 UTC (FormatIsoTimestamp), so the files are bit-identical wherever a job runs.
#pragma once

#include <string>

#include "engine/result.h"

namespace s1mple::engine {

std::string EquityCsv(const BacktestResult& result);
std::string TradesCsv(const BacktestResult& result);
std::string ContextCsv(const BacktestResult& result);

}  // namespace s1mple::engine
