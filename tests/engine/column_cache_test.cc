// The columns a sweep's jobs share (engine/column_cache.h): the bound and LRU order, and the
// property that matters, a job that finds its columns in the cache records exactly what one that
// computes them records (DESIGN decision 13, determinism).
#include "engine/column_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/job.h"
#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

using nlohmann::json;

ColumnCache::Entry Columns(size_t n, double v) {
  return ColumnCache::Entry{{"c"}, {std::make_shared<const std::vector<double>>(n, v)}};
}

TEST(ColumnCache, FindsWhatWasInsertedAndCountsHitsAndMisses) {
  ColumnCache cache(1 << 20);
  EXPECT_EQ(cache.Find("a"), nullptr);
  cache.Insert("a", Columns(10, 1.5));
  const ColumnCache::Entry* e = cache.Find("a");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->names, std::vector<std::string>{"c"});
  EXPECT_EQ((*e->columns[0])[9], 1.5);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
  EXPECT_EQ(cache.stats().bytes, 10 * sizeof(double));
  cache.Insert("a", Columns(20, 2.0));  // replaces
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes, 20 * sizeof(double));
}

TEST(ColumnCache, EvictsTheLeastRecentlyUsedToStayWithinItsBound) {
  ColumnCache cache(3 * 100 * sizeof(double));
  cache.Insert("a", Columns(100, 1));
  cache.Insert("b", Columns(100, 2));
  cache.Insert("c", Columns(100, 3));
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recently used
  cache.Insert("d", Columns(100, 4));   // b goes
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_NE(cache.Find("d"), nullptr);
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_LE(cache.stats().bytes, cache.max_bytes());
  cache.Insert("huge", Columns(1000, 5));  // larger than the bound: not kept, nothing evicted
  EXPECT_EQ(cache.Find("huge"), nullptr);
  EXPECT_EQ(cache.stats().entries, 3u);
}

struct Plan {
  std::string operation;
  std::string blueprint;
  std::string operators = testing::ReadText("config/operators.yaml");
  JobSpec Spec(const json& overrides) const {
    JobSpec s;
    s.origin = "job t/1";
    s.operation_yaml = operation;
    s.blueprint_yaml = blueprint;
    s.operators_yaml = operators;
    s.overrides = &overrides;
    return s;
  }
};

// Every job run on a warm runner (one JobRunner, the grid in an order and then in reverse) gives
// the same result document as the same job on a runner with the cache off.
// `contexts`: how many distinct context phases the grid has (0: do not count hits); each misses
// once on the warm runner and hits on every other run.
void ExpectWarmEqualsCold(const Plan& plan, const std::vector<json>& grid, size_t contexts) {
  JobRunnerOptions off;
  off.column_cache_mib = 0;
  std::vector<std::string> cold;
  for (const json& o : grid) {
    JobRunner fresh(off);
    JobResult r = fresh.Run(plan.Spec(o));
    ASSERT_TRUE(r.ok()) << r.status.ToString() << " " << o.dump();
    cold.push_back(r.result.dump());
    EXPECT_EQ(fresh.column_cache_stats().hits + fresh.column_cache_stats().misses, 0u);
  }
  JobRunner warm;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t k = 0; k < grid.size(); ++k) {
      const size_t i = pass == 0 ? k : grid.size() - 1 - k;
      JobResult r = warm.Run(plan.Spec(grid[i]));
      ASSERT_TRUE(r.ok()) << r.status.ToString();
      EXPECT_EQ(r.result.dump(), cold[i]) << "pass " << pass << ": " << grid[i].dump();
    }
  }
  EXPECT_GT(warm.column_cache_stats().hits, 0u);
  if (contexts > 0) {
    EXPECT_GE(warm.column_cache_stats().hits, 2 * grid.size() - contexts);
  }
}

TEST(ColumnCacheDeterminism, AnEmaGridGivesTheSameResultsWarmAsCold) {
  Plan plan{testing::ReadText("config/operations/ema_cross.yaml"),
            testing::ReadText("config/strategies/ema_cross.yaml")};
  std::vector<json> grid;
  for (int fast : {5, 12})
    for (int slow : {26, 60})
      for (double rr : {1.5, 3.0}) {
        grid.push_back(json{
            {"opportunity_workers",
             {{"trend_follower", {{"params", {{"fast_period", fast}, {"slow_period", slow}}}}}}},
            {"planning_workers",
             {{"exit_planning", {{"fixed_rr_exit", {{"params", {{"risk_reward_ratio", rr}}}}}}}}}});
      }
  // A context parameter changes the context key: the ema_50 → ema_30 job must not reuse ema_50's.
  grid.push_back(json{{"context_workers", {{"ema", {{"params", {{"period", 30}}}}}}}});
  // A period override ends the bar series earlier: its columns are a different key.
  grid.push_back(
      json{{"period", {{"start", "2020-06-01T00:00:00Z"}, {"end", "2021-06-01T00:00:00Z"}}}});
  ExpectWarmEqualsCold(plan, grid, /*contexts=*/0);
}

TEST(ColumnCacheDeterminism, AnIctExitGridReusesItsContextColumnsBitForBit) {
  Plan plan{testing::ReadText("config/operations/ict_smc_backtest.yaml"),
            testing::ReadText("config/strategies/ict_smc.yaml")};
  std::vector<json> grid;
  for (int expiry : {6, 12, 24})
    for (double risk : {0.5, 1.0}) {
      grid.push_back(json{
          {"planning_workers",
           {{"entry_planning", {{"limit_entry_at_fvg", {{"params", {{"expiry_bars", expiry}}}}}}},
            {"size_planning",
             {{"fixed_risk_sizer", {{"params", {{"risk_per_trade_percent", risk}}}}}}}}}});
    }
  grid.push_back(json{{"context_workers", {{"atr", {{"params", {{"period", 20}}}}}}}});
  ExpectWarmEqualsCold(plan, grid, /*contexts=*/2);
}

}  // namespace
}  // namespace s1mple::engine
