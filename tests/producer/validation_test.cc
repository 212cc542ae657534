// Validation folds (producer/validation.h): durations, the fold arithmetic of holdout,
// walk-forward (rolling and anchored) and CPCV (group combinations, embargo), the plan
// section's errors, and the job space with folds.
#include "producer/validation.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/calendar.h"
#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

using engine::FormatIsoDate;
using engine::ParseIsoDate;
using testing::ErrorOf;
using testing::ParseText;

int64_t Day(const char* iso) {
  return *ParseIsoDate(iso);
}

DataRange Range(const char* first, const char* last) {
  return {engine::DayStartMs(Day(first)), engine::DayStartMs(Day(last)) + 23 * 3'600'000};
}

ValidationConfig WalkForward(const char* train, const char* test, const char* step, bool anchored) {
  ValidationConfig v;
  v.mode = ValidationMode::kWalkForward;
  v.train = *ParseDuration(train);
  v.test = *ParseDuration(test);
  v.step = *ParseDuration(step);
  v.anchored = anchored;
  return v;
}

TEST(Duration, ParsesEveryUnitAndRefusesTheRest) {
  auto y = ParseDuration("2y");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->count, 2);
  EXPECT_EQ(y->unit, Duration::Unit::kYear);
  EXPECT_EQ(ParseDuration("6mo")->unit, Duration::Unit::kMonth);
  EXPECT_EQ(ParseDuration("90d")->count, 90);
  EXPECT_EQ(ParseDuration("3w")->unit, Duration::Unit::kWeek);
  for (const char* bad : {"", "y", "0d", "2q", "1.5y", "-3d", "6 mo", "2Y", "12m"})
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  EXPECT_NE(ParseDuration("2q").status().message().find("d, w, mo or y"), std::string::npos);
}

TEST(Duration, CalendarArithmetic) {
  EXPECT_EQ(FormatIsoDate(AddDuration(Day("2020-01-31"), *ParseDuration("1mo"))), "2020-02-29");
  EXPECT_EQ(FormatIsoDate(AddDuration(Day("2020-02-29"), *ParseDuration("1y"))), "2021-02-28");
  EXPECT_EQ(FormatIsoDate(AddDuration(Day("2020-01-01"), *ParseDuration("2w"))), "2020-01-15");
  EXPECT_EQ(FormatIsoDate(AddDuration(Day("2020-01-01"), *ParseDuration("90d"))), "2020-03-31");
  EXPECT_EQ(FormatIsoDate(AddDuration(Day("2020-01-01"), *ParseDuration("3mo"), 4)), "2021-01-01");
}

TEST(WalkForward, RollingFoldsOfTheDemoData) {
  // The demo's data: 20,000 hourly bars from 2020-01-01 (last bar 2022-04-13 07:00).
  auto s = MakeSchedule(WalkForward("1y", "3mo", "3mo", false),
                        {engine::DayStartMs(Day("2020-01-01")),
                         engine::DayStartMs(Day("2022-04-13")) + 7 * 3'600'000},
                        "plan.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->folds.size(), 5u);
  ASSERT_EQ(s->segments.size(), 10u);
  const char* expected[5][4] = {{"2020-01-01", "2020-12-31", "2021-01-01", "2021-03-31"},
                                {"2020-04-01", "2021-03-31", "2021-04-01", "2021-06-30"},
                                {"2020-07-01", "2021-06-30", "2021-07-01", "2021-09-30"},
                                {"2020-10-01", "2021-09-30", "2021-10-01", "2021-12-31"},
                                {"2021-01-01", "2021-12-31", "2022-01-01", "2022-03-31"}};
  for (size_t f = 0; f < 5; ++f) {
    const Fold& fold = s->folds[f];
    EXPECT_EQ(FormatIsoDate(fold.is_start), expected[f][0]) << f;
    EXPECT_EQ(FormatIsoDate(fold.is_end - 1), expected[f][1]) << f;
    EXPECT_EQ(FormatIsoDate(fold.oos_start), expected[f][2]) << f;
    EXPECT_EQ(FormatIsoDate(fold.oos_end - 1), expected[f][3]) << f;
    // IS ends the day before OOS starts: no day in both.
    EXPECT_EQ(fold.is_end, fold.oos_start);
    EXPECT_EQ(s->segments[2 * f].kind, SegmentKind::kInSample);
    EXPECT_EQ(s->segments[2 * f + 1].kind, SegmentKind::kOutOfSample);
  }
  // The job period of fold 0's IS segment: its first day 00:00 to its last day 23:59:59.
  EXPECT_EQ(s->SegmentPeriod(0).dump(),
            R"({"end":"2020-12-31T23:59:59Z","start":"2020-01-01T00:00:00Z"})");
}

TEST(WalkForward, AnchoredFoldsGrowFromTheFirstDay) {
  auto s = MakeSchedule(WalkForward("180d", "60d", "60d", true), Range("2020-01-01", "2020-12-31"),
                        "plan.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // 366 days: 180 + 60k + 60 <= 366 for k = 0, 1, 2.
  ASSERT_EQ(s->folds.size(), 3u);
  for (size_t f = 0; f < 3; ++f) {
    EXPECT_EQ(s->folds[f].is_start, Day("2020-01-01"));
    EXPECT_EQ(s->folds[f].is_end - s->folds[f].is_start, 180 + 60 * static_cast<int64_t>(f));
    EXPECT_EQ(s->folds[f].oos_end - s->folds[f].oos_start, 60);
  }
  auto rolling = MakeSchedule(WalkForward("180d", "60d", "60d", false),
                              Range("2020-01-01", "2020-12-31"), "plan.yaml");
  ASSERT_TRUE(rolling.ok());
  ASSERT_EQ(rolling->folds.size(), 3u);
  for (size_t f = 0; f < 3; ++f)
    EXPECT_EQ(rolling->folds[f].is_end - rolling->folds[f].is_start, 180);
  EXPECT_EQ(rolling->folds[2].is_start, Day("2020-01-01") + 120);
}

TEST(WalkForward, FoldsThatDoNotFitAreAClearError) {
  auto s = MakeSchedule(WalkForward("2y", "6mo", "6mo", false), Range("2020-01-01", "2021-06-30"),
                        "plan.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "plan.yaml: optimization_config.validation.walk_forward: train 2y + test 6mo (912 "
            "days) do not fit the data (2020-01-01 .. 2021-06-30, 547 days)");
}

TEST(Holdout, SplitDateAndFraction) {
  ValidationConfig v;
  v.mode = ValidationMode::kHoldout;
  v.split_day = Day("2020-10-01");
  auto s = MakeSchedule(v, Range("2020-01-01", "2020-12-31"), "plan.yaml");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->folds.size(), 1u);
  EXPECT_EQ(s->folds[0].is_end, Day("2020-10-01"));
  EXPECT_EQ(s->folds[0].oos_end - 1, Day("2020-12-31"));
  v.split_day.reset();
  v.fraction = 0.75;  // 366 days: 274.5 -> 275 IS days
  s = MakeSchedule(v, Range("2020-01-01", "2020-12-31"), "plan.yaml");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->folds[0].is_end - s->folds[0].is_start, 275);
  v.split_day = Day("2021-02-01");
  s = MakeSchedule(v, Range("2020-01-01", "2020-12-31"), "plan.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("optimization_config.validation.holdout.split: 2021-02-01 "
                                      "is not inside the data (2020-01-01 .. 2020-12-31"),
            std::string::npos)
      << s.status().message();
}

TEST(Cpcv, GroupsCombinationsAndEmbargo) {
  ValidationConfig v;
  v.mode = ValidationMode::kCpcv;
  v.groups = 6;
  v.test_groups = 2;
  v.embargo = *ParseDuration("5d");
  auto s = MakeSchedule(v, Range("2020-01-01", "2020-12-30"), "plan.yaml");  // 365 days
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->segments.size(), 6u);
  // The groups partition the days: contiguous, 60 or 61 days each.
  EXPECT_EQ(s->segments.front().start_day, Day("2020-01-01"));
  EXPECT_EQ(s->segments.back().end_day, Day("2020-12-31"));
  for (size_t g = 0; g + 1 < 6; ++g)
    EXPECT_EQ(s->segments[g].end_day, s->segments[g + 1].start_day);
  for (const auto& g : s->segments) EXPECT_GE(g.end_day - g.start_day, 60);
  // C(6, 2) = 15 splits, lexicographic, every pair once; each group tested in C(5, 1) = 5.
  ASSERT_EQ(s->splits.size(), 15u);
  EXPECT_EQ(s->splits.front().test_groups, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(s->splits[1].test_groups, (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(s->splits.back().test_groups, (std::vector<uint32_t>{4, 5}));
  std::set<std::vector<uint32_t>> distinct;
  std::vector<int> tested(6, 0);
  for (const auto& split : s->splits) {
    distinct.insert(split.test_groups);
    EXPECT_EQ(split.train_groups.size(), 4u);
    for (uint32_t t : split.test_groups) ++tested[t];
  }
  EXPECT_EQ(distinct.size(), 15u);
  for (int t : tested) EXPECT_EQ(t, 5);
  // Test {1, 3}: the embargo drops the first 5 days of groups 2 and 4 (they follow a test
  // group); test {4, 5} ends the data: nothing; test {0, 1}: the start of group 2 only.
  const auto& s13 = s->splits[6];
  ASSERT_EQ(s13.test_groups, (std::vector<uint32_t>{1, 3}));
  ASSERT_EQ(s13.embargoed.size(), 2u);
  EXPECT_EQ(s13.embargoed[0].first, s->segments[2].start_day);
  EXPECT_EQ(s13.embargoed[0].second, s->segments[2].start_day + 5);
  EXPECT_EQ(s13.embargoed[1].first, s->segments[4].start_day);
  EXPECT_TRUE(s->splits.back().embargoed.empty());
  ASSERT_EQ(s->splits.front().embargoed.size(), 1u);
  EXPECT_EQ(s->splits.front().embargoed[0].first, s->segments[2].start_day);

  v.embargo = *ParseDuration("3mo");  // longer than a group
  auto too_long = MakeSchedule(v, Range("2020-01-01", "2020-12-30"), "plan.yaml");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("validation.cpcv.embargo: 3mo is not shorter than a "
                                             "group"),
            std::string::npos)
      << too_long.status().message();
}

const char* kPlanHead = R"(optimization_config:
  name: t
  base_operation: x.yaml
  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: trend_follower
      parameters:
        fast_period: {values: [5, 8, 13]}
)";

TEST(ValidationPlan, LoadsEachMode) {
  auto wf = ParseText(std::string(kPlanHead) +
                      "  validation:\n    walk_forward: {train: 2y, test: 6mo, anchored: true}\n");
  ASSERT_TRUE(wf.ok()) << wf.status().ToString();
  EXPECT_EQ(wf->validation.mode, ValidationMode::kWalkForward);
  EXPECT_EQ(wf->validation.step.text, "6mo");  // step defaults to test
  EXPECT_TRUE(wf->validation.anchored);
  auto h = ParseText(std::string(kPlanHead) + "  validation: {holdout: {fraction: 0.7}}\n");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_DOUBLE_EQ(h->validation.fraction, 0.7);
  auto c = ParseText(std::string(kPlanHead) +
                     "  validation: {cpcv: {groups: 6, test_groups: 2, embargo: 5d}}\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->validation.groups, 6);
}

TEST(ValidationPlan, BadInputNamesFileAndYamlPath) {
  auto err = [](const std::string& section) { return ErrorOf(std::string(kPlanHead) + section); };
  EXPECT_EQ(
      err("  validation:\n    walk_forward: {train: 2q, test: 6mo}\n"),
      "test_plan.yaml: optimization_config.validation.walk_forward.train: '2q' is not a "
      "duration (a whole number >= 1 followed by d, w, mo or y, e.g. 90d, 6mo, 2y) (line 10)");
  EXPECT_NE(err("  validation:\n    walk_forward: {train: 2y}\n")
                .find("optimization_config.validation.walk_forward.test: missing"),
            std::string::npos);
  EXPECT_NE(err("  validation:\n    walk_forward: {train: 2y, test: 1y, anchor: true}\n")
                .find("optimization_config.validation.walk_forward.anchor: unknown key"),
            std::string::npos);
  EXPECT_NE(err("  validation: {holdout: {fraction: 1.5}}\n")
                .find("optimization_config.validation.holdout.fraction: expected a fraction"),
            std::string::npos);
  EXPECT_NE(err("  validation: {holdout: {split: 2020-13-01}}\n")
                .find("optimization_config.validation.holdout.split: expected a date"),
            std::string::npos);
  EXPECT_NE(err("  validation: {holdout: {split: 2020-06-01, fraction: 0.5}}\n")
                .find("optimization_config.validation.holdout: expected {split: DATE} or"),
            std::string::npos);
  EXPECT_NE(err("  validation: {cpcv: {groups: 6, test_groups: 6}}\n")
                .find("optimization_config.validation.cpcv.test_groups: expected a whole number, "
                      "1 to 5"),
            std::string::npos);
  EXPECT_NE(err("  validation: {holdout: {fraction: 0.5}, cpcv: {groups: 4, test_groups: 1}}\n")
                .find("optimization_config.validation: expected one of"),
            std::string::npos);
  // CPCV selects on a union of groups: every metric but profit_factor can be computed on it.
  const std::string accepted =
      "cpcv selects by and constrains: sharpe_ratio, sortino_ratio, total_return, cagr, "
      "max_drawdown, calmar, win_rate, total_trades, avg_trade_duration, opportunities_detected, "
      "opportunities_rejected, threats_detected";
  EXPECT_EQ(err("  optimization_targets: {primary_metric: profit_factor}\n"
                "  validation: {cpcv: {groups: 6, test_groups: 2}}\n"),
            "test_plan.yaml: optimization_config.optimization_targets.primary_metric: "
            "profit_factor cannot be computed on the union of a cpcv split's train groups (a "
            "result keeps profit_factor as a ratio, without its gross profit and loss); " +
                accepted + " (line 9)");
  EXPECT_EQ(err("  constraints:\n    min_trades: 10\n    min_profit_factor: 1.2\n"
                "  validation: {cpcv: {groups: 6, test_groups: 2}}\n"),
            "test_plan.yaml: optimization_config.constraints.min_profit_factor: min_profit_factor "
            "(profit_factor) cannot be computed on the union of a cpcv split's train groups (a "
            "result keeps profit_factor as a ratio, without its gross profit and loss); " +
                accepted + " (line 11)");
  for (const char* ok : {"  optimization_targets: {primary_metric: total_return}\n",
                         "  optimization_targets: {primary_metric: max_drawdown}\n"
                         "  constraints: {min_sharpe_ratio: 1, min_win_rate: 40, max_calmar: 9}\n",
                         "  constraints: {min_avg_trade_duration: 2, max_threats_detected: 5}\n"}) {
    auto p = ParseText(std::string(kPlanHead) + ok +
                       "  validation: {cpcv: {groups: 6, test_groups: 2}}\n");
    EXPECT_TRUE(p.ok()) << ok << p.status().ToString();
  }
}

TEST(ValidationPlan, JobSpaceRunsEveryConfigurationOnEverySegment) {
  auto plan = ParseText(std::string(kPlanHead) +
                        "  validation:\n    walk_forward: {train: 180d, test: 60d}\n");
  ASSERT_TRUE(plan.ok());
  auto shared = std::make_shared<const Plan>(std::move(plan).value());
  EXPECT_FALSE(JobSpace::Make(shared).ok());  // folds need the data range
  auto s = MakeSchedule(shared->validation, Range("2020-01-01", "2020-12-31"), "p");
  ASSERT_TRUE(s.ok());
  auto space = JobSpace::Make(shared, std::make_shared<const FoldSchedule>(*s));
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->configurations(), 3u);
  EXPECT_EQ(space->segments(), 6u);  // 3 folds x (IS, OOS)
  EXPECT_EQ(space->size(), 18u);
  // Job 7: configuration 1 on segment 2 (fold 1's IS).
  EXPECT_EQ(space->ConfigOf(7), 1u);
  EXPECT_EQ(space->SegmentOf(7), 2u);
  const auto o = space->Overrides(7);
  EXPECT_EQ(o["opportunity_workers"]["trend_follower"]["params"]["fast_period"], 8);
  EXPECT_EQ(o["period"], s->SegmentPeriod(2));
  EXPECT_EQ(space->Varied(7), space->Varied(1));
}

}  // namespace
}  // namespace s1mple::producer
