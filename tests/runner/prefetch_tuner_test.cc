// The runner's adaptive prefetch depth (runner/prefetch_tuner.h).
#include "runner/prefetch_tuner.h"

#include <gtest/gtest.h>

namespace s1mple::runner {
namespace {

TEST(PrefetchTunerTest, StartsWithoutAQueueAndFollowsTheRunTimes) {
  PrefetchTuner t(2, std::nullopt);
  EXPECT_TRUE(t.adaptive());
  EXPECT_EQ(t.depth(), 0u) << "nothing queued before a job has finished";
  // Trivial jobs (300 us): the cap.
  EXPECT_TRUE(t.OnJobFinished(300));
  EXPECT_EQ(t.depth(), PrefetchTuner::kMaxDepth);
  // 1.5 ms jobs on 2 slots want 2 * 25 ms / 1.5 ms = 33: not half of 64, so no change; 3 ms
  // jobs want 16: the depth follows to within a factor of 2 of that.
  for (int i = 0; i < 60; ++i) EXPECT_FALSE(t.OnJobFinished(1500));
  EXPECT_EQ(t.depth(), 64u);
  for (int i = 0; i < 60; ++i) t.OnJobFinished(3000);
  EXPECT_EQ(t.Target(t.average_us()), 16u);
  EXPECT_LT(t.depth(), 32u);
  EXPECT_GT(t.depth(), 8u);
  // Backtests of 40 ms: 2 * 25 / 40 = 1.25 -> 1; of 100 ms and more: none at all.
  for (int i = 0; i < 60; ++i) t.OnJobFinished(40'000);
  EXPECT_EQ(t.depth(), 1u);
  for (int i = 0; i < 60; ++i) t.OnJobFinished(100'000);
  EXPECT_EQ(t.depth(), 0u);
}

TEST(PrefetchTunerTest, ChangesOnlyByAFactorOfTwoOrToAndFromZero) {
  PrefetchTuner t(1, std::nullopt);
  EXPECT_TRUE(t.OnJobFinished(1000));  // 25
  EXPECT_EQ(t.depth(), 25u);
  int announcements = 0;
  for (int i = 0; i < 200; ++i) announcements += t.OnJobFinished(i % 2 ? 900 : 1200) ? 1 : 0;
  EXPECT_EQ(announcements, 0) << "jitter around 1 ms is not worth a READY";
  EXPECT_EQ(t.depth(), 25u);
  for (int i = 0; i < 50 && t.depth() == 25u; ++i) t.OnJobFinished(3000);
  EXPECT_LE(t.depth(), 12u) << "halved";
}

TEST(PrefetchTunerTest, AFixedDepthNeverChanges) {
  PrefetchTuner t(4, 7u);
  EXPECT_FALSE(t.adaptive());
  EXPECT_EQ(t.depth(), 7u);
  EXPECT_FALSE(t.OnJobFinished(10));
  EXPECT_FALSE(t.OnJobFinished(10'000'000));
  EXPECT_EQ(t.depth(), 7u);
  PrefetchTuner none(4, 0u);
  EXPECT_FALSE(none.OnJobFinished(10));
  EXPECT_EQ(none.depth(), 0u);
}

}  // namespace
}  // namespace s1mple::runner
