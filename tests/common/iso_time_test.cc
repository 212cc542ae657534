// One ISO-8601 formatter for the whole tree.
#include "common/iso_time.h"

#include <gtest/gtest.h>

#include <ctime>

namespace s1mple {
namespace {

TEST(IsoTime, SecondsAndMilliseconds) {
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoTime(1'763'701'803'250), "2025-11-21T05:10:03Z");
  EXPECT_EQ(FormatIsoTime(1'763'701'803'250, IsoPrecision::kMillisWhenSet),
            "2025-11-21T05:10:03.250Z");
  EXPECT_EQ(FormatIsoTime(1'763'701'803'000, IsoPrecision::kMillisWhenSet), "2025-11-21T05:10:03Z");
  EXPECT_EQ(FormatIsoTime(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoTime(951'782'400'000), "2000-02-29T00:00:00Z");  // a leap day
}

// The same text gmtime_r + strftime gave the copies it replaces, over a span of dates.
TEST(IsoTime, AgreesWithGmtime) {
  for (std::int64_t s = 0; s < 4'102'444'800; s += 7'777'777) {
    const std::time_t t = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    EXPECT_EQ(FormatIsoTime(s * 1000 + 999), buf);
  }
}

}  // namespace
}  // namespace s1mple
