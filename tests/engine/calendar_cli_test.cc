// The calendar trap through `s1mple run --data`: a stock CSV under an operation that says
// periods_per_year: 365 warns on stderr and in result.json's warnings (docs/METRICS.md).
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/calendar.h"
#include "engine/data.h"
#include "tests/engine/engine_test_util.h"
#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;

TEST(CliRunCalendar, StockBarsUnderA365DayOperationWarnInResultJson) {
  const fs::path dir =
      fs::temp_directory_path() / ("s1mple-calendar-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "stock.csv");
    csv << "timestamp,open,high,low,close,volume\n";
    const engine::DayNumber monday = engine::DayFromCivil(2023, 1, 2);
    double p = 100;
    int i = 0;
    for (int d = 0; d < 7 * 60; ++d) {  // 60 weeks of weekday sessions, 7 hourly bars each
      if (engine::Weekday(monday + d) >= 5) continue;
      for (int h = 14; h <= 20; ++h, ++i) {
        const double next = p * (1 + 0.003 * ((i / 17) % 2 ? -1 : 1));
        csv << engine::FormatIsoTimestamp(
                   engine::TimestampMs{engine::DayStartMs(monday + d) + h * 3'600'000})
            << "," << p << "," << std::max(p, next) + 0.05 << "," << std::min(p, next) - 0.05 << ","
            << next << ",1000\n";
        p = next;
      }
    }
  }
  // ema_cross.yaml keeps periods_per_year: 365 (made for synthetic data that trades every day).
  auto r = RunS1mple({"run", "config/operations/ema_cross.yaml", "--data",
                      (dir / "stock.csv").string(), "--out", (dir / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("s1mple: warning: ema_cross: periods_per_year is 365 but the data has no "
                       "bars on Saturdays or Sundays"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("1.20x too high"), std::string::npos) << r.err;
  const auto result =
      nlohmann::json::parse(engine::testing::ReadText((dir / "out" / "result.json").string()));
  bool found = false;
  for (const auto& w : result["warnings"])
    found = found || w.get<std::string>().find("Saturdays or Sundays") != std::string::npos;
  EXPECT_TRUE(found) << result["warnings"].dump();
  EXPECT_TRUE(result.contains("returns"));
  EXPECT_EQ(result["returns"]["first_date"], "2023-01-02");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::testing
