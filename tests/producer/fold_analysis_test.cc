// CPCV selection on the union of a split's train groups (producer/fold_analysis.h): the union's
// metrics are the engine's metrics of the groups' curves and trades joined back to back
// (engine::ComputeMetrics on the concatenation, computed here independently), and each split
// selects by the plan's primary metric and direction under the plan's constraints on that union.
#include "producer/fold_analysis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/calendar.h"
#include "engine/result.h"
#include "producer/analysis.h"
#include "producer/validation.h"
#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

using engine::EquityPoint;
using engine::Trade;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr int64_t kDayMs = 86'400'000;
constexpr double kPeriodsPerYear = 365;

// One group run made up here: an equity curve of one bar a day (so the per-bar drawdown is the
// daily one) and some trades inside it.
struct GroupCurve {
  std::vector<EquityPoint> equity;
  std::vector<Trade> trades;
};

// A deterministic walk for (config, group): drift and volatility depend on the configuration,
// the shocks on both (a 64-bit LCG, portable).
GroupCurve MakeCurve(uint64_t config, uint32_t group, const Segment& seg) {
  uint64_t state = 0x9E3779B97F4A7C15ull * (config + 1) + 0xBF58476D1CE4E5B9ull * (group + 7);
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
  };
  const double drift[] = {0.0015, 0.0060, -0.0005, 0.0022};
  const double vol[] = {0.006, 0.030, 0.010, 0.012};
  GroupCurve g;
  double e = 10'000;
  for (engine::DayNumber d = seg.start_day; d < seg.end_day; ++d) {
    if (d > seg.start_day) e *= 1 + drift[config] + vol[config] * (2 * uniform() - 1);
    g.equity.push_back({engine::TimestampMs{engine::DayStartMs(d)}, e});
  }
  // 3 to 6 trades, some winning, lasting 5 to 53 hours.
  const int n = 3 + static_cast<int>(uniform() * 4);
  for (int i = 0; i < n; ++i) {
    Trade t;
    t.entry_time = engine::TimestampMs{engine::DayStartMs(seg.start_day + i)};
    t.exit_time = engine::TimestampMs{t.entry_time.v +
                                      (5 + static_cast<int64_t>(uniform() * 48)) * 3'600'000};
    t.pnl = engine::Money{uniform() < 0.3 + 0.1 * static_cast<double>(config) ? 25.0 : -10.0};
    g.trades.push_back(t);
  }
  return g;
}

json ResultOf(const GroupCurve& g) {
  engine::BacktestResult r;
  r.name = "t";
  r.equity = g.equity;
  r.trades = g.trades;
  r.metrics = engine::ComputeMetrics(r.equity, r.trades, kPeriodsPerYear);
  r.daily_returns = engine::ComputeDailyReturns(r.equity);
  r.causality.opportunities_detected = static_cast<int64_t>(g.trades.size()) * 2;
  r.bars = static_cast<int64_t>(g.equity.size());
  r.period_start = g.equity.front().ts;
  r.period_end = g.equity.back().ts;
  engine::JsonOptions o;
  o.include_trades = false;
  return engine::ToJson(r, o);
}

// The curves of `groups` joined: each group's curve scaled to start where the previous one
// ended, the trades one after another: what one run over those days back to back would give.
GroupCurve Join(const std::vector<const GroupCurve*>& parts) {
  GroupCurve j;
  for (const GroupCurve* p : parts) {
    const double scale = j.equity.empty() ? 1.0 : j.equity.back().equity / p->equity.front().equity;
    for (const auto& pt : p->equity) j.equity.push_back({pt.ts, pt.equity * scale});
    j.trades.insert(j.trades.end(), p->trades.begin(), p->trades.end());
  }
  return j;
}

struct Fixture {
  std::shared_ptr<const Plan> plan;
  std::shared_ptr<const FoldSchedule> schedule;
  std::unique_ptr<JobSpace> space;
  std::vector<std::vector<GroupCurve>> curves;  // [group][config]
  ojson block;
};

Fixture Analyze(const std::string& plan_tail) {
  Fixture f;
  auto plan = testing::ParseText(std::string("optimization_config:\n  name: t\n"
                                             "  base_operation: x.yaml\n  parameter_space:\n"
                                             "    - worker_category: opportunity_workers\n"
                                             "      worker_plugin: trend_follower\n"
                                             "      parameters:\n"
                                             "        fast_period: {values: [5, 8, 13, 21]}\n") +
                                 plan_tail);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  if (!plan.ok()) return f;
  f.plan = std::make_shared<const Plan>(std::move(plan).value());
  const DataRange range{engine::DayStartMs(*engine::ParseIsoDate("2020-01-01")),
                        engine::DayStartMs(*engine::ParseIsoDate("2020-06-28"))};  // 180 days
  auto cut = MakeSchedule(f.plan->validation, range, "t");
  EXPECT_TRUE(cut.ok()) << cut.status().ToString();
  f.schedule = std::make_shared<const FoldSchedule>(std::move(cut).value());
  auto space = JobSpace::Make(f.plan, f.schedule);
  EXPECT_TRUE(space.ok()) << space.status().ToString();
  f.space = std::make_unique<JobSpace>(std::move(space).value());
  FoldAnalysis a(*f.space);
  const uint64_t configs = f.space->configurations();
  f.curves.resize(f.schedule->segments.size());
  for (uint64_t i = 0; i < f.space->size(); ++i) {
    const uint32_t g = static_cast<uint32_t>(f.space->SegmentOf(i));
    f.curves[g].push_back(MakeCurve(f.space->ConfigOf(i), g, f.schedule->segments[g]));
    const json r = ResultOf(f.curves[g].back());
    a.Add(i, true, r, CheckConstraints(*f.plan, r).ok);
  }
  EXPECT_EQ(configs, 4u);
  f.block = a.Block([](uint64_t i) { return "run/" + std::to_string(i); });
  return f;
}

// The engine's metrics of configuration c over the train groups of `split` (no embargo here).
engine::Metrics TrainMetrics(const Fixture& f, const CpcvSplit& split, uint64_t c) {
  std::vector<const GroupCurve*> parts;
  for (uint32_t g : split.train_groups) parts.push_back(&f.curves[g][c]);
  const GroupCurve j = Join(parts);
  return engine::ComputeMetrics(j.equity, j.trades, kPeriodsPerYear);
}

double TrainDays(const Fixture& f, const CpcvSplit& split) {
  double days = 0;
  for (uint32_t g : split.train_groups)
    days +=
        static_cast<double>(f.schedule->segments[g].end_day - f.schedule->segments[g].start_day);
  return days;
}

void ExpectRelNear(double actual, double expected, double rel, const std::string& what) {
  EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::fabs(expected))) << what;
}

TEST(CpcvUnion, MetricsAreTheEnginesOnTheJoinedCurve) {
  const Fixture f = Analyze("  validation: {cpcv: {groups: 4, test_groups: 1}}\n");
  ASSERT_TRUE(f.space);
  const ojson& splits = f.block["splits_detail"];
  ASSERT_EQ(splits.size(), 4u);
  for (size_t k = 0; k < splits.size(); ++k) {
    const CpcvSplit& split = f.schedule->splits[k];
    ASSERT_FALSE(splits[k]["winner"].is_null()) << k;
    const uint64_t w = splits[k]["winner"].get<uint64_t>();
    const engine::Metrics m = TrainMetrics(f, split, w);
    const ojson& is = splits[k]["in_sample"];
    const std::string at = "split " + std::to_string(k);
    // The returns a result carries have 10 significant digits: agreement to about 1e-9.
    ExpectRelNear(is["sharpe_ratio"].get<double>(), *m.sharpe_ratio, 1e-8, at + " sharpe");
    ExpectRelNear(is["sortino_ratio"].get<double>(), *m.sortino_ratio, 1e-8, at + " sortino");
    ExpectRelNear(is["total_return"].get<double>(), m.total_return, 1e-8, at + " total_return");
    ExpectRelNear(is["max_drawdown"].get<double>(), m.max_drawdown, 1e-8, at + " max_drawdown");
    EXPECT_EQ(is["total_trades"].get<int64_t>(), m.total_trades) << at;
    ExpectRelNear(is["win_rate"].get<double>(), *m.win_rate, 1e-12, at + " win_rate");
    ExpectRelNear(is["avg_trade_duration"].get<double>(), *m.avg_trade_duration, 1e-12,
                  at + " avg_trade_duration");
    // CAGR over the train groups' calendar days (three groups of 45 days).
    const double years = TrainDays(f, split) / 365.25;
    EXPECT_EQ(TrainDays(f, split), 135);
    const double cagr = (std::pow(1 + m.total_return / 100, 1 / years) - 1) * 100;
    ExpectRelNear(is["cagr"].get<double>(), cagr, 1e-8, at + " cagr");
    ExpectRelNear(is["calmar"].get<double>(), cagr / m.max_drawdown, 1e-8, at + " calmar");
    EXPECT_FALSE(is.contains("profit_factor")) << at;
    // The OOS side is the test group's own run: its engine metrics again.
    const json test = ResultOf(f.curves[split.test_groups[0]][w]);
    ExpectRelNear(splits[k]["out_of_sample"]["total_return"].get<double>(),
                  test["metrics"]["total_return"].get<double>(), 1e-8, at + " oos");
    ExpectRelNear(splits[k]["out_of_sample"]["max_drawdown"].get<double>(),
                  test["metrics"]["max_drawdown"].get<double>(), 1e-8, at + " oos drawdown");
  }
}

// The winner of a split by an independent computation: the engine on the joined curves, the
// plan's constraints, the primary metric and direction, ties to the lower configuration.
std::optional<uint64_t> Expected(const Fixture& f, const CpcvSplit& split,
                                 const std::string& metric, bool maximize, uint64_t* refused) {
  std::optional<uint64_t> best;
  double best_v = 0;
  for (uint64_t c = 0; c < 4; ++c) {
    engine::Metrics m = TrainMetrics(f, split, c);
    const double years = TrainDays(f, split) / 365.25;
    m.cagr = (std::pow(1 + m.total_return / 100, 1 / years) - 1) * 100;
    const json r{{"metrics", engine::MetricsToJson(m)}};
    if (!CheckConstraints(*f.plan, r).ok) {
      ++*refused;
      continue;
    }
    const auto v = MetricValue(r, metric);
    if (!v) continue;
    if (!best || (maximize ? *v > best_v : *v < best_v)) {
      best = c;
      best_v = *v;
    }
  }
  return best;
}

TEST(CpcvUnion, SelectsByThePrimaryMetricUnderTheConstraints) {
  struct Case {
    std::string tail, metric;
    bool maximize;
  };
  const std::vector<Case> cases = {
      {"  optimization_targets: {primary_metric: total_return}\n"
       "  constraints: {min_sharpe_ratio: 1.5, max_drawdown: 8}\n",
       "total_return", true},
      {"  optimization_targets: {primary_metric: sortino_ratio}\n"
       "  constraints: {min_win_rate: 35, min_trades: 7}\n",
       "sortino_ratio", true},
      {"  optimization_targets: {primary_metric: max_drawdown}\n"
       "  constraints: {min_cagr: 100}\n",
       "max_drawdown", false},
  };
  for (const Case& c : cases) {
    const Fixture f = Analyze(c.tail + "  validation: {cpcv: {groups: 4, test_groups: 2}}\n");
    ASSERT_TRUE(f.space) << c.tail;
    EXPECT_EQ(f.block["primary_metric"], c.metric);
    EXPECT_NE(f.block["selection"].get<std::string>().find("the best " + c.metric),
              std::string::npos);
    const ojson& splits = f.block["splits_detail"];
    ASSERT_EQ(splits.size(), 6u);
    uint64_t refused = 0, unconstrained_differs = 0, chosen = 0;
    for (size_t k = 0; k < splits.size(); ++k) {
      const CpcvSplit& split = f.schedule->splits[k];
      const auto want = Expected(f, split, c.metric, c.maximize, &refused);
      if (!want) {
        EXPECT_TRUE(splits[k]["winner"].is_null()) << c.metric << " split " << k;
        continue;
      }
      ++chosen;
      ASSERT_FALSE(splits[k]["winner"].is_null()) << c.metric << " split " << k;
      EXPECT_EQ(splits[k]["winner"].get<uint64_t>(), *want) << c.metric << " split " << k;
      EXPECT_EQ(splits[k]["in_sample_value"], splits[k]["in_sample"][c.metric]);
      // The constraints change the answer somewhere, or this test could not fail on them.
      std::optional<uint64_t> best;
      double best_v = 0;
      for (uint64_t cfg = 0; cfg < 4; ++cfg) {
        engine::Metrics m = TrainMetrics(f, split, cfg);
        m.cagr = (std::pow(1 + m.total_return / 100, 365.25 / TrainDays(f, split)) - 1) * 100;
        const auto v = MetricValue(json{{"metrics", engine::MetricsToJson(m)}}, c.metric);
        if (v && (!best || (c.maximize ? *v > best_v : *v < best_v))) {
          best = cfg;
          best_v = *v;
        }
      }
      unconstrained_differs += best != want;
    }
    EXPECT_GT(chosen, 0u) << c.metric;
    EXPECT_GT(refused, 0u) << c.metric << ": no configuration fails the constraints";
    EXPECT_GT(unconstrained_differs, 0u) << c.metric << ": the constraints never matter";
    // PBO is computed on the same metric: a share of the ranked splits.
    if (chosen > 0) {
      EXPECT_TRUE(f.block["probability_of_backtest_overfitting"].is_number());
    }
  }
}

TEST(CpcvUnion, EmbargoedDaysLeaveTheTrainUnion) {
  // Test group 1 of 4: the first 5 days of group 2 are embargoed, so the train union of
  // configuration c is groups 0 and 3 whole and group 2 from its 6th day.
  const Fixture f = Analyze("  validation: {cpcv: {groups: 4, test_groups: 1, embargo: 5d}}\n");
  ASSERT_TRUE(f.space);
  const CpcvSplit& split = f.schedule->splits[1];
  ASSERT_EQ(split.test_groups, (std::vector<uint32_t>{1}));
  ASSERT_EQ(split.embargoed.size(), 1u);
  const uint64_t w = f.block["splits_detail"][1]["winner"].get<uint64_t>();
  GroupCurve g2 = f.curves[2][w];
  // The days from the embargo's end: the curve from the close of its last embargoed day.
  g2.equity.erase(g2.equity.begin(), g2.equity.begin() + 4);
  const GroupCurve j = Join({&f.curves[0][w], &g2, &f.curves[3][w]});
  const engine::Metrics m = engine::ComputeMetrics(j.equity, {}, kPeriodsPerYear);
  const ojson& is = f.block["splits_detail"][1]["in_sample"];
  // (The joined curve has one flat return more, on the close it starts group 2 from, so only
  // the compounded figures compare.)
  ExpectRelNear(is["total_return"].get<double>(), m.total_return, 1e-8, "total_return");
  const double years = (45.0 + 40.0 + 45.0) / 365.25;
  ExpectRelNear(is["cagr"].get<double>(), (std::pow(1 + m.total_return / 100, 1 / years) - 1) * 100,
                1e-8, "cagr");
}

}  // namespace
}  // namespace s1mple::producer
