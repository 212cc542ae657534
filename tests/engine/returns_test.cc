// The daily return series every result carries (docs/METRICS.md, "returns"), the calendar check
// of periods_per_year, and a job's period override (the window of a validation fold).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "engine/calendar.h"
#include "engine/job.h"
#include "engine/result.h"
#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

using nlohmann::json;

constexpr int64_t kDay = 86'400'000, kHour = 3'600'000;
const DayNumber kMon = DayFromCivil(2024, 1, 1);  // a Monday

TEST(Calendar, CivilDatesWeekdaysAndMonths) {
  EXPECT_EQ(FormatIsoDate(0), "1970-01-01");
  EXPECT_EQ(Weekday(0), 3);  // a Thursday
  EXPECT_EQ(Weekday(kMon), 0);
  EXPECT_EQ(FormatIsoDate(kMon), "2024-01-01");
  EXPECT_EQ(ParseIsoDate("2024-01-01"), kMon);
  EXPECT_FALSE(ParseIsoDate("2021-02-30"));
  EXPECT_FALSE(ParseIsoDate("2021-02-3"));
  EXPECT_EQ(FormatIsoDate(AddMonths(*ParseIsoDate("2020-01-31"), 1)), "2020-02-29");
  EXPECT_EQ(FormatIsoDate(AddMonths(*ParseIsoDate("2020-11-15"), 3)), "2021-02-15");
  EXPECT_EQ(FormatIsoDate(AddMonths(*ParseIsoDate("2020-03-31"), -1)), "2020-02-29");
  EXPECT_EQ(FormatIsoDate(AddMonths(*ParseIsoDate("2020-01-01"), 24)), "2022-01-01");
  EXPECT_EQ(DayOfTimestamp(-1), -1);
}

// Closes of one bar per day on the days given (offsets from kMon), equity = close.
std::vector<EquityPoint> DailyCurve(const std::vector<int>& offsets, double start = 100) {
  std::vector<EquityPoint> eq;
  double e = start;
  for (size_t i = 0; i < offsets.size(); ++i) {
    eq.push_back({TimestampMs{DayStartMs(kMon + offsets[i]) + 20 * kHour}, e});
    e *= (i % 3 == 0) ? 1.01 : 0.995;
  }
  return eq;
}

TEST(DailyReturns, OneReturnPerTradedDayDatedByItsClose) {
  // Monday..Friday, then the next Monday: the weekend is a gap.
  const auto eq = DailyCurve({0, 1, 2, 3, 4, 7});
  DailyReturns r = ComputeDailyReturns(eq);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r.days.front(), kMon);
  EXPECT_EQ(r.days.back(), kMon + 7);
  EXPECT_EQ(r.values[0], 0.0);  // the first close against the first equity value (the same bar)
  EXPECT_NEAR(r.values[1], 0.01, 1e-15);
  const json j = DailyReturnsToJson(r);
  EXPECT_EQ(j["first_date"], "2024-01-01");
  EXPECT_EQ(j["gaps"], json::parse("[[5, 3]]"));
  auto back = DailyReturnsFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->days, r.days);
  for (size_t i = 0; i < r.size(); ++i) EXPECT_NEAR(back->values[i], r.values[i], 1e-12);
}

TEST(DailyReturns, StoredValuesKeepTenSignificantDigitsAndTheSharpe) {
  // 400 days of hourly bars with an irregular equity path.
  std::vector<EquityPoint> eq;
  double e = 10000;
  uint64_t x = 12345;
  for (int h = 0; h < 400 * 24; ++h) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    e *= 1 + (static_cast<double>(x >> 11) / 9007199254740992.0 - 0.49) * 0.004;
    eq.push_back({TimestampMs{DayStartMs(kMon) + h * kHour}, e});
  }
  const Metrics m = ComputeMetrics(eq, {}, 365);
  const DailyReturns r = ComputeDailyReturns(eq);
  const json j = DailyReturnsToJson(r);
  EXPECT_EQ(j["values"].size(), 400u);
  EXPECT_TRUE(j["gaps"].empty());
  double mean = 0, ss = 0;
  const auto& v = j["values"];
  for (size_t i = 0; i < v.size(); ++i) {
    const double stored = v[i].get<double>();
    EXPECT_NEAR(stored, r.values[i], 5e-10 * std::fabs(r.values[i]) + 1e-300);
    // at most 10 significant digits when printed
    std::string text = v[i].dump();
    size_t digits = 0;
    bool leading = true;
    for (char c : text.substr(0, text.find('e'))) {
      if (c < '0' || c > '9') continue;
      if (c != '0') leading = false;
      if (!leading) ++digits;
    }
    EXPECT_LE(digits, 10u) << text;
    mean += stored;
  }
  mean /= static_cast<double>(v.size());
  for (size_t i = 0; i < v.size(); ++i) ss += std::pow(v[i].get<double>() - mean, 2);
  const double sharpe = mean / std::sqrt(ss / static_cast<double>(v.size() - 1)) * std::sqrt(365);
  ASSERT_TRUE(m.sharpe_ratio);
  EXPECT_NEAR(sharpe, *m.sharpe_ratio, 1e-8 * std::fabs(*m.sharpe_ratio));
}

TEST(DailyReturns, MalformedJsonNamesTheMember) {
  auto bad = DailyReturnsFromJson(json::parse(R"({"first_date": "2024-13-01", "values": [1]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("returns.first_date"), std::string::npos);
  bad = DailyReturnsFromJson(json::parse(R"({"first_date": "2024-01-01", "values": [1, 2],
                                             "gaps": [[2, 3]]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("returns.gaps[0]"), std::string::npos);
  auto empty = DailyReturnsFromJson(DailyReturnsToJson(DailyReturns{}));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

std::vector<DayNumber> Days(int weeks, bool weekends) {
  std::vector<DayNumber> d;
  for (int i = 0; i < weeks * 7; ++i)
    if (weekends || Weekday(kMon + i) < 5) d.push_back(kMon + i);
  return d;
}

TEST(Calendar, PeriodsPerYearAgainstTheTradedDays) {
  auto w = CalendarMismatch(Days(8, false), 365);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("no bars on Saturdays or Sundays"), std::string::npos) << *w;
  EXPECT_NE(w->find("1.20x too high"), std::string::npos) << *w;
  EXPECT_NE(w->find("periods_per_year: 252"), std::string::npos) << *w;
  w = CalendarMismatch(Days(8, true), 252);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("every day of the week"), std::string::npos) << *w;
  EXPECT_NE(w->find("0.83x"), std::string::npos) << *w;
  EXPECT_NE(w->find("periods_per_year: 365"), std::string::npos) << *w;
  EXPECT_FALSE(CalendarMismatch(Days(8, false), 252));
  EXPECT_FALSE(CalendarMismatch(Days(8, true), 365));
  EXPECT_FALSE(CalendarMismatch(Days(1, false), 365));  // under two weeks: cannot tell
  // Six days a week (futures): neither calendar is claimed.
  std::vector<DayNumber> six;
  for (DayNumber d : Days(8, true))
    if (Weekday(d) != 6) six.push_back(d);
  EXPECT_FALSE(CalendarMismatch(six, 252));
  EXPECT_FALSE(CalendarMismatch(six, 365));
}

// Hourly bars 09:00-16:00 UTC on weekdays only (a stock calendar), `weeks` weeks from kMon.
std::string StockCsv(int weeks) {
  std::ostringstream csv;
  csv << "timestamp,open,high,low,close,volume\n";
  double p = 100;
  int i = 0;
  for (int d = 0; d < weeks * 7; ++d) {
    if (Weekday(kMon + d) >= 5) continue;
    for (int h = 9; h <= 16; ++h, ++i) {
      const double next = p * (1 + 0.004 * ((i / 13) % 2 ? -1 : 1));
      csv << FormatIsoTimestamp(TimestampMs{DayStartMs(kMon + d) + h * kHour}) << "," << p << ","
          << std::max(p, next) + 0.1 << "," << std::min(p, next) - 0.1 << "," << next << ",10\n";
      p = next;
    }
  }
  return csv.str();
}

struct Base {
  std::string operation = testing::ReadText("config/operations/ema_cross.yaml");
  std::string blueprint = testing::ReadText("config/strategies/ema_cross.yaml");
  std::string operators = testing::ReadText("config/operators.yaml");
  JobSpec Spec(const json* overrides = nullptr) const {
    JobSpec s;
    s.origin = "job t/1";
    s.operation_yaml = operation;
    s.blueprint_yaml = blueprint;
    s.operators_yaml = operators;
    s.overrides = overrides;
    return s;
  }
};

TEST(Calendar, A365DayOperationOnStockBarsWarnsInTheResult) {
  Base base;  // ema_cross.yaml says periods_per_year: 365
  base.operation =
      "strategy_links:\n  - environment:\n      data: {source: csv, path: x.csv}\n"
      "      periods_per_year: 365\n";
  const std::string csv = StockCsv(30);
  JobSpec spec = base.Spec();
  spec.csv = &csv;
  spec.csv_key = "k";
  JobRunner jobs;
  JobResult r = jobs.Run(spec);
  ASSERT_TRUE(r.ok()) << r.status.ToString();
  const std::string warnings = r.result["warnings"].dump();
  EXPECT_NE(warnings.find("no bars on Saturdays or Sundays"), std::string::npos) << warnings;
  // The same bars with 252: no calendar warning.
  base.operation =
      "strategy_links:\n  - environment:\n      data: {source: csv, path: x.csv}\n"
      "      periods_per_year: 252\n";
  JobSpec right = base.Spec();
  right.csv = &csv;
  right.csv_key = "k";
  r = jobs.Run(right);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.result["warnings"].dump().find("Saturdays"), std::string::npos);
}

TEST(PeriodOverride, TheJobTradesOnlyInsideItsWindow) {
  Base base;  // 20,000 hourly bars from 2020-01-01
  JobRunner jobs;
  const json window =
      json::parse(R"({"period": {"start": "2020-06-01", "end": "2020-09-30T23:00:00Z"}})");
  JobResult r = jobs.Run(base.Spec(&window));
  ASSERT_TRUE(r.ok()) << r.status.ToString();
  EXPECT_EQ(r.result["period"]["start"], "2020-06-01T00:00:00Z");
  EXPECT_EQ(r.result["period"]["end"], "2020-09-30T23:00:00Z");
  EXPECT_EQ(r.result["bars"], 122 * 24);
  EXPECT_EQ(r.result["returns"]["first_date"], "2020-06-01");
  EXPECT_EQ(r.result["returns"]["values"].size(), 122u);
  for (const auto& t : r.result["trades"]) {
    EXPECT_GE(t["entry_time"].get<std::string>(), "2020-06-01");
    EXPECT_LE(t["exit_time"].get<std::string>(), "2020-09-30T23:00:00Z");
  }
  // Other overrides still apply beside the period.
  json both = window;
  both["opportunity_workers"] =
      json::parse(R"({"trend_follower": {"params": {"fast_period": 6, "slow_period": 40}}})");
  JobResult varied = jobs.Run(base.Spec(&both));
  ASSERT_TRUE(varied.ok()) << varied.status.ToString();
  EXPECT_NE(varied.result["metrics"].dump(), r.result["metrics"].dump());
}

// No bar after a window reaches the run: the result of a window equals that of the same data
// cut at the window's end (indicators are causal; the engine trades only inside the period).
TEST(PeriodOverride, BarsAfterTheWindowChangeNothing) {
  Base base;
  base.operation =
      "strategy_links:\n  - environment:\n      data: {source: csv, path: x.csv}\n"
      "      periods_per_year: 252\n      fees_bps: 5\n";
  const std::string full = StockCsv(40);
  // The first 20 weeks' bars only (the CSV lines up to the last bar before week 20).
  const std::string cut_at = FormatIsoTimestamp(TimestampMs{DayStartMs(kMon + 20 * 7)});
  std::string cut;
  {
    std::istringstream in(full);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("20", 0) == 0 && line.substr(0, cut_at.size()) >= cut_at) break;
      cut += line + "\n";
    }
  }
  const json window =
      json::parse(R"({"period": {"start": "2024-02-05", "end": ")" + cut_at + R"("}})");
  JobRunner jobs;
  JobSpec a = base.Spec(&window);
  a.csv = &full;
  a.csv_key = "full";
  JobSpec b = base.Spec(&window);
  b.csv = &cut;
  b.csv_key = "cut";
  JobResult ra = jobs.Run(a), rb = jobs.Run(b);
  ASSERT_TRUE(ra.ok() && rb.ok()) << ra.status.ToString() << rb.status.ToString();
  EXPECT_GT(ra.result["metrics"]["total_trades"].get<int>(), 0);
  EXPECT_EQ(ra.result.dump(), rb.result.dump());
  // ... while a different window gives different numbers.
  const json later = json::parse(R"({"period": {"start": ")" + cut_at + R"("}})");
  JobSpec c = base.Spec(&later);
  c.csv = &full;
  c.csv_key = "full";
  JobResult rc = jobs.Run(c);
  ASSERT_TRUE(rc.ok());
  EXPECT_NE(rc.result["metrics"].dump(), ra.result["metrics"].dump());
}

TEST(PeriodOverride, AMalformedPeriodIsABadConfigNamingIt) {
  Base base;
  JobRunner jobs;
  for (const char* text :
       {R"({"period": {"begin": "2020-01-01"}})", R"({"period": {"start": "soon"}})",
        R"({"period": {"start": "2020-02-01", "end": "2020-01-01"}})", R"({"period": 3})"}) {
    const json o = json::parse(text);
    JobResult r = jobs.Run(base.Spec(&o));
    EXPECT_EQ(r.failed_at, JobStage::kConfig) << text;
    EXPECT_NE(r.FailureReason().find("overrides.period"), std::string::npos) << r.FailureReason();
  }
  const json outside = json::parse(R"({"period": {"start": "2030-01-01"}})");
  JobResult r = jobs.Run(base.Spec(&outside));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.FailureReason().find("period selects no bars"), std::string::npos)
      << r.FailureReason();
}

// ComputeDailyReturns compares the next point's time with its day's range instead of dividing
// twice per point: the same series as the definition (two DayOfTimestamp per point), on curves
// whose points fall at random gaps, before 1970, and out of order.
TEST(DailyReturns, TheDayRangeWalkEqualsTwoDivisionsPerPoint) {
  auto reference = [](const std::vector<EquityPoint>& eq) {
    DailyReturns out;
    double prev = eq.front().equity;
    for (size_t i = 0; i < eq.size(); ++i) {
      const DayNumber day = DayOfTimestamp(eq[i].ts.v);
      if (i + 1 < eq.size() && DayOfTimestamp(eq[i + 1].ts.v) == day) continue;
      out.days.push_back(day);
      out.values.push_back(eq[i].equity / prev - 1.0);
      prev = eq[i].equity;
    }
    return out;
  };
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<EquityPoint> eq;
    int64_t ts =
        (static_cast<int64_t>(next() % 4000) - 2000) * kDay + static_cast<int64_t>(next() % kDay);
    const int64_t step = static_cast<int64_t>(1 + next() % (round % 3 == 0 ? kDay * 2 : kHour * 5));
    const size_t n = 1 + next() % 500;
    for (size_t i = 0; i < n; ++i) {
      eq.push_back({TimestampMs{ts}, 1000.0 + static_cast<double>(next() % 100000) / 7.0});
      ts += round % 5 == 4 && next() % 4 == 0 ? -static_cast<int64_t>(next() % kDay) : step;
    }
    const DailyReturns want = reference(eq), got = ComputeDailyReturns(eq);
    ASSERT_EQ(got.days, want.days) << "round " << round;
    ASSERT_EQ(got.values, want.values) << "round " << round;
  }
}

// DailyReturnsFromJsonText reads the member's text without a document: the same series (bit for
// bit) and the same errors as json::parse + DailyReturnsFromJson, on what DailyReturnsToJson
// writes and on hand-made texts of every odd shape.
TEST(DailyReturns, TheTextReaderAgreesWithTheDocumentReader) {
  auto same = [](const std::string& text) {
    const auto j = json::parse(text, nullptr, false);
    const Result<DailyReturns> want =
        j.is_discarded() ? Result<DailyReturns>(Status::InvalidArgument("returns is not JSON"))
                         : DailyReturnsFromJson(j);
    const Result<DailyReturns> got = DailyReturnsFromJsonText(text);
    ASSERT_EQ(got.ok(), want.ok()) << text;
    if (!want.ok()) {
      EXPECT_EQ(got.status().ToString(), want.status().ToString()) << text;
      return;
    }
    EXPECT_EQ(got->days, want->days) << text;
    ASSERT_EQ(got->values.size(), want->values.size()) << text;
    EXPECT_EQ(0, std::memcmp(got->values.data(), want->values.data(),
                             want->values.size() * sizeof(double)))
        << text;
  };
  uint64_t state = 99;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int round = 0; round < 100; ++round) {
    DailyReturns r;
    DayNumber day = kMon + static_cast<DayNumber>(next() % 1000);
    const size_t n = next() % 300;
    for (size_t i = 0; i < n; ++i) {
      r.days.push_back(day);
      const uint64_t k = next() % 20;
      r.values.push_back(k == 0   ? std::nan("")
                         : k == 1 ? -0.0
                         : k == 2 ? 0.0
                                  : (static_cast<double>(next() % 2000000) - 1e6) / 1e7);
      day += next() % 7 == 0 ? 1 + static_cast<DayNumber>(next() % 5) : 1;
    }
    same(DailyReturnsToJson(r).dump());
    same(DailyReturnsToJson(r).dump(2));
  }
  for (const char* text :
       {R"({"first_date": "2024-01-01", "values": [0.1, -0.2, null, 1e-5, 2E+3, -0.0, 0]})",
        R"({"values": [], "first_date": null, "gaps": []})",
        R"({"first_date": "2024-01-01", "values": [-0, 5, 12345678901234567890123]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[2, 3]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[0, 3]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[3, 3]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[1, 0]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[1, 2.0]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[01, 2]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": [[-1, 2]]})",
        R"({"first_date": "2024-01-01", "values": [1, 2, 3], "gaps": {"a": 1}})",
        R"({"first_date": "2024-13-01", "values": [1]})",
        R"({"first_date": "2024-01-01", "values": [1, "x"]})",
        R"({"first_date": "2024-01-01", "values": [1, 01]})",
        R"({"first_date": "2024-01-01", "values": [1, .5]})",
        R"({"first_date": "2024-01-01", "values": [1, 1e400]})",
        R"({"first_date": "2024-01-01", "values": [1, NaN]})",
        R"({"first_date": "2024-01-01", "values": [1,]})",
        R"({"first_date": "2024-01-01", "values": 5})",
        R"({"first_date": 20240101, "values": [1]})",
        R"({"first_date": "2024-01-01", "values": [1], "values": [2, 3]})",
        R"({"first_date": "2024\u002d01-01", "values": [1]})",
        R"({"first_\u0064ate": "2024-01-01", "values": [1]})",
        R"([1, 2])",
        R"({"values": [1)",
        "",
        "null"}) {
    same(text);
  }
}

}  // namespace
}  // namespace s1mple::engine
