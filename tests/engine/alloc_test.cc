// No heap allocation per bar: the allocations of a backtest do not grow with the bar count
// (only with opportunities and trades, amortised). This binary counts every operator new.
#include <gtest/gtest.h>

#include "bench/count_allocations.h"
#include "engine/operation.h"

namespace s1mple::engine {
namespace {

// ema_cross without the drawdown monitor, so every opportunity is planned or rejected with a
// short literal reason; a quiet market (one calm regime is not guaranteed, so count trades).
int64_t AllocationsFor(int64_t bars, int64_t* trades) {
  auto op = ParseOperationTexts(
      "strategy_links:\n  - environment:\n      data: {source: synthetic}\n",
      "context_workers:\n  - plugin: ema\n    params: {period: 50}\n  - plugin: atr\n"
      "opportunity_workers:\n  - plugin: trend_follower\n"
      "planning_workers:\n  exit_planning:\n    - plugin: atr_based_stops\n"
      "    - plugin: fixed_rr_exit\n  size_planning:\n    - plugin: fixed_risk_sizer\n",
      "", "alloc test");
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  DataSpec spec;
  spec.bars = bars;
  auto data = GenerateSyntheticBars(spec);
  EXPECT_TRUE(data.ok());
  const int64_t before = bench::HeapAllocations();
  auto r = RunBacktest(op->links[0], **data);
  const int64_t n = bench::HeapAllocations() - before;
  EXPECT_TRUE(r.ok());
  *trades = r->metrics.total_trades;
  return n;
}

TEST(Allocations, DoNotGrowWithTheNumberOfBars) {
  int64_t trades_small = 0, trades_large = 0;
  const int64_t small = AllocationsFor(20'000, &trades_small);
  const int64_t large = AllocationsFor(200'000, &trades_large);
  // 180,000 more bars; a per-bar allocation would add >= 180,000. What may grow: vector
  // doublings (trades, opportunity records) and per-opportunity records' strings.
  EXPECT_LT(large - small, 200) << "small " << small << " large " << large << " trades "
                                << trades_small << " -> " << trades_large;
  EXPECT_GT(trades_large, trades_small);
}

}  // namespace
}  // namespace s1mple::engine
