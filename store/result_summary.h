// The summary of a stored result: what the Trade Explorer's runs table reads of it
// (docs/STORE.md, "Result summaries").
//
// A backtest result is a JSON object whose small members ("metrics", "causality", "bars",
// "period", ...) sit beside bulky ones (the equity and buy-and-hold curves, the trades, the
// daily returns). The summary is the same object without the bulky members (of the document and
// of a "result" object it wraps), the kept members' texts copied verbatim: parsing the summary
// gives exactly what parsing the whole result and dropping those members gives. JobStore keeps
// it beside the result, written in the result's WriteBatch, so a table of 100,000 runs is read
// from about a tenth of the bytes. Pure functions: no RocksDB here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s1mple::store {

// The members a summary leaves out: "equity", "buy_and_hold", "trades", "opportunities",
// "returns".
bool IsBulkResultMember(std::string_view key);

// The summary of a result: `{"key":value,...}` with the members that are not bulk, in order;
// a member "result" that is an object is summarized the same way (one level). nullopt when the
// result is not a JSON object's text (msgpack, an array, malformed) or a key holds an escape:
// such results have no summary and readers decode them whole.
std::optional<std::string> SummarizeResult(std::string_view result);

}  // namespace s1mple::store
