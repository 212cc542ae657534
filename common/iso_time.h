// The project's ISO-8601 time formatter (UTC, "Z"): sweep and report timestamps, the explorer's
// JSON, progress lines. Pure arithmetic on the proleptic Gregorian calendar (no gmtime, no time
// zone, no locale), so it is thread-safe and gives the same text on every machine.
#pragma once

#include <cstdint>
#include <string>

namespace s1mple {

enum class IsoPrecision : std::uint8_t {
  kSeconds,        // "2026-11-21T05:10:03Z" (milliseconds dropped, rounding toward the past)
  kMillisWhenSet,  // "2026-11-21T05:10:03.250Z", or as kSeconds when the milliseconds are 0
};

// `unix_ms`: milliseconds since 1970-01-01T00:00:00Z (negative: before it).
std::string FormatIsoTime(std::int64_t unix_ms, IsoPrecision precision = IsoPrecision::kSeconds);

// Wall-clock now, in milliseconds since the epoch.
std::int64_t WallClockMs();

}  // namespace s1mple
