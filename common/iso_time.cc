#include "common/iso_time.h"

#include <chrono>
#include <cstdio>

namespace s1mple {
namespace {

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> year, month, day.
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

}  // namespace

std::string FormatIsoTime(std::int64_t ms, IsoPrecision precision) {
  constexpr std::int64_t kDay = 86'400'000;
  const std::int64_t days = ms >= 0 ? ms / kDay : -((-ms + kDay - 1) / kDay);
  const std::int64_t rem = ms - days * kDay;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  const int h = static_cast<int>(rem / 3'600'000);
  const int mi = static_cast<int>(rem / 60'000 % 60);
  const int s = static_cast<int>(rem / 1000 % 60);
  const int milli = static_cast<int>(rem % 1000);
  char buf[48];
  if (precision == IsoPrecision::kMillisWhenSet && milli != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<long long>(y), m, d, h, mi, s, milli);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                  d, h, mi, s);
  }
  return buf;
}

std::int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace s1mple
