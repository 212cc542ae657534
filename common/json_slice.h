// Slicing a JSON object's top-level members out of its text without parsing them.
//
// Stored backtest results carry a small "metrics" and "causality" beside a bulky "equity" curve
// and "trades" list. Readers that need only the small blocks (the live best-so-far line, the
// optimization outputs, the Trade Explorer's run table) slice the members here, skipping the
// others character by character (strings and nesting respected), and parse just the slices they
// want, so the bulk is never converted into numbers and allocated nodes.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace s1mple {

// The members of the JSON object `text` as (key, raw value text) in document order; the key is
// its raw contents between the quotes (escapes not decoded). nullopt when `text` is not one
// well-formed JSON object at the level of this scan (values are only skipped, not validated: a
// caller parses the slices it keeps).
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> SliceJsonObject(
    std::string_view text);
// The same into `out` (cleared first; its capacity is reused): false where the above gives
// nullopt. For readers that slice one object after another.
bool SliceJsonObject(std::string_view text,
                     std::vector<std::pair<std::string_view, std::string_view>>& out);

// The elements of the JSON array `text` as raw value texts, in order; nullopt when `text` is
// not one well-formed JSON array at the level of this scan (elements are skipped, not
// validated, as above).
std::optional<std::vector<std::string_view>> SliceJsonArray(std::string_view text);

// JSON's whitespace (RFC 8259): space, tab, line feed, carriage return.
inline bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The length of the JSON number at the start of `text` (RFC 8259:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), 0 when `text` does not start with one (also
// for "1." or "1e", which are no number). `integer`, when given: the number has neither a
// fraction nor an exponent (a document parser reads it as an integer). For readers that take
// numbers out of slices without a parser, with from_chars on exactly this many characters.
size_t JsonNumberLength(std::string_view text, bool* integer = nullptr);

}  // namespace s1mple
