// Decoding for the Trade Explorer: the one place that knows how the store's opaque blobs and a
// sweep's plan text are read.
//
// - A job's overrides blob and result blob are JSON documents, stored either as JSON text or as
//   msgpack (DecodeBlob accepts both; msgpack is what the runner sends over the wire).
// - A result document is the engine's ToJson(BacktestResult): {"metrics", "causality",
//   "equity": [[ts_ms, v], ...], "trades", "bars", "period"}; a wrapper {"result": {...}} is
//   unwrapped.
// - A run's varied parameters are its overrides document flattened to dotted paths
//   (FlattenOverrides), shortened for display (ParamColumnName).
// - What the explorer knows of the plan comes from the plan summary (explorer/plan_summary.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace s1mple::explorer {

// Parses a blob that is JSON text (first non-blank byte '{' or '[') or msgpack. An empty blob
// is an empty object. Corruption names `what` (e.g. "job sw-1/7 result").
[[nodiscard]] Result<nlohmann::json> DecodeBlob(std::string_view bytes, std::string_view what);

// The same for a result blob when only its summary is needed (the runs table): drops the
// large "equity", "trades" and "opportunities" members (of the document or of its "result")
// while parsing, which makes a runs page several times cheaper.
[[nodiscard]] Result<nlohmann::json> DecodeResultSummary(std::string_view bytes,
                                                         std::string_view what);

// The engine result inside a decoded result document (unwraps {"result": {...}}); Corruption
// when it has no "metrics" object.
[[nodiscard]] Result<nlohmann::json> EngineResult(const nlohmann::json& doc, std::string_view what);

// Flattens an overrides document to (column, value) pairs (object keys in sorted order, list
// entries in list order; an empty document gives no pair). Objects add
// ".key"; a worker list entry {"plugin": P, ...} adds ".P" (so list and map forms of the same
// override give the same column); other array elements add "[i]". Leaves are scalars; an
// empty object or array is a leaf "{}" / "[]". Columns are shortened with ParamColumnName.
std::vector<std::pair<std::string, nlohmann::json>> FlattenOverrides(const nlohmann::json& doc);

// Display name of a dotted override path: drops "params" segments and the "<category>_workers"
// prefix, and writes "operator_overrides" as "operator". E.g.
//   opportunity_workers.fvg_entry_detector.params.min_gap_size -> fvg_entry_detector.min_gap_size
//   planning_workers.exit_planning.atr_based_stops.params.atr_multiplier
//       -> exit_planning.atr_based_stops.atr_multiplier
//   operator_overrides.PlanningOperator.execution_strategy
//       -> operator.PlanningOperator.execution_strategy
std::string ParamColumnName(std::string_view dotted_path);

// The drawdown curve of an equity curve [[ts_ms, v], ...]: [[ts_ms, dd], ...] with
// dd = v / running_max - 1 (0 at a new high, -0.25 for 25% below the peak).
nlohmann::json DrawdownCurve(const nlohmann::json& equity);

// The shell command that reproduces job `index` of `sweep_id` on its own (DESIGN.md decision 3).
std::string ReproduceCommand(std::string_view sweep_id, uint64_t index);

}  // namespace s1mple::explorer
