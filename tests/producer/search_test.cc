// optimization_config.search: random and Sobol search over a plan's job space
// (producer/search.h). Trials are distinct grid points, reproducible from the plan text, Sobol
// points are stratified in every 1-D projection, and bad sections are refused with file, YAML
// path and line.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

using nlohmann::json;
using testing::ErrorOf;
using testing::SpaceOfText;

// 5 fast x 10 slow x 20 ATR = 1,000 grid points; `search` is appended verbatim.
std::string Plan1000(const std::string& search) {
  return R"(optimization_config:
  name: "search test"
  base_operation: "config/operations/ema_cross.yaml"
  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period: {start: 5, end: 9, step: 1}
        slow_period: {start: 60, end: 69, step: 1}
    - worker_category: "planning_workers"
      worker_phase: "exit_planning"
      worker_plugin: "atr_based_stops"
      parameters:
        atr_multiplier: {start: 1.0, end: 2.9, step: 0.1}
)" + search;
}

std::vector<uint64_t> Trials(const JobSpace& space) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < space.size(); ++i) out.push_back(space.GridIndexOf(i));
  return out;
}

TEST(Search, GridIsTheDefaultAndRunsEveryPoint) {
  auto space = SpaceOfText(Plan1000(""));
  EXPECT_EQ(space.size(), 1000u);
  EXPECT_EQ(space.grid_size(), 1000u);
  EXPECT_EQ(space.plan().search.method, SearchMethod::kGrid);
  EXPECT_EQ(space.GridIndexOf(417), 417u);
}

TEST(Search, RandomRunsBudgetDistinctPointsReproduciblyFromTheSeed) {
  auto a = SpaceOfText(Plan1000("  search: {method: random, budget: 50, seed: 7}\n"));
  ASSERT_EQ(a.size(), 50u);
  EXPECT_EQ(a.grid_size(), 1000u);
  const auto trials = Trials(a);
  EXPECT_EQ(std::set<uint64_t>(trials.begin(), trials.end()).size(), 50u) << "a trial repeats";
  for (uint64_t t : trials) EXPECT_LT(t, 1000u);
  // The same text gives the same trials in the same order; another seed others.
  EXPECT_EQ(Trials(SpaceOfText(Plan1000("  search: {method: random, budget: 50, seed: 7}\n"))),
            trials);
  EXPECT_NE(Trials(SpaceOfText(Plan1000("  search: {method: random, budget: 50, seed: 8}\n"))),
            trials);
  // Job i's overrides are those of its grid point.
  auto grid = SpaceOfText(Plan1000(""));
  for (uint64_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.Overrides(i), grid.Overrides(trials[i])) << i;
    EXPECT_EQ(a.Describe(i), grid.Describe(trials[i])) << i;
  }
}

TEST(Search, RandomCoversEveryValueOfEachParameterAboutEvenly) {
  auto space = SpaceOfText(Plan1000("  search: {method: random, budget: 500, seed: 1}\n"));
  std::map<json, int> fast;
  for (uint64_t i = 0; i < space.size(); ++i) {
    fast[space.Overrides(i)["opportunity_workers"]["trend_follower"]["params"]["fast_period"]]++;
  }
  ASSERT_EQ(fast.size(), 5u);
  for (const auto& [v, n] : fast) {
    EXPECT_GT(n, 70) << v;  // 100 expected; a binomial(500, 0.2) is below 70 with p < 0.1%
    EXPECT_LT(n, 130) << v;
  }
}

TEST(Search, SobolPointsAreStratifiedInEveryOneDimensionalProjection) {
  // 64 x 64 x 8 points: at budget 2^6 each 64-value axis takes every value once, the 8-value
  // axis each value 8 times -- for any seed (a digital shift keeps the stratification).
  const std::string plan = R"(optimization_config:
  name: "sobol"
  base_operation: "config/operations/ema_cross.yaml"
  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period: {start: 1, end: 64, step: 1}
        slow_period: {start: 101, end: 164, step: 1}
    - worker_category: "planning_workers"
      worker_phase: "exit_planning"
      worker_plugin: "atr_based_stops"
      parameters:
        atr_multiplier: {start: 1.0, end: 1.7, step: 0.1}
)";
  for (int seed : {0, 1, 12345}) {
    auto space = SpaceOfText(
        plan + "  search: {method: sobol, budget: 64, seed: " + std::to_string(seed) + "}\n");
    ASSERT_EQ(space.size(), 64u);
    std::map<json, int> fast, slow, atr;
    for (uint64_t i = 0; i < space.size(); ++i) {
      const json o = space.Overrides(i);
      fast[o["opportunity_workers"]["trend_follower"]["params"]["fast_period"]]++;
      slow[o["opportunity_workers"]["trend_follower"]["params"]["slow_period"]]++;
      atr[o["planning_workers"]["exit_planning"]["atr_based_stops"]["params"]["atr_multiplier"]]++;
    }
    EXPECT_EQ(fast.size(), 64u) << "seed " << seed;
    EXPECT_EQ(slow.size(), 64u) << "seed " << seed;
    ASSERT_EQ(atr.size(), 8u) << "seed " << seed;
    for (const auto& [v, n] : atr) EXPECT_EQ(n, 8) << "atr " << v << " seed " << seed;
  }
}

TEST(Search, ADimensionOfOptionsPicksEachOptionEquallyWhateverItsSize) {
  // The seeds' planning plan: entry 3 options x exit {liquidity_target_exit, atr_based_stops
  // with 5 multipliers} = 18 points. A uniform draw over the grid would give atr_based_stops 5
  // of 6 exit picks; the option coordinate gives each exit option about half.
  std::ifstream in("config/optimizations/optimize_planning_phases.yaml");
  std::stringstream text;
  text << in.rdbuf();
  for (const char* method : {"random", "sobol"}) {
    auto space =
        SpaceOfText(text.str() + "\n  search: {method: " + method + ", budget: 8, seed: 2}\n");
    ASSERT_EQ(space.size(), 8u) << method;
    ASSERT_EQ(space.grid_size(), 18u) << method;
    const auto trials = Trials(space);
    EXPECT_EQ(std::set<uint64_t>(trials.begin(), trials.end()).size(), 8u) << method;
    int liquidity = 0;
    for (uint64_t i = 0; i < space.size(); ++i) {
      if (space.Describe(i).find("liquidity_target_exit") != std::string::npos) ++liquidity;
    }
    // 3 of the 18 points have liquidity_target_exit (one per entry option). Picked as an
    // option half the time, all 3 are among the first 8 trials; drawn uniformly over the grid,
    // 8 distinct points would hold 8 x 3/18 = 1.3 of them on average.
    EXPECT_EQ(liquidity, 3) << method;
  }
}

TEST(Search, ABudgetAtOrAboveTheGridRunsTheWholeGrid) {
  auto space = SpaceOfText(Plan1000("  search: {method: random, budget: 5000, seed: 1}\n"));
  EXPECT_EQ(space.size(), 1000u);
  EXPECT_EQ(space.GridIndexOf(999), 999u);
}

TEST(Search, TpeLoadsItsOptionsAndProposesItsTrialsAsItRuns) {
  auto space = SpaceOfText(
      Plan1000("  search: {method: tpe, budget: 60, seed: 2, startup_trials: 5, candidates: 12, "
               "in_flight: 3}\n"));
  const auto& s = space.plan().search;
  EXPECT_EQ(s.method, SearchMethod::kTpe);
  EXPECT_EQ(s.budget, 60u);
  EXPECT_EQ(s.startup_trials, 5u);
  EXPECT_EQ(s.candidates, 12u);
  EXPECT_EQ(s.in_flight, 3u);
  EXPECT_TRUE(space.adaptive());
  EXPECT_EQ(space.size(), 0u) << "no trial is known before results arrive";
  EXPECT_EQ(space.budget(), 60u);
  EXPECT_EQ(space.WithTrials({7, 3}).GridIndexOf(1), 3u);
  // Defaults; and a budget that covers the grid is the grid.
  auto d = SpaceOfText(Plan1000("  search: {method: tpe, budget: 60}\n"));
  EXPECT_EQ(d.plan().search.startup_trials, 16u);
  EXPECT_EQ(d.plan().search.candidates, 24u);
  EXPECT_EQ(d.plan().search.in_flight, 8u);
  auto whole = SpaceOfText(Plan1000("  search: {method: tpe, budget: 1000}\n"));
  EXPECT_FALSE(whole.adaptive());
  EXPECT_EQ(whole.size(), 1000u);
}

TEST(Search, BadSectionsAreRefusedWithFilePathAndLine) {
  struct Case {
    const char* search;
    const char* path;
    const char* what;
  } cases[] = {
      {"  search: {method: anneal, budget: 5}\n", "optimization_config.search.method",
       "unknown method 'anneal'"},
      {"  search: {method: tpe}\n", "optimization_config.search", "needs a budget"},
      {"  search: {method: random, budget: 5, in_flight: 2}\n",
       "optimization_config.search.in_flight", "is an option of method tpe"},
      {"  search: {method: tpe, budget: 5, candidates: 0}\n",
       "optimization_config.search.candidates", "whole number >= 1"},
      {"  search: {method: tpe, budget: 5, startup_trials: -2}\n",
       "optimization_config.search.startup_trials", "whole number >= 0"},
      {"  search: {method: halving, budget: 5, eta: 1}\n", "optimization_config.search.eta",
       "whole number >= 2"},
      {"  search: {method: random}\n", "optimization_config.search", "needs a budget"},
      {"  search: {method: sobol, budget: 0}\n", "optimization_config.search.budget",
       "whole number >= 1"},
      {"  search: {method: random, budget: 2.5}\n", "optimization_config.search.budget",
       "whole number"},
      {"  search: {method: random, budget: 10, seed: -1}\n", "optimization_config.search.seed",
       "whole number >= 0"},
      {"  search: {method: random, budget: 10, eta: 3}\n", "optimization_config.search.eta",
       "is an option of method halving"},
      {"  search: {method: random, budget: 10, rungs: 3}\n", "optimization_config.search.rungs",
       "unknown key"},
      {"  search: {budget: 10}\n", "optimization_config.search.budget",
       "a grid runs every configuration"},
      {"  search: random\n", "optimization_config.search", "expected a map"},
  };
  for (const auto& c : cases) {
    const std::string err = ErrorOf(Plan1000(c.search));
    EXPECT_NE(err.find(std::string("test_plan.yaml: ") + c.path + ":"), std::string::npos) << err;
    EXPECT_NE(err.find(c.what), std::string::npos) << err;
    EXPECT_NE(err.find("(line 15)"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace s1mple::producer
