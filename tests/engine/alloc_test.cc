// No heap allocation per bar: the allocations of a backtest do not grow with the bar count
// (only with opportunities and trades, amortised). This binary counts every operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/operation.h"

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

__attribute__((noinline)) void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them), so that under a
// sanitizer that replaces the others every allocation and release goes through one pair.
__attribute__((noinline)) void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
__attribute__((noinline)) void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

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
  const int64_t before = g_allocations.load();
  auto r = RunBacktest(op->links[0], **data);
  const int64_t n = g_allocations.load() - before;
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
