// Reading a few top-level fields of a stored backtest result without parsing the rest.
//
// The live best-so-far line and the optimization outputs need only the small blocks of a result
// (metrics, causality): they slice them out with SliceJsonObject and parse just those.
#pragma once

#include <initializer_list>
#include <string_view>

#include <nlohmann/json.hpp>

namespace s1mple::producer {

// An object with those of `keys` that `text` (a JSON object) has at its top level, each parsed.
// Returns a discarded value (is_discarded()) when `text` is not a well-formed JSON object or a
// wanted field does not parse.
nlohmann::json ParseResultFields(std::string_view text,
                                 std::initializer_list<std::string_view> keys);

}  // namespace s1mple::producer
