// Successive halving (producer/halving.h): the rungs' fidelities and data periods, the
// proposer's rungs (the best ceil(n / eta) feasible configurations promoted, an infeasible or
// failed one never, ties to the configuration drawn first), the job space's overrides and
// results columns, and bad `search:` sections refused with file, YAML path and line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "engine/data.h"
#include "producer/halving.h"
#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

using nlohmann::json;

// 5 fast x 10 slow x 20 ATR = 1,000 grid points; `search` is appended verbatim (line 15).
std::string Plan1000(const std::string& search) {
  return R"(optimization_config:
  name: "halving test"
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

std::shared_ptr<const Plan> Load(const std::string& text) {
  auto plan = testing::ParseText(text);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return std::make_shared<const Plan>(std::move(plan).value());
}

DataRange Range() {
  // 2020-01-01T00:00:00Z .. 2020-12-31T00:00:00Z
  return {engine::ParseIsoTimestamp("2020-01-01T00:00:00Z")->v,
          engine::ParseIsoTimestamp("2020-12-31T00:00:00Z")->v};
}

// A metric per configuration (grid index) that is the same at every rung, and an infeasible
// set: the proposer must promote by value among the feasible ones only.
struct Oracle {
  std::map<uint64_t, double> value;
  std::set<uint64_t> infeasible;
  std::set<uint64_t> failed;
  TpeObservation Observe(uint64_t g) const {
    TpeObservation o;
    o.failed = failed.count(g) > 0;
    o.value = value.at(g);
    o.feasible = infeasible.count(g) == 0;
    return o;
  }
};

// Runs a proposer to its end as producer/adaptive.h does: trial j sees the results of trials
// 0 .. Visible(j) - 1.
std::vector<ProposedTrial> RunToEnd(HalvingProposer& p, const Oracle& oracle) {
  std::vector<ProposedTrial> trials;
  for (uint64_t j = 0;; ++j) {
    const uint64_t visible = p.Visible(j);
    EXPECT_LE(visible, trials.size()) << "trial " << j << " waits for a trial not yet proposed";
    std::vector<TpeObservation> observed;
    for (uint64_t i = 0; i < visible; ++i) observed.push_back(oracle.Observe(trials[i].grid_index));
    auto t = p.Propose(j, observed);
    if (!t) break;
    trials.push_back(*t);
    if (trials.size() > 10'000) break;
  }
  return trials;
}

TEST(Halving, FidelitiesGrowByEtaUpToTheWholeData) {
  SearchConfig s;
  s.method = SearchMethod::kHalving;
  s.eta = 3;
  const auto d = HalvingFidelities(s);
  ASSERT_EQ(d.size(), 3u) << "default min_fidelity 1 / eta^2";
  EXPECT_DOUBLE_EQ(d[0], 1.0 / 9);
  EXPECT_DOUBLE_EQ(d[1], 1.0 / 3);
  EXPECT_EQ(d[2], 1.0);
  s.min_fidelity = 0.1;
  const auto f = HalvingFidelities(s);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_DOUBLE_EQ(f[0], 0.1);
  EXPECT_DOUBLE_EQ(f[1], 0.3);
  EXPECT_DOUBLE_EQ(f[2], 0.9);
  EXPECT_EQ(f[3], 1.0);
  s.eta = 2;
  s.min_fidelity = 0.25;
  EXPECT_EQ(HalvingFidelities(s), (std::vector<double>{0.25, 0.5, 1.0})) << "0.25 x 4 is 1";
  s.min_fidelity = 1;
  EXPECT_EQ(HalvingFidelities(s), (std::vector<double>{1.0}));
  // 81 configurations, eta 3: 81 + 27 + 9 + 3 + 1 over 5 rungs; 3 rungs stop at 81 + 27 + 9.
  EXPECT_EQ(HalvingMaxJobs(81, {0.01, 0.03, 0.1, 0.3, 1}, 3), 121u);
  EXPECT_EQ(HalvingMaxJobs(81, {1.0 / 9, 1.0 / 3, 1}, 3), 117u);
  EXPECT_EQ(HalvingMaxJobs(10, {0.25, 0.5, 1}, 3), 10u + 4u + 2u) << "ceil(10 / 3), ceil(4 / 3)";
}

TEST(Halving, RungsRunOnTheMostRecentPartOfTheDataTheLastOnAllOfIt) {
  SearchConfig s;
  s.method = SearchMethod::kHalving;
  s.eta = 3;
  s.min_fidelity = 0.25;
  auto ladder = MakeHalvingLadder(s, Range(), "p.yaml");
  ASSERT_TRUE(ladder.ok()) << ladder.status().ToString();
  ASSERT_EQ(ladder->fidelities, (std::vector<double>{0.25, 0.75, 1.0}));
  // 365 days: the last 91.25 days and the last 273.75 days, starts rounded down to a second.
  EXPECT_EQ(ladder->periods[0],
            json({{"start", "2020-09-30T18:00:00Z"}, {"end", "2020-12-31T00:00:00Z"}}));
  EXPECT_EQ(ladder->periods[1],
            json({{"start", "2020-04-01T06:00:00Z"}, {"end", "2020-12-31T00:00:00Z"}}));
  EXPECT_TRUE(ladder->periods[2].is_null()) << "fidelity 1: the grid's job, no period";
  const auto j = ladder->ToJson();
  EXPECT_EQ(j["data_range"]["first"], "2020-01-01T00:00:00Z");
  EXPECT_EQ(j["rungs"].size(), 3u);
  // One bar is no data to cut rungs from.
  auto none = MakeHalvingLadder(s, {Range().first_ms, Range().first_ms}, "p.yaml");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("p.yaml: optimization_config.search: "), std::string::npos)
      << none.status().message();
}

TEST(Halving, PromotesTheBestFeasibleThirdAndNeverAConfigurationThatBreaksAConstraint) {
  auto plan = Load(Plan1000("  search: {method: halving, budget: 27, seed: 4}\n"));
  HalvingProposer p(*plan, 1000);
  EXPECT_EQ(p.max_trials(), 27u + 9u + 3u) << "three rungs (min_fidelity 1/9)";
  const std::vector<uint64_t> drawn = p.first_rung();
  ASSERT_EQ(drawn.size(), 27u);
  EXPECT_EQ(std::set<uint64_t>(drawn.begin(), drawn.end()).size(), 27u);
  // Values: the k-th drawn configuration scores k; the 10 best (17 .. 26) break a constraint,
  // two more have failed. So the feasible best are 16, 15, 14 (13 failed), 12, ...
  Oracle oracle;
  for (size_t k = 0; k < drawn.size(); ++k) oracle.value[drawn[k]] = static_cast<double>(k);
  for (size_t k = 17; k < 27; ++k) oracle.infeasible.insert(drawn[k]);
  oracle.failed.insert(drawn[13]);
  oracle.failed.insert(drawn[2]);
  const auto trials = RunToEnd(p, oracle);
  ASSERT_EQ(trials.size(), 39u);
  for (size_t j = 0; j < 27; ++j) {
    EXPECT_EQ(trials[j].rung, 0u);
    EXPECT_EQ(trials[j].grid_index, drawn[j]) << "rung 0 runs the draws in draw order";
  }
  // Rung 1: the best 9 feasible, in draw order: 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16 minus the
  // two lowest -> 7 .. 12, 14, 15, 16.
  std::vector<uint64_t> rung1;
  for (size_t j = 27; j < 36; ++j) {
    EXPECT_EQ(trials[j].rung, 1u);
    rung1.push_back(trials[j].grid_index);
  }
  std::vector<uint64_t> want1;
  for (size_t k : {7, 8, 9, 10, 11, 12, 14, 15, 16}) want1.push_back(drawn[k]);
  EXPECT_EQ(rung1, want1);
  std::vector<uint64_t> rung2;
  for (size_t j = 36; j < 39; ++j) {
    EXPECT_EQ(trials[j].rung, 2u);
    rung2.push_back(trials[j].grid_index);
  }
  EXPECT_EQ(rung2, (std::vector<uint64_t>{drawn[14], drawn[15], drawn[16]}));
  for (const auto& t : trials) {
    if (t.rung == 0) continue;
    EXPECT_EQ(oracle.infeasible.count(t.grid_index), 0u)
        << "promoted " << t.grid_index << ", which breaks a constraint";
    EXPECT_EQ(oracle.failed.count(t.grid_index), 0u) << "promoted a failed configuration";
  }
  // Rung 1 waits for every result of rung 0, rung 2 for every result of rung 1.
  HalvingProposer q(*plan, 1000);
  EXPECT_EQ(q.Visible(0), 0u);
  EXPECT_EQ(q.Visible(26), 0u);
  EXPECT_EQ(q.Visible(27), 27u);
}

TEST(Halving, RandomConstraintsNeverPromoteAnInfeasibleConfigurationAndTiesGoToTheFirstDrawn) {
  // Many seeds, minimize and maximize, ties: a promoted configuration was feasible at every rung
  // before, each rung is the best ceil(n / eta) feasible of the one before, in draw order.
  for (int dir = 0; dir < 2; ++dir) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      const std::string search =
          "  search: {method: halving, budget: " + std::to_string(20 + seed * 7) +
          ", seed: " + std::to_string(seed) + ", eta: " + std::to_string(2 + seed % 3) +
          ", min_fidelity: 0.05}\n" +
          (dir ? "  optimization_targets: {primary_metric: max_drawdown, direction: minimize}\n"
               : "");
      auto plan = Load(Plan1000(search));
      HalvingProposer p(*plan, 1000);
      std::mt19937_64 rng(seed);
      Oracle oracle;
      for (uint64_t g : p.first_rung()) {
        oracle.value[g] = static_cast<double>(rng() % 5);  // many ties
        if (rng() % 3 == 0) oracle.infeasible.insert(g);
      }
      const std::vector<uint64_t> drawn = p.first_rung();
      auto draw_pos = [&](uint64_t g) {
        return static_cast<size_t>(std::find(drawn.begin(), drawn.end(), g) - drawn.begin());
      };
      const auto trials = RunToEnd(p, oracle);
      std::map<uint32_t, std::vector<uint64_t>> rungs;
      for (const auto& t : trials) rungs[t.rung].push_back(t.grid_index);
      for (auto& [r, configs] : rungs) {
        if (r == 0) continue;
        const auto& prev = rungs[r - 1];
        std::vector<uint64_t> feasible;
        for (uint64_t g : prev)
          if (!oracle.infeasible.count(g)) feasible.push_back(g);
        std::stable_sort(feasible.begin(), feasible.end(), [&](uint64_t a, uint64_t b) {
          const double x = oracle.value[a], y = oracle.value[b];
          if (x != y) return dir ? x < y : x > y;
          return draw_pos(a) < draw_pos(b);
        });
        const uint64_t eta = plan->search.eta;
        feasible.resize(std::min<size_t>(feasible.size(), (prev.size() + eta - 1) / eta));
        std::sort(feasible.begin(), feasible.end(),
                  [&](uint64_t a, uint64_t b) { return draw_pos(a) < draw_pos(b); });
        EXPECT_EQ(configs, feasible) << "seed " << seed << " rung " << r;
        for (uint64_t g : configs) EXPECT_EQ(oracle.infeasible.count(g), 0u);
      }
      // Proposals are a pure function of the plan and the results.
      HalvingProposer again(*plan, 1000);
      const auto twice = RunToEnd(again, oracle);
      ASSERT_EQ(twice.size(), trials.size());
      for (size_t j = 0; j < trials.size(); ++j) {
        EXPECT_EQ(twice[j].grid_index, trials[j].grid_index);
        EXPECT_EQ(twice[j].rung, trials[j].rung);
      }
    }
  }
}

TEST(Halving, ARungWithNothingFeasibleEndsTheSearch) {
  auto plan = Load(Plan1000("  search: {method: halving, budget: 9, eta: 3}\n"));
  HalvingProposer p(*plan, 1000);
  Oracle oracle;
  for (uint64_t g : p.first_rung()) oracle.value[g] = 1, oracle.infeasible.insert(g);
  EXPECT_EQ(RunToEnd(p, oracle).size(), 9u) << "rung 0 only";
}

TEST(Halving, TheJobSpaceCarriesEachRungsPeriodAndTheLastRungIsTheGridsJob) {
  auto plan = Load(Plan1000("  search: {method: halving, budget: 30, seed: 1, eta: 3}\n"));
  EXPECT_EQ(plan->search.eta, 3u);
  auto no_range = JobSpace::Make(plan);
  ASSERT_FALSE(no_range.ok());
  EXPECT_NE(no_range.status().message().find("need the data range"), std::string::npos);
  auto ladder = MakeHalvingLadder(plan->search, Range(), plan->origin());
  ASSERT_TRUE(ladder.ok());
  auto space =
      JobSpace::Make(plan, nullptr, std::make_shared<const HalvingLadder>(std::move(*ladder)));
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_TRUE(space->adaptive());
  EXPECT_EQ(space->size(), 0u);
  EXPECT_EQ(space->budget(), 30u + 10u + 4u);
  const auto grid = testing::SpaceOfText(Plan1000(""));
  const JobSpace trials = space->WithTrials({17, 17, 17}, {0, 1, 2});
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials.RungOf(1), 1u);
  EXPECT_DOUBLE_EQ(trials.FidelityOf(0), 1.0 / 9);
  EXPECT_EQ(trials.FidelityOf(2), 1.0);
  EXPECT_EQ(trials.Overrides(0)["period"]["end"], "2020-12-31T00:00:00Z");
  EXPECT_TRUE(trials.Overrides(1).contains("period"));
  EXPECT_EQ(trials.Overrides(2), grid.Overrides(17)) << "the last rung is the grid's job";
  EXPECT_EQ(trials.TrialOverrides(17, 0), trials.Overrides(0));
  EXPECT_EQ(trials.Varied(0), grid.Varied(17));
}

TEST(Halving, LoadsItsOptionsAndRefusesBadSectionsWithFilePathAndLine) {
  auto plan =
      Load(Plan1000("  search: {method: halving, budget: 81, seed: 3, eta: 2, "
                    "min_fidelity: 0.125}\n"));
  EXPECT_EQ(plan->search.method, SearchMethod::kHalving);
  EXPECT_EQ(plan->search.budget, 81u);
  EXPECT_EQ(plan->search.eta, 2u);
  EXPECT_DOUBLE_EQ(plan->search.min_fidelity, 0.125);
  EXPECT_EQ(HalvingFidelities(plan->search), (std::vector<double>{0.125, 0.25, 0.5, 1.0}));
  EXPECT_EQ(Load(Plan1000("  search: {method: halving, budget: 8}\n"))->search.eta, 3u);
  struct Case {
    const char* search;
    const char* path;
    const char* what;
  } cases[] = {
      {"  search: {method: halving}\n", "optimization_config.search", "needs a budget"},
      {"  search: {method: halving, budget: 9, eta: 1}\n", "optimization_config.search.eta",
       "whole number >= 2"},
      {"  search: {method: halving, budget: 9, eta: 1.5}\n", "optimization_config.search.eta",
       "whole number"},
      {"  search: {method: halving, budget: 9, eta: 500}\n", "optimization_config.search.eta",
       "2 to 100"},
      {"  search: {method: halving, budget: 9, min_fidelity: 0}\n",
       "optimization_config.search.min_fidelity", "0 < min_fidelity <= 1"},
      {"  search: {method: halving, budget: 9, min_fidelity: 1.5}\n",
       "optimization_config.search.min_fidelity", "0 < min_fidelity <= 1"},
      {"  search: {method: halving, budget: 9, min_fidelity: tenth}\n",
       "optimization_config.search.min_fidelity", "number"},
      {"  search: {method: halving, budget: 9, in_flight: 2}\n",
       "optimization_config.search.in_flight", "is an option of method tpe"},
      {"  search: {method: tpe, budget: 9, eta: 2}\n", "optimization_config.search.eta",
       "is an option of method halving"},
      {"  search: {method: random, budget: 9, min_fidelity: 0.5}\n",
       "optimization_config.search.min_fidelity", "is an option of method halving"},
      {"  search: {method: halving, budget: 9, rungs: 3}\n", "optimization_config.search.rungs",
       "unknown key"},
      {"  search: {method: halving, budget: 0}\n", "optimization_config.search.budget",
       "whole number >= 1"},
  };
  for (const auto& c : cases) {
    const std::string err = testing::ErrorOf(Plan1000(c.search));
    EXPECT_NE(err.find(std::string("test_plan.yaml: ") + c.path + ":"), std::string::npos) << err;
    EXPECT_NE(err.find(c.what), std::string::npos) << err;
    EXPECT_NE(err.find("(line 15)"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace s1mple::producer
