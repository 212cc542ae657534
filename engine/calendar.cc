// UTC calendar days (engine/calendar.h). Civil-date conversions after Howard Hinnant's
// "chrono-Compatible Low-Level Date Algorithms".
#include "engine/calendar.h"

#include <cmath>
#include <cstdio>

namespace s1mple::engine {

namespace {
constexpr int64_t kDayMs = 86'400'000;
}

DayNumber DayOfTimestamp(int64_t ts) {
  return ts >= 0 ? ts / kDayMs : -((-ts + kDayMs - 1) / kDayMs);
}

int64_t DayStartMs(DayNumber day) {
  return day * kDayMs;
}

DayNumber DayFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDay(DayNumber z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int Weekday(DayNumber day) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  const int64_t w = (day + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

std::string FormatIsoDate(DayNumber day) {
  int64_t y;
  unsigned m, d;
  CivilFromDay(day, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::optional<DayNumber> ParseIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, m, d;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const DayNumber day = DayFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  int64_t yy;
  unsigned mm, dd;
  CivilFromDay(day, yy, mm, dd);
  if (yy != y || static_cast<int>(mm) != m || static_cast<int>(dd) != d) return std::nullopt;
  return day;
}

DayNumber AddMonths(DayNumber day, int64_t months) {
  int64_t y;
  unsigned m, d;
  CivilFromDay(day, y, m, d);
  int64_t total = y * 12 + (m - 1) + months;
  const int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
  const unsigned nm = static_cast<unsigned>(total - ny * 12) + 1;
  // The last day of the new month: the day before the first of the month after.
  const DayNumber next_first = nm == 12 ? DayFromCivil(ny + 1, 1, 1) : DayFromCivil(ny, nm + 1, 1);
  const DayNumber last = next_first - 1;
  const DayNumber wanted = DayFromCivil(ny, nm, 1) + (d - 1);
  return wanted < last ? wanted : last;
}

std::optional<std::string> CalendarMismatch(std::span<const DayNumber> days,
                                            double periods_per_year) {
  if (days.empty()) return std::nullopt;
  const DayNumber first = days.front(), last = days.back();
  if (last - first + 1 < 14) return std::nullopt;
  int64_t weekend_in_span = 0;
  for (DayNumber d = first; d <= last; ++d) weekend_in_span += Weekday(d) >= 5;
  int64_t weekend_traded = 0;
  for (DayNumber d : days) weekend_traded += Weekday(d) >= 5;
  char buf[512];
  if (periods_per_year > 300 && weekend_traded == 0) {
    std::snprintf(buf, sizeof buf,
                  "periods_per_year is %g but the data has no bars on Saturdays or Sundays (a "
                  "weekday calendar, about 252 trading days a year): Sharpe and Sortino are "
                  "%.2fx too high; set environment.periods_per_year: 252",
                  periods_per_year, std::sqrt(periods_per_year / 252.0));
    return std::string(buf);
  }
  if (periods_per_year < 300 &&
      static_cast<double>(weekend_traded) >= 0.9 * static_cast<double>(weekend_in_span)) {
    std::snprintf(buf, sizeof buf,
                  "periods_per_year is %g but the data has bars on every day of the week "
                  "(about 365 trading days a year): Sharpe and Sortino are %.2fx what they are "
                  "on that calendar; set environment.periods_per_year: 365",
                  periods_per_year, std::sqrt(periods_per_year / 365.0));
    return std::string(buf);
  }
  return std::nullopt;
}

}  // namespace s1mple::engine
