// The operators' COLLECT_ALL merge rules on their own (engine/operators.h): ranking
// opportunities, merging plans within a phase, merging execution actions.
#include "engine/operators.h"

#include <gtest/gtest.h>

#include <vector>

namespace s1mple::engine {
namespace {

TEST(RankByScore, BestFirstTiesKeepEmissionOrder) {
  std::vector<Opportunity> step(4);
  const double scores[] = {1, 3, 1, 2};
  for (uint32_t i = 0; i < 4; ++i) {
    step[i].id = OpportunityId{i + 1};
    step[i].score = scores[i];
  }
  RankByScore(step);
  std::vector<uint32_t> ids;
  for (const auto& o : step) ids.push_back(o.id.v);
  EXPECT_EQ(ids, (std::vector<uint32_t>{2, 4, 1, 3}));
}

TEST(PlanMerge, StopAndTargetNearestTheEntrySmallestSizeFirstEntryAndRouting) {
  TradePlan base;
  base.reference_price = Price{100};
  PlanMerge merge(base, 100);
  TradePlan a = base;  // a limit entry, a far stop, a size, routing
  a.entry_type = OrderType::kLimit;
  a.entry_price = Price{99};
  a.stop_loss = Price{90};
  a.size = Quantity{5};
  a.slices = 3;
  merge.Add(a);
  TradePlan b = base;  // a stop entry (ignored: a's came first), a nearer stop, a target
  b.entry_type = OrderType::kStop;
  b.entry_price = Price{101};
  b.stop_loss = Price{95};
  b.take_profit = Price{120};
  b.size = Quantity{2};
  b.slices = 5;
  merge.Add(b);
  TradePlan c = base;  // a nearer target, a larger size
  c.take_profit = Price{110};
  c.size = Quantity{9};
  merge.Add(c);
  const TradePlan& m = merge.merged();
  EXPECT_FALSE(m.rejected);
  EXPECT_EQ(m.entry_type, OrderType::kLimit);
  EXPECT_DOUBLE_EQ(m.entry_price->v, 99);
  EXPECT_DOUBLE_EQ(m.stop_loss->v, 95);
  EXPECT_DOUBLE_EQ(m.take_profit->v, 110);
  EXPECT_DOUBLE_EQ(m.size.v, 2);
  EXPECT_EQ(m.slices, 3);
}

TEST(PlanMerge, AnyRejectionWinsWithTheFirstReason) {
  TradePlan base;
  PlanMerge merge(base, 100);
  TradePlan ok = base;
  ok.size = Quantity{1};
  merge.Add(ok);
  TradePlan no = base;
  no.Reject("FIRST");
  merge.Add(no);
  TradePlan later = base;
  later.Reject("SECOND");
  merge.Add(later);
  EXPECT_TRUE(merge.merged().rejected);
  EXPECT_EQ(merge.merged().reject_reason, "FIRST");
}

TEST(ActionMerge, MostProtectiveStopFirstTargetLargestCloseAnyCancel) {
  ActionMerge longs(Side::kLong);
  ActionSet a;
  a.set_stop = true;
  a.stop = Price{95};
  a.set_target = true;
  a.target = Price{120};
  a.close_fraction = 0.25;
  a.reason = "first";
  longs.Add(a);
  ActionSet b;
  b.set_stop = true;
  b.stop = Price{97};  // higher: more protective for a long
  b.set_target = true;
  b.target = Price{110};  // ignored: a set the target first
  b.close_fraction = 0.5;
  b.reason = "second";
  b.cancel_entries = true;
  longs.Add(b);
  ActionSet removal;  // a stop removal does not loosen the merged stop
  removal.set_stop = true;
  longs.Add(removal);
  const ActionSet& m = longs.merged();
  EXPECT_DOUBLE_EQ(m.stop->v, 97);
  EXPECT_DOUBLE_EQ(m.target->v, 120);
  EXPECT_DOUBLE_EQ(m.close_fraction, 0.5);
  EXPECT_EQ(m.reason, "second");
  EXPECT_TRUE(m.cancel_entries);

  ActionMerge shorts(Side::kShort);
  shorts.Add(a);
  shorts.Add(b);
  EXPECT_DOUBLE_EQ(shorts.merged().stop->v, 95);  // lower: more protective for a short
}

}  // namespace
}  // namespace s1mple::engine
