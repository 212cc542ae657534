// UTC calendar days: civil dates, the weekday, month arithmetic, and the check of an
// environment's periods_per_year against the calendar of the days that were traded
// (docs/METRICS.md, "The calendar"). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace s1mple::engine {

// A UTC calendar day: days since 1970-01-01 (negative before).
using DayNumber = int64_t;

DayNumber DayOfTimestamp(int64_t ts_ms);  // the UTC day a timestamp falls on
int64_t DayStartMs(DayNumber day);        // 00:00:00Z of that day, in ms
DayNumber DayFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDay(DayNumber day, int64_t& year, unsigned& month, unsigned& day_of_month);
int Weekday(DayNumber day);                // 0 = Monday ... 6 = Sunday
std::string FormatIsoDate(DayNumber day);  // "2020-01-31"
// "2020-01-31" (exactly that form) -> its day; nullopt otherwise (also for 2021-02-30).
std::optional<DayNumber> ParseIsoDate(std::string_view text);
// `day` plus `months` calendar months; a day past the new month's end becomes its last day
// (2020-01-31 + 1 month = 2020-02-29).
DayNumber AddMonths(DayNumber day, int64_t months);

// The check of periods_per_year against the calendar of `days` (the UTC days with a traded
// bar, ascending): a warning when the days span at least 14 calendar days and
//  - periods_per_year > 300 (e.g. 365) while no day is a Saturday or Sunday: a weekday
//    calendar (stocks, about 252 days a year), Sharpe and Sortino too high by
//    sqrt(periods_per_year / 252);
//  - periods_per_year < 300 (e.g. 252) while at least 90 % of the weekend days in the span
//    have bars: data that trades every day, Sharpe and Sortino too low by
//    sqrt(periods_per_year / 365).
// nullopt when the calendar and periods_per_year agree (or the span is too short to tell).
std::optional<std::string> CalendarMismatch(std::span<const DayNumber> days,
                                            double periods_per_year);

}  // namespace s1mple::engine
