// Reading a few top-level fields of a stored backtest result without parsing the rest.
//
// The live best-so-far line and the optimization outputs need only the small blocks of a result
// (metrics, causality): they slice them out with SliceJsonObject and parse just those.
#pragma once

#include <initializer_list>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/result.h"

namespace s1mple::producer {

// An object with those of `keys` that `text` (a JSON object) has at its top level, each parsed.
// Returns a discarded value (is_discarded()) when `text` is not a well-formed JSON object or a
// wanted field does not parse.
nlohmann::json ParseResultFields(std::string_view text,
                                 std::initializer_list<std::string_view> keys);

// The same, but the "returns" member (the daily return series, thousands of numbers) is read into
// `returns` without a document (engine::DailyReturnsFromJsonText) instead of into the object:
// nullopt when the result has none or they are not a readable series. A returns text that is not
// JSON still makes the whole value discarded, as above.
nlohmann::json ParseResultFields(std::string_view text,
                                 std::initializer_list<std::string_view> keys,
                                 std::optional<engine::DailyReturns>& returns);

// The run's daily returns for an analysis: `parsed` when the reader has them already (the
// overload above), else the result document's "returns" parsed into `holder`; nullptr when it has
// none or they are not a readable series.
const engine::DailyReturns* ReturnsOf(const nlohmann::json& result,
                                      const engine::DailyReturns* parsed,
                                      std::optional<engine::DailyReturns>& holder);

}  // namespace s1mple::producer
