// Result analysis: results.csv rows and columns, best configuration under constraints,
// variant comparison, streaming order independence.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/calendar.h"
#include "engine/result.h"
#include "producer/analysis.h"
#include "stats/bootstrap.h"
#include "stats/overfitting.h"
#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("s1mple-analysis-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  return d;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Minimal RFC 4180 reader for the assertions.
std::vector<std::vector<std::string>> ReadCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  rows.back().clear();
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r') {
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

json Result(double sharpe, int trades, double drawdown, int detected = 100, int rejected = 10) {
  return {{"metrics",
           {{"sharpe_ratio", sharpe},
            {"sortino_ratio", nullptr},
            {"total_return", sharpe * 10},
            {"max_drawdown", drawdown},
            {"win_rate", 50.0},
            {"total_trades", trades}}},
          {"causality",
           {{"opportunities_detected", detected},
            {"opportunities_rejected", rejected},
            {"threats_detected", 3},
            {"top_rejection_reasons", json::array()}}},
          {"equity", {{1577836800000, 10000.0}, {1577840400000, 10100.0}}},
          {"period", {{"start", "2020-01-01T00:00:00Z"}, {"end", "2020-01-01T01:00:00Z"}}},
          {"bars", 2}};
}

constexpr const char* kPlan = R"(optimization_config:
  name: "Sweep, \"quoted\""
  base_operation: b.yaml
  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detector
      parameters:
        min_gap_size: {start: 1, end: 4, step: 1}
  planning_variants:
    - phase: exit_planning
      variants:
        - plugin: liquidity_target_exit
        - plugin: atr_based_stops
          params:
            atr_multiplier: {values: [1.5, 2.5]}
  optimization_targets:
    primary_metric: sharpe_ratio
  constraints:
    min_trades: 10
    max_drawdown: 15.0
)";

TEST(Analysis, BestConfigurationIsTheTopPrimaryMetricAmongRunsMeetingConstraints) {
  auto space = testing::SpaceOfText(kPlan);
  ASSERT_EQ(space.size(), 12u);
  auto dir = TempDir("best");
  auto a = SweepAnalyzer::Open(space, {"sw-test", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"},
                               {dir});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Job 11 has the highest Sharpe but too few trades; job 10 too deep a drawdown (negative sign
  // counts by magnitude); job 7 is the best eligible run.
  for (uint64_t i = 0; i < space.size(); ++i) {
    JobOutcome o{i, true, Result(1.0 + 0.01 * static_cast<double>(i), 20, 5.0), "", 1};
    if (i == 11) o.result = Result(9.0, 3, 5.0);
    if (i == 10) o.result = Result(8.0, 50, -20.0);
    if (i == 7) o.result = Result(5.0, 40, 14.9);
    if (i == 4) o = JobOutcome{4, false, json(), "plugin error: \"boom\", twice", 2};
    ASSERT_TRUE((*a)->Add(o).ok());
  }
  auto summary = (*a)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ((*summary)["best_configuration"]["index"], 7);
  EXPECT_EQ((*summary)["best_configuration"]["run_id"], "sw-test/7");
  EXPECT_EQ((*summary)["successful_runs"], 11);
  EXPECT_EQ((*summary)["failed_runs"], 1);
  EXPECT_EQ((*summary)["runs_meeting_constraints"], 9);
  EXPECT_EQ((*summary)["failures"][0]["reason"], "plugin error: \"boom\", twice");
  EXPECT_EQ((*summary)["top_configurations"][1]["index"], 9);

  auto full = json::parse(Slurp(dir / "optimization_result.json"));
  EXPECT_EQ(full["optimization_name"], "Sweep, \"quoted\"");
  EXPECT_EQ(full["total_combinations"], 12);
  ASSERT_EQ(full["results"].size(), 12u);
  EXPECT_EQ(full["results"][11]["meets_constraints"], false);
  EXPECT_EQ(full["results"][11]["constraint_failures"][0], "total_trades 3.0 < 10.0");
  EXPECT_EQ(full["results"][10]["constraint_failures"][0], "max_drawdown 20.0 > 15.0");
  EXPECT_EQ(full["results"][7]["configuration"]["fvg_entry_detector"]["min_gap_size"], 3);
  EXPECT_EQ(full["results"][7]["configuration"]["planning"]["exit_planning"]["plugin"],
            "atr_based_stops");
  EXPECT_EQ(full["results"][4]["status"], "failed");
  EXPECT_FALSE(fs::exists(dir / ".optimization_results.part"));
  fs::remove_all(dir);
}

TEST(Analysis, ResultsCsvHasOneRowPerRunAndAColumnPerParameterMetricAndCount) {
  auto space = testing::SpaceOfText(kPlan);
  auto dir = TempDir("csv");
  auto a = SweepAnalyzer::Open(space, {"sw-x", "", ""}, {dir});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Add({2, true, Result(1.5, 12, 3.0), "", 1}).ok());
  ASSERT_TRUE((*a)->Add({0, false, json(), "timeout, after \"300\" s\nline 2", 3}).ok());
  EXPECT_FALSE((*a)->Add({2, true, Result(1.5, 12, 3.0), "", 1}).ok());  // duplicate index
  ASSERT_TRUE((*a)->Finish().ok());
  auto rows = ReadCsv(Slurp(dir / "results.csv"));
  ASSERT_EQ(rows.size(), 3u);
  const auto& h = rows[0];
  std::vector<std::string> expected_head = {"run_id",
                                            "index",
                                            "status",
                                            "fvg_entry_detector.min_gap_size",
                                            "planning.exit_planning.plugin",
                                            "atr_based_stops.atr_multiplier",
                                            "sharpe_ratio"};
  for (size_t i = 0; i < expected_head.size(); ++i) EXPECT_EQ(h[i], expected_head[i]);
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(h.begin(), h.end(), name) - h.begin());
  };
  for (const char* name :
       {"total_trades", "max_drawdown", "opportunities_detected", "opportunities_rejected",
        "threats_detected", "meets_constraints", "error"}) {
    EXPECT_LT(col(name), h.size()) << name;
  }
  for (const auto& r : rows) EXPECT_EQ(r.size(), h.size());
  EXPECT_EQ(rows[1][0], "sw-x/2");
  EXPECT_EQ(rows[1][col("fvg_entry_detector.min_gap_size")], "1");
  EXPECT_EQ(rows[1][col("planning.exit_planning.plugin")], "atr_based_stops");
  EXPECT_EQ(rows[1][col("atr_based_stops.atr_multiplier")], "2.5");
  EXPECT_EQ(rows[1][col("sharpe_ratio")], "1.5");
  EXPECT_EQ(rows[1][col("sortino_ratio")], "");  // null metric: empty cell
  EXPECT_EQ(rows[1][col("opportunities_detected")], "100");
  EXPECT_EQ(rows[1][col("meets_constraints")], "true");
  EXPECT_EQ(rows[2][col("status")], "failed");
  EXPECT_EQ(rows[2][col("atr_based_stops.atr_multiplier")], "");  // not this job's plugin
  EXPECT_EQ(rows[2][col("error")], "timeout, after \"300\" s\nline 2");
  EXPECT_EQ(rows[2][col("attempts")], "3");
  fs::remove_all(dir);
}

TEST(Analysis, NoEligibleRunMeansNoBestConfiguration) {
  auto space = testing::SpaceOfText(kPlan);
  auto dir = TempDir("none");
  auto a = SweepAnalyzer::Open(space, {"sw-n", "", ""}, {dir});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Add({0, true, Result(2.0, 1, 1.0), "", 1}).ok());
  auto s = (*a)->Finish();
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)["best_configuration"].is_null());
  EXPECT_EQ((*s)["missing_runs"], 11);
  fs::remove_all(dir);
}

TEST(Analysis, MinimizingPrimaryMetricAndGenericMetricConstraints) {
  auto space = testing::SpaceOfText(R"(optimization_config:
  name: t
  base_operation: b.yaml
  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: fvg_entry_detector
      parameters:
        min_gap_size: {values: [1, 2, 3]}
  optimization_targets: {primary_metric: max_drawdown}
  constraints: {min_win_rate: 40, max_opportunities_rejected: 50}
)");
  auto dir = TempDir("min");
  auto a = SweepAnalyzer::Open(space, {"sw-m", "", ""}, {dir});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Add({0, true, Result(1, 20, 9.0), "", 1}).ok());
  ASSERT_TRUE((*a)->Add({1, true, Result(1, 20, 2.0, 100, 60), "", 1}).ok());  // too many rejected
  ASSERT_TRUE((*a)->Add({2, true, Result(1, 20, 4.0), "", 1}).ok());
  auto s = (*a)->Finish();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["best_configuration"]["index"], 2);
  EXPECT_EQ((*s)["optimization_targets"]["direction"], "minimize");
  fs::remove_all(dir);
}

TEST(Analysis, VariantComparisonAnswersEachQuestionAndKeepsEquityCurves) {
  auto space = testing::SpaceOfFile("config/variants/fvg_strategy_variants.yaml");
  auto dir = TempDir("variants");
  auto a = SweepAnalyzer::Open(space, {"sw-v", "2026-01-01T00:00:00Z", ""}, {dir});
  ASSERT_TRUE(a.ok());
  // baseline: best return; strict_fvg: best Sharpe, lowest drawdown, most defensive;
  // relaxed_fvg: most trades.
  ASSERT_TRUE((*a)->Add({1, true, Result(2.78, 98, 5.4, 245, 147), "", 1}).ok());
  json baseline = Result(2.45, 127, 8.2, 245, 118);
  baseline["metrics"]["total_return"] = 34.5;
  ASSERT_TRUE((*a)->Add({0, true, baseline, "", 1}).ok());
  ASSERT_TRUE((*a)->Add({2, true, Result(1.1, 300, 12.0, 400, 50), "", 1}).ok());
  auto s = (*a)->Finish();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto& c = (*s)["comparative_analysis"];
  EXPECT_EQ(c["best_sharpe"], "strict_fvg");
  EXPECT_EQ(c["best_return"], "baseline");
  EXPECT_EQ(c["lowest_drawdown"], "strict_fvg");
  EXPECT_EQ(c["most_trades"], "relaxed_fvg");
  EXPECT_EQ(c["most_defensive"], "strict_fvg");
  EXPECT_EQ((*s)["test_name"], "FVG Strategy Robustness Test");
  EXPECT_EQ((*s)["total_variants"], 3);
  auto full = json::parse(Slurp(dir / "variant_comparison.json"));
  ASSERT_EQ(full["results"].size(), 3u);
  EXPECT_EQ(full["results"][0]["variant_name"], "baseline");  // plan order, not arrival order
  EXPECT_EQ(full["results"][1]["causality"]["opportunity_id_count"], 245);
  EXPECT_EQ(full["results"][1]["equity_curve"].size(), 2u);
  EXPECT_EQ(full["results"][1]["overrides"]["opportunity_workers"][0]["params"]["min_gap_size"], 8);
  EXPECT_EQ(full["market_period"]["start"], "2020-01-01T00:00:00Z");
  fs::remove_all(dir);
}

// Issue 15 item 9: a sweep with no finished run (every job pending) gives empty but valid
// outputs; it used to fail with a false "write failed (disk full?)" (an empty part file copied
// with `out << rdbuf()` sets failbit).
TEST(Analysis, SweepWithNoFinishedRunWritesEmptyOutputs) {
  for (const char* plan : {kPlan, "variant"}) {
    const bool variant = std::string(plan) == "variant";
    auto space = variant ? testing::SpaceOfFile("config/variants/fvg_strategy_variants.yaml")
                         : testing::SpaceOfText(plan);
    auto dir = TempDir(variant ? "empty-variant" : "empty");
    auto a = SweepAnalyzer::Open(space, {"sw-e", "", ""}, {dir});
    ASSERT_TRUE(a.ok());
    auto s = (*a)->Finish();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)["missing_runs"], space.size());
    EXPECT_EQ((*s)["successful_runs"], 0);
    EXPECT_EQ(ReadCsv(Slurp(dir / "results.csv")).size(), 1u) << "the header alone";
    auto full = json::parse(
        Slurp(dir / (variant ? "variant_comparison.json" : "optimization_result.json")));
    EXPECT_TRUE(full["results"].is_array());
    EXPECT_TRUE(full["results"].empty());
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_EQ(e.path().extension() != ".tmp" && e.path().extension() != ".part", true)
          << e.path();
    fs::remove_all(dir);
  }
}

// A failed output (here: its temporary file is /dev/full, every write fails with ENOSPC) is an
// error naming the file, and no temporary file is left behind; the outputs of an earlier
// analysis stay as they were.
TEST(Analysis, FailedOutputLeavesNoTemporaryFile) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto space = testing::SpaceOfText(kPlan);
  for (const char* victim : {"results.csv.tmp", "optimization_result.json.tmp"}) {
    auto dir = TempDir(std::string("full-") + victim);
    fs::create_directories(dir);
    std::ofstream(dir / "results.csv") << "earlier\n";
    fs::create_symlink("/dev/full", dir / victim);
    Status failed = Status::Ok();
    {
      auto a = SweepAnalyzer::Open(space, {"sw-f", "", ""}, {dir});
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      for (uint64_t i = 0; i < space.size() && failed.ok(); ++i)
        failed = (*a)->Add({i, true, Result(1.0, 20, 5.0), "", 1});
      if (failed.ok()) failed = (*a)->Finish().status();
    }
    EXPECT_TRUE(failed.IsIOError()) << victim << ": " << failed.ToString();
    EXPECT_NE(failed.message().find(victim), std::string::npos) << failed.ToString();
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == "results.csv") << victim << ": left behind: " << name;
    }
    if (std::string(victim) == "optimization_result.json.tmp") {
      // results.csv was complete and renamed before the JSON failed.
      EXPECT_NE(Slurp(dir / "results.csv"), "earlier\n");
    } else {
      EXPECT_EQ(Slurp(dir / "results.csv"), "earlier\n");
    }
    fs::remove_all(dir);
  }
}

TEST(Analysis, CsvQuotingFollowsRfc4180) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvCell(json(true)), "true");
  EXPECT_EQ(CsvCell(json(nullptr)), "");
  EXPECT_EQ(CsvCell(json(0.75)), "0.75");
}

}  // namespace
}  // namespace s1mple::producer

namespace s1mple::producer {
namespace {

// `days` daily returns from 2020-01-01: N(edge, 1 %) noise, seeded.
json WithReturns(json result, uint64_t seed, double edge, int days = 600, int skip_day = -1) {
  stats::SplitMix64 rng(seed);
  engine::DailyReturns r;
  const int64_t first = engine::DayFromCivil(2020, 1, 1);
  for (int d = 0; d < days; ++d) {
    const double v = edge + 0.01 * rng.Normal();
    if (d == skip_day) continue;
    r.days.push_back(first + d);
    r.values.push_back(v);
  }
  result["returns"] = engine::DailyReturnsToJson(r);
  return result;
}

TEST(Analysis, OverfittingBlockCountsEveryTrialAndDeflatesTheSelectedSharpe) {
  auto space = testing::SpaceOfText(kPlan);
  auto dir = TempDir("overfitting");
  AnalysisOptions options{dir};
  options.write_returns = true;
  auto a = SweepAnalyzer::Open(space, {"sw-test", "", ""}, options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Job 4 fails, 10 and 11 break the constraints, 7 is selected; job 3 misses one day.
  for (uint64_t i = 0; i < space.size(); ++i) {
    JobOutcome o{i, true,
                 WithReturns(Result(1.0 + 0.01 * static_cast<double>(i), 20, 5.0), i,
                             i == 7 ? 0.002 : 0.0, 600, i == 3 ? 17 : -1),
                 "", 1};
    if (i == 11) o.result = WithReturns(Result(9.0, 3, 5.0), i, 0.0);
    if (i == 10) o.result = WithReturns(Result(8.0, 50, -20.0), i, 0.0);
    if (i == 7) o.result = WithReturns(Result(5.0, 40, 14.9), i, 0.002);
    if (i == 4) o = JobOutcome{4, false, json(), "boom", 1};
    ASSERT_TRUE((*a)->Add(o).ok());
  }
  auto summary = (*a)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const json& o = (*summary)["overfitting"];
  EXPECT_EQ(o["trials"], 12);
  EXPECT_EQ(o["trials_failed"], 1);
  EXPECT_EQ(o["trials_rejected_by_constraints"], 2);
  EXPECT_EQ(o["runs_with_returns"], 11);
  const json& d = o["deflated_sharpe_ratio"];
  ASSERT_TRUE(d.is_object()) << o.dump();
  EXPECT_EQ(d["selected_run"], "sw-test/7");
  // The inputs are the selected run's own moments and the spread of all 11 Sharpe ratios.
  stats::Moments m7, sharpes;
  for (uint64_t i = 0; i < 12; ++i) {
    if (i == 4) continue;
    auto r = engine::DailyReturnsFromJson(
        WithReturns(json::object(), i, i == 7 ? 0.002 : 0.0, 600, i == 3 ? 17 : -1)["returns"]);
    stats::Moments m;
    for (double v : r->values) m.Add(v);
    sharpes.Add(m.Sharpe());
    if (i == 7) m7 = m;
  }
  EXPECT_EQ(d["observations"], 600);
  EXPECT_NEAR(d["sharpe_ratio"].get<double>(), m7.Sharpe(), 1e-12);
  EXPECT_NEAR(d["skewness"].get<double>(), m7.Skewness(), 1e-9);
  EXPECT_NEAR(d["kurtosis"].get<double>(), m7.Kurtosis(), 1e-9);
  EXPECT_NEAR(d["sharpe_variance"].get<double>(), sharpes.Variance(), 1e-12);
  auto expected = stats::ComputeDeflatedSharpe(
      {m7.Sharpe(), 600, m7.Skewness(), m7.Kurtosis(), sharpes.Variance(), 12});
  ASSERT_TRUE(expected);
  EXPECT_NEAR(d["value"].get<double>(), expected->dsr, 1e-9);
  EXPECT_NEAR(d["sr0"].get<double>(), stats::ExpectedMaxSharpe(sharpes.Variance(), 12), 1e-12);
  const json& p = o["probability_of_backtest_overfitting"];
  ASSERT_TRUE(p.is_object()) << o.dump();
  EXPECT_EQ(p["cscv_blocks"], 16);
  EXPECT_EQ(p["cscv_splits"], 12870);
  EXPECT_EQ(p["configurations"], 11);
  EXPECT_GE(p["value"].get<double>(), 0);
  EXPECT_LE(p["value"].get<double>(), 1);
  EXPECT_TRUE(o["performance_degradation"]["slope"].is_number());
  EXPECT_TRUE(o["probability_of_oos_loss"].is_number());

  // returns.csv: every day any run has, a column per run with returns, an empty cell for the
  // day job 3 has none.
  const auto csv = ReadCsv(Slurp(dir / "returns.csv"));
  ASSERT_EQ(csv.size(), 601u);
  ASSERT_EQ(csv[0].size(), 12u);
  EXPECT_EQ(csv[0][0], "date");
  EXPECT_EQ(csv[0][1], "sw-test/0");
  EXPECT_EQ(csv[0][4], "sw-test/3");
  EXPECT_EQ(csv[0][5], "sw-test/5");  // job 4 failed: no column
  EXPECT_EQ(csv[1][0], "2020-01-01");
  EXPECT_EQ(csv[18][0], "2020-01-18");
  EXPECT_EQ(csv[18][4], "");
  EXPECT_NE(csv[19][4], "");
  fs::remove_all(dir);
}

TEST(Analysis, VariantStatisticsAgainstTheNamedBaselineWithHolm) {
  constexpr const char* kVariants = R"(variant_config:
  name: v
  base_operation: b.yaml
  variants:
    - {name: first, overrides: {}}
    - {name: base, overrides: {}}
    - {name: strong, overrides: {}}
    - {name: weak, overrides: {}}
  comparison_config:
    baseline: base
)";
  auto space = testing::SpaceOfText(kVariants);
  auto dir = TempDir("variant-statistics");
  auto a = SweepAnalyzer::Open(space, {"sw-v", "", ""}, {dir});
  ASSERT_TRUE(a.ok());
  // 2,000 days; `strong` earns 0.15 sd a day more than the baseline, the others nothing more.
  const double edge[] = {0.0, 0.0, 0.0015, 0.0};
  for (uint64_t i = 0; i < 4; ++i)
    ASSERT_TRUE(
        (*a)->Add({i, true, WithReturns(Result(1.0, 20, 5.0), 50 + i, edge[i], 2000), "", 1}).ok());
  auto summary = (*a)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const json& s = (*summary)["statistics"];
  EXPECT_EQ(s["baseline"], "base");
  ASSERT_EQ(s["variants"].size(), 3u);
  EXPECT_EQ(s["variants"][0]["variant"], "first");
  EXPECT_EQ(s["variants"][1]["variant"], "strong");
  EXPECT_EQ(s["variants"][2]["variant"], "weak");
  const json& strong = s["variants"][1];
  EXPECT_GT(strong["ci_low"].get<double>(), 0) << strong.dump();
  EXPECT_LT(strong["holm_p_value"].get<double>(), 0.05) << strong.dump();
  EXPECT_EQ(strong["observations"], 2000);
  // Holm: the adjusted p-values are the step-down of the three raw ones.
  std::vector<double> p;
  for (const auto& v : s["variants"]) p.push_back(v["p_value"].get<double>());
  const auto holm = stats::HolmAdjust(p);
  for (size_t k = 0; k < 3; ++k)
    EXPECT_DOUBLE_EQ(s["variants"][k]["holm_p_value"].get<double>(), holm[k]);
  EXPECT_GT(s["variants"][2]["p_value"].get<double>(), 0.01);  // no edge
  fs::remove_all(dir);
}

TEST(Analysis, TooFewDaysForCscvStillGiveTheDeflatedSharpe) {
  // 20 days in 16 blocks: CSCV cannot split them (no block sums are kept); DSR needs none.
  auto space = testing::SpaceOfText(kPlan);
  auto dir = TempDir("overfitting-short");
  auto a = SweepAnalyzer::Open(space, {"sw-test", "", ""}, {dir});
  ASSERT_TRUE(a.ok());
  for (uint64_t i = 0; i < space.size(); ++i)
    ASSERT_TRUE(
        (*a)->Add({i, true,
                   WithReturns(Result(1.0 + 0.01 * static_cast<double>(i), 20, 5.0), i, 0.001, 20),
                   "", 1})
            .ok());
  auto summary = (*a)->Finish();
  ASSERT_TRUE(summary.ok());
  const json& o = (*summary)["overfitting"];
  EXPECT_TRUE(o["probability_of_backtest_overfitting"].is_null());
  EXPECT_TRUE(o["performance_degradation"].is_null());
  EXPECT_TRUE(o["probability_of_oos_loss"].is_null());
  EXPECT_NE(o.value("probability_of_backtest_overfitting_note", "").find("fewer than 2 days"),
            std::string::npos)
      << o.dump();
  ASSERT_TRUE(o["deflated_sharpe_ratio"].is_object()) << o.dump();
  EXPECT_EQ(o["deflated_sharpe_ratio"]["observations"], 20);
  EXPECT_EQ(o["deflated_sharpe_ratio"]["selected_run"], "sw-test/11");
  fs::remove_all(dir);
}

TEST(Analysis, NoSelectionMeansNoDeflatedSharpeButStillAPbo) {
  auto space = testing::SpaceOfText(std::string(kPlan) + "  overfitting: {cscv_blocks: 8}\n");
  auto dir = TempDir("overfitting-none");
  auto a = SweepAnalyzer::Open(space, {"sw-test", "", ""}, {dir});
  ASSERT_TRUE(a.ok());
  for (uint64_t i = 0; i < space.size(); ++i)
    ASSERT_TRUE((*a)->Add({i, true, WithReturns(Result(1.0, 3, 5.0), i, 0.0), "", 1}).ok());
  auto summary = (*a)->Finish();
  ASSERT_TRUE(summary.ok());
  const json& o = (*summary)["overfitting"];
  EXPECT_TRUE(o["deflated_sharpe_ratio"].is_null());
  EXPECT_NE(o.value("deflated_sharpe_ratio_note", "").find("none meets the constraints"),
            std::string::npos);
  EXPECT_EQ(o["trials_rejected_by_constraints"], 12);
  EXPECT_EQ(o["probability_of_backtest_overfitting"]["cscv_blocks"], 8);   // the plan's
  EXPECT_EQ(o["probability_of_backtest_overfitting"]["cscv_splits"], 70);  // C(8, 4)
  EXPECT_FALSE(fs::exists(dir / "returns.csv"));                           // not asked for
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::producer
