// Validation folds through the real engine: folds never leak. Two data sets identical up to the
// last fold's out-of-sample window and wildly different after it give bit-identical in-sample
// results and the same winner in every fold, while the out-of-sample numbers of that last fold
// differ; and an in-sample job gets no bar after its window at all.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/calendar.h"
#include "engine/data.h"
#include "engine/job.h"
#include "engine/result.h"
#include "producer/analysis.h"
#include "producer/local_run.h"
#include "producer/plan_summary.h"
#include "producer/reproduce.h"
#include "producer/sweep_request.h"

namespace s1mple::producer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("s1mple-validation-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// 366 days of hourly synthetic bars from 2020-01-01; from `pathological_from` on (a day) the
// prices are replaced by a violent zig-zag (still valid OHLC).
void WriteBars(const fs::path& path, std::optional<engine::DayNumber> pathological_from) {
  engine::DataSpec spec;
  spec.seed = 11;
  spec.bars = 366 * 24;
  spec.interval = engine::Interval::k1h;
  auto bars = engine::GenerateSyntheticBars(spec);
  ASSERT_TRUE(bars.ok());
  const engine::BarSeries& b = **bars;
  std::ofstream out(path);
  out << "timestamp,open,high,low,close,volume\n";
  out.precision(17);
  double level = b.close[0];
  for (size_t i = 0; i < b.size(); ++i) {
    double o = b.open[i], h = b.high[i], l = b.low[i], c = b.close[i];
    if (pathological_from && engine::DayOfTimestamp(b.ts_ms[i]) >= *pathological_from) {
      o = level;
      c = level * (i % 7 < 3 ? 1.09 : 0.93);
      level = c;
      h = std::max(o, c) * 1.04;
      l = std::min(o, c) * 0.96;
    } else {
      level = c;
    }
    out << engine::FormatIsoTimestamp(engine::TimestampMs{b.ts_ms[i]}) << "," << o << "," << h
        << "," << l << "," << c << "," << b.volume[i] << "\n";
  }
}

std::string Operation(const fs::path& data) {
  const fs::path root = fs::current_path();
  return "name: leak_test\noperators: " + (root / "config/operators.yaml").string() +
         "\nstrategy_links:\n  - name: ema_cross\n    strategy_blueprint: " +
         (root / "config/strategies/ema_cross.yaml").string() +
         "\n    environment:\n      data: {source: csv, path: " + data.string() +
         "}\n      initial_capital: 10000\n      fees_bps: 5\n      periods_per_year: 365\n";
}

std::string Plan(const fs::path& operation) {
  return "optimization_config:\n  name: leak\n  base_operation: " + operation.string() +
         "\n  parameter_space:\n    - worker_category: opportunity_workers\n"
         "      worker_plugin: trend_follower\n      parameters:\n"
         "        fast_period: {start: 6, end: 20, step: 2}\n"
         "        slow_period: {values: [30, 50, 80]}\n"
         "  constraints: {min_trades: 3}\n"
         "  validation:\n    walk_forward: {train: 90d, test: 60d, step: 60d}\n";
}

struct Swept {
  std::vector<JobOutcome> outcomes;
  json summary;
  std::shared_ptr<const PreparedSweep> sweep;
};

Swept RunAll(const fs::path& dir) {
  Swept s;
  auto sweep = PrepareSweep(dir / "plan.yaml", PlanKind::kOptimization);
  EXPECT_TRUE(sweep.ok()) << sweep.status().ToString();
  if (!sweep.ok()) return s;
  s.sweep = std::make_shared<const PreparedSweep>(std::move(sweep).value());
  InProcessRunner runner(*s.sweep);
  AnalysisOptions options;
  options.out_dir = dir / "out";
  auto analyzer = SweepAnalyzer::Open(*s.sweep->space, {"sw-leak", "t0", "t1"}, options);
  EXPECT_TRUE(analyzer.ok());
  for (uint64_t i = 0; i < s.sweep->job_count(); ++i) {
    s.outcomes.push_back(runner.Run(i));
    EXPECT_TRUE(s.outcomes.back().ok) << i << ": " << s.outcomes.back().failure_reason;
    EXPECT_TRUE((*analyzer)->Add(s.outcomes.back()).ok());
  }
  auto summary = (*analyzer)->Finish();
  EXPECT_TRUE(summary.ok());
  s.summary = summary.ok() ? *summary : json();
  return s;
}

TEST(ValidationFolds, NoOutOfSampleBarReachesTheSelection) {
  const fs::path a = TempDir("a"), b = TempDir("b");
  // Fold 3 (the last) tests days 270..329; everything before is identical in both sets.
  const engine::DayNumber last_oos = *engine::ParseIsoDate("2020-01-01") + 270;
  WriteBars(a / "data.csv", std::nullopt);
  WriteBars(b / "data.csv", last_oos);
  for (const fs::path& d : {a, b}) {
    std::ofstream(d / "operation.yaml") << Operation(d / "data.csv");
    std::ofstream(d / "plan.yaml") << Plan(d / "operation.yaml");
  }
  const Swept sa = RunAll(a), sb = RunAll(b);
  ASSERT_TRUE(sa.sweep && sb.sweep);
  const JobSpace& space = *sa.sweep->space;
  ASSERT_EQ(space.configurations(), 24u);
  ASSERT_EQ(space.segments(), 8u);  // 4 folds x (IS, OOS)
  ASSERT_EQ(engine::FormatIsoDate(space.schedule()->folds[3].oos_start), "2020-09-27");
  uint64_t oos_differs = 0;
  for (uint64_t i = 0; i < space.size(); ++i) {
    const Segment& seg = space.schedule()->segments[space.SegmentOf(i)];
    const bool before = seg.end_day <= last_oos;
    if (before) {
      // Every IS job (and every OOS job before the last window): bit-identical results.
      EXPECT_EQ(sa.outcomes[i].result.dump(), sb.outcomes[i].result.dump())
          << "job " << i << " fold " << seg.fold << " " << SegmentKindName(seg.kind);
    } else {
      EXPECT_EQ(seg.kind, SegmentKind::kOutOfSample);
      oos_differs += sa.outcomes[i].result["metrics"] != sb.outcomes[i].result["metrics"];
    }
  }
  EXPECT_EQ(oos_differs, space.configurations());  // the data differ there, so do the numbers
  const json& fa = sa.summary["validation"]["folds"];
  const json& fb = sb.summary["validation"]["folds"];
  ASSERT_EQ(fa.size(), 4u);
  for (size_t f = 0; f < 4; ++f) {
    ASSERT_FALSE(fa[f]["winner"].is_null()) << f;
    EXPECT_EQ(fa[f]["winner"]["configuration_index"], fb[f]["winner"]["configuration_index"]);
    EXPECT_EQ(fa[f]["winner"]["in_sample"], fb[f]["winner"]["in_sample"]);
    // The winner is the best IS Sharpe ratio among the runs meeting the constraints.
    double best = -1e300;
    for (uint64_t c = 0; c < space.configurations(); ++c) {
      const json& r = sa.outcomes[(2 * f) * space.configurations() + c].result;
      if (r["metrics"]["total_trades"].get<double>() >= 3 &&
          r["metrics"]["sharpe_ratio"].is_number())
        best = std::max(best, r["metrics"]["sharpe_ratio"].get<double>());
    }
    EXPECT_EQ(fa[f]["winner"]["in_sample"]["sharpe_ratio"].get<double>(), best) << f;
  }
  EXPECT_NE(fa[3]["winner"]["out_of_sample"], fb[3]["winner"]["out_of_sample"]);
  EXPECT_EQ(fa[2]["winner"]["out_of_sample"], fb[2]["winner"]["out_of_sample"]);
  // The IS and OOS numbers of a fold's winner come from different data and differ.
  EXPECT_NE(fa[0]["winner"]["in_sample"]["total_return"],
            fa[0]["winner"]["out_of_sample"]["total_return"]);
  // Each job traded inside its own window only.
  for (uint64_t i : {uint64_t{0}, uint64_t{24 * 7 + 5}}) {
    const Segment& seg = space.schedule()->segments[space.SegmentOf(i)];
    const json& period = sa.outcomes[i].result["period"];
    EXPECT_EQ(period["start"].get<std::string>().substr(0, 10),
              engine::FormatIsoDate(seg.start_day));
    EXPECT_EQ(period["end"].get<std::string>().substr(0, 10),
              engine::FormatIsoDate(seg.end_day - 1));
  }
  // Stitched OOS covers the four OOS windows back to back: 4 x 60 days.
  EXPECT_EQ(sa.summary["validation"]["stitched_out_of_sample"]["days"], 240);
  fs::remove_all(a);
  fs::remove_all(b);
}

// CPCV through the engine: each split's winner is the configuration with the highest daily
// Sharpe ratio over its train days without the embargoed ones, recomputed here from the jobs'
// own returns; every group is tested in C(5, 1) = 5 splits, which gives 2/6 x 15 = 5 paths.
TEST(ValidationFolds, CpcvSelectsOnTheTrainDaysAlone) {
  const fs::path d = TempDir("cpcv");
  WriteBars(d / "data.csv", std::nullopt);
  std::ofstream(d / "operation.yaml") << Operation(d / "data.csv");
  std::string plan = Plan(d / "operation.yaml");
  plan.replace(plan.find("  validation:"), std::string::npos,
               "  validation:\n    cpcv: {groups: 6, test_groups: 2, embargo: 5d}\n");
  std::ofstream(d / "plan.yaml") << plan;
  const Swept s = RunAll(d);
  ASSERT_TRUE(s.sweep);
  const JobSpace& space = *s.sweep->space;
  const FoldSchedule& folds = *space.schedule();
  ASSERT_EQ(space.size(), 24u * 6);
  const json& v = s.summary["validation"];
  ASSERT_EQ(v["splits_detail"].size(), 15u);
  ASSERT_EQ(v["paths"].size(), 5u);
  const uint64_t configs = space.configurations();
  auto returns = [&](uint64_t config, uint32_t group) {
    return engine::DailyReturnsFromJson(s.outcomes[group * configs + config].result["returns"])
        .value();
  };
  for (size_t k = 0; k < folds.splits.size(); ++k) {
    const CpcvSplit& split = folds.splits[k];
    std::optional<uint64_t> best;
    double best_sr = 0;
    for (uint64_t c = 0; c < configs; ++c) {
      double n = 0, sum = 0, sq = 0, trades = 0;
      for (uint32_t g : split.train_groups) {
        trades += s.outcomes[g * configs + c].result["metrics"]["total_trades"].get<double>();
        const auto r = returns(c, g);
        for (size_t i = 0; i < r.size(); ++i) {
          bool embargoed = false;
          for (const auto& [from, to] : split.embargoed)
            embargoed = embargoed || (r.days[i] >= from && r.days[i] < to);
          if (embargoed || !std::isfinite(r.values[i])) continue;
          n += 1;
          sum += r.values[i];
          sq += r.values[i] * r.values[i];
        }
      }
      if (trades < 3 || n < 2) continue;
      const double mean = sum / n, sd = std::sqrt((sq - n * mean * mean) / (n - 1));
      if (!(sd > 0)) continue;
      if (!best || mean / sd > best_sr) {
        best = c;
        best_sr = mean / sd;
      }
    }
    ASSERT_TRUE(best) << k;
    EXPECT_EQ(v["splits_detail"][k]["winner"], *best) << "split " << k;
    EXPECT_NEAR(v["splits_detail"][k]["in_sample_sharpe_per_day"].get<double>(), best_sr, 1e-9);
  }
  EXPECT_TRUE(s.summary["best_configuration"].is_null());
  fs::remove_all(d);
}

// The same sweep selecting by total_return under constraints on the Sharpe ratio and the drawdown
// of the joined train groups: each split's winner recomputed here from the jobs' own returns
// (kept days compounded; Sharpe annualized by sqrt(365), the operation's periods_per_year; the
// drawdown of the compounded days, or a whole train group's own per-bar one when larger).
TEST(ValidationFolds, CpcvSelectsByThePlansMetricUnderItsConstraints) {
  const fs::path d = TempDir("cpcv-return");
  WriteBars(d / "data.csv", std::nullopt);
  std::ofstream(d / "operation.yaml") << Operation(d / "data.csv");
  std::string plan = Plan(d / "operation.yaml");
  plan.replace(plan.find("  constraints:"), std::string::npos,
               "  optimization_targets: {primary_metric: total_return}\n"
               "  constraints: {min_trades: 3, min_sharpe_ratio: 0.3, max_drawdown: 6}\n"
               "  validation:\n    cpcv: {groups: 6, test_groups: 2, embargo: 5d}\n");
  std::ofstream(d / "plan.yaml") << plan;
  const Swept s = RunAll(d);
  ASSERT_TRUE(s.sweep);
  const JobSpace& space = *s.sweep->space;
  const FoldSchedule& folds = *space.schedule();
  const json& v = s.summary["validation"];
  EXPECT_EQ(v["primary_metric"], "total_return");
  ASSERT_EQ(v["splits_detail"].size(), 15u);
  const uint64_t configs = space.configurations();
  uint64_t refused = 0, constraints_matter = 0, winners = 0;
  for (size_t k = 0; k < folds.splits.size(); ++k) {
    const CpcvSplit& split = folds.splits[k];
    std::optional<uint64_t> best, free_best;
    double best_v = 0, free_v = 0;
    for (uint64_t c = 0; c < configs; ++c) {
      std::vector<double> kept;
      double trades = 0, group_dd = 0;
      for (uint32_t g : split.train_groups) {
        const json& result = s.outcomes[g * configs + c].result;
        trades += result["metrics"]["total_trades"].get<double>();
        const auto r = engine::DailyReturnsFromJson(result["returns"]).value();
        bool cut = false;
        for (size_t i = 0; i < r.size(); ++i) {
          bool embargoed = false;
          for (const auto& [from, to] : split.embargoed)
            embargoed = embargoed || (r.days[i] >= from && r.days[i] < to);
          cut = cut || embargoed;
          if (!embargoed && std::isfinite(r.values[i])) kept.push_back(r.values[i]);
        }
        if (!cut) group_dd = std::max(group_dd, result["metrics"]["max_drawdown"].get<double>());
      }
      double growth = 1, peak = 1, dd = 0, mean = 0, ss = 0;
      for (double r : kept) {
        growth *= 1 + r;
        peak = std::max(peak, growth);
        dd = std::max(dd, (peak - growth) / peak * 100);
        mean += r;
      }
      mean /= static_cast<double>(kept.size());
      for (double r : kept) ss += (r - mean) * (r - mean);
      const double sharpe =
          mean / std::sqrt(ss / static_cast<double>(kept.size() - 1)) * std::sqrt(365.0);
      const double total_return = (growth - 1) * 100;
      dd = std::max(dd, group_dd);
      if (!free_best || total_return > free_v) {
        free_best = c;
        free_v = total_return;
      }
      if (trades < 3 || sharpe < 0.3 || dd > 6) {
        ++refused;
        continue;
      }
      if (!best || total_return > best_v) {
        best = c;
        best_v = total_return;
      }
    }
    const json& sj = v["splits_detail"][k];
    constraints_matter += best != free_best;
    if (!best) {
      EXPECT_TRUE(sj["winner"].is_null()) << "split " << k;
      continue;
    }
    ++winners;
    ASSERT_FALSE(sj["winner"].is_null()) << "split " << k;
    EXPECT_EQ(sj["winner"], *best) << "split " << k;
    EXPECT_NEAR(sj["in_sample_value"].get<double>(), best_v, 1e-9 * std::max(1.0, best_v));
    EXPECT_EQ(sj["in_sample"]["total_return"], sj["in_sample_value"]);
    EXPECT_LE(sj["in_sample"]["max_drawdown"].get<double>(), 6);
    EXPECT_GE(sj["in_sample"]["sharpe_ratio"].get<double>(), 0.3);
  }
  EXPECT_GT(winners, 0u);
  EXPECT_GT(refused, 0u) << "no configuration fails the constraints";
  EXPECT_GT(constraints_matter, 0u) << "the constraints never change a split's winner";
  EXPECT_TRUE(v["probability_of_backtest_overfitting"].is_number());
  ASSERT_EQ(v["paths"].size(), 5u);
  for (const auto& p : v["paths"]) EXPECT_TRUE(p.contains("value"));
  fs::remove_all(d);
}

// `s1mple job` says what a validation job is: its configuration and segment (or CPCV group) and
// the segment's days, the same whether the job comes from the plan or from a stored sweep with
// its plan summary; a stored sweep without one still gets the job's period.
TEST(ValidationFolds, AJobOfAFoldSweepSaysWhichConfigurationAndSegmentItIs) {
  const fs::path d = TempDir("describe");
  WriteBars(d / "data.csv", std::nullopt);
  std::ofstream(d / "operation.yaml") << Operation(d / "data.csv");
  const std::string wf = Plan(d / "operation.yaml");
  std::string cpcv = wf;
  cpcv.replace(cpcv.find("  validation:"), std::string::npos,
               "  validation:\n    cpcv: {groups: 6, test_groups: 2, embargo: 5d}\n");
  for (const std::string& text : {wf, cpcv}) {
    std::ofstream(d / "plan.yaml") << text;
    auto sweep = PrepareSweep(d / "plan.yaml", PlanKind::kOptimization);
    ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
    const JobSpace& space = *sweep->space;
    const FoldSchedule& folds = *space.schedule();
    const uint64_t index = 3 * space.configurations() + 5;  // configuration 5, segment 3
    const Segment& seg = folds.segments[3];
    auto job = JobFromPlan(d / "plan.yaml", index);
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    const std::string days = engine::FormatIsoDate(seg.start_day) + " .. " +
                             engine::FormatIsoDate(seg.end_day - 1) + " (" +
                             std::to_string(seg.end_day - seg.start_day) + " days)";
    if (folds.mode == ValidationMode::kCpcv) {
      EXPECT_EQ(job->segment, "configuration 5 of 24, cpcv group 3 of 6: " + days +
                                  "; tested in 5 of 15 splits, a train group in the other 10");
    } else {
      // Segment 3 is fold 1's out-of-sample window.
      EXPECT_EQ(job->segment,
                "configuration 5 of 24, walk_forward fold 1 of 4 out-of-sample segment: " + days);
    }
    EXPECT_EQ(job->description, space.Describe(5));
    // The window is the job's own period.
    EXPECT_EQ(job->overrides["period"]["start"].get<std::string>().substr(0, 10),
              engine::FormatIsoDate(seg.start_day));
    StoredJob stored{{"sw-0123456789ab", index},
                     job->overrides.dump(),
                     text,
                     PlanSummaryText(space),
                     {{kRoleOperation, "x"}, {kRoleBlueprint, "y"}}};
    auto from_store = JobFromStored(stored);
    ASSERT_TRUE(from_store.ok()) << from_store.status().ToString();
    EXPECT_EQ(from_store->segment, job->segment);
    EXPECT_EQ(from_store->description, job->description);
    stored.plan_summary.reset();
    from_store = JobFromStored(stored);
    ASSERT_TRUE(from_store.ok());
    EXPECT_EQ(from_store->segment,
              "a validation fold segment (the sweep keeps no data range to cut the folds from); "
              "its period: " +
                  job->overrides["period"]["start"].get<std::string>() + " .. " +
                  job->overrides["period"]["end"].get<std::string>());
  }
  fs::remove_all(d);
}

TEST(ValidationFolds, AJobWithAPeriodEndGetsNoLaterBar) {
  // A CSV whose bars after 2020-06-30 are refused by no parser but would make any plugin that
  // reads the whole series see them: the job's result must not change when they are removed.
  const fs::path d = TempDir("cut");
  WriteBars(d / "data.csv", std::nullopt);
  std::ifstream in(d / "data.csv");
  std::ofstream cut(d / "cut.csv");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("2020-07", 0) != 0 && line.rfind("2020-08", 0) != 0 &&
        line.rfind("2020-09", 0) != 0 && line.rfind("2020-1", 0) != 0)
      cut << line << "\n";
  cut.close();
  auto read = [](const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  const std::string full = read(d / "data.csv"), head = read(d / "cut.csv");
  ASSERT_LT(head.size(), full.size());
  const std::string op = Operation(d / "data.csv");
  std::ifstream bp_in("config/strategies/ema_cross.yaml");
  std::stringstream bp;
  bp << bp_in.rdbuf();
  std::ifstream ops_in("config/operators.yaml");
  std::stringstream ops;
  ops << ops_in.rdbuf();
  const json overrides = {
      {"period", {{"start", "2020-03-01T00:00:00Z"}, {"end", "2020-06-30T23:59:59Z"}}}};
  auto run = [&](const std::string& csv, const std::string& key) {
    engine::JobRunner runner{engine::JobRunnerOptions{}};
    engine::JobSpec job;
    job.origin = "job t/0";
    job.operation_yaml = op;
    const std::string blueprint = bp.str(), operators = ops.str();
    job.blueprint_yaml = blueprint;
    job.operators_yaml = operators;
    job.overrides = &overrides;
    job.csv = &csv;
    job.csv_key = key;
    auto r = runner.Run(job);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r.result;
  };
  const auto a = run(full, "full"), b = run(head, "head");
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(a["period"]["end"].get<std::string>().substr(0, 10), "2020-06-30");
  fs::remove_all(d);
}

}  // namespace
}  // namespace s1mple::producer
