// The threat gate on its own: standing threats and their ids, the order of its checks, and the
// record of rejections with typed reasons (engine/threat_gate.h, engine/rejection.h).
#include "engine/threat_gate.h"

#include <gtest/gtest.h>

namespace s1mple::engine {
namespace {

Opportunity Opp(uint32_t id) {
  Opportunity o;
  o.id = OpportunityId{id};
  o.signal_type = "TEST";
  return o;
}

TEST(ThreatGate, AThreatRaisedAgainKeepsItsIdUntilARunWithoutIt) {
  ThreatGate gate;
  gate.Reset(1);
  bool is_new = false;
  gate.BeginAssessment(0);
  const ThreatId first = gate.Raise(0, 3, "DD", Severity::kHigh, true, 5, is_new).id;
  EXPECT_TRUE(is_new);
  gate.Refresh();
  gate.BeginAssessment(0);
  const Threat& again = gate.Raise(0, 4, "DD", Severity::kHigh, true, 6, is_new);
  EXPECT_FALSE(is_new);
  EXPECT_EQ(again.id, first);
  EXPECT_EQ(again.bar, 3u);  // the bar it was first raised on
  gate.Refresh();
  ASSERT_EQ(gate.active().size(), 1u);
  gate.BeginAssessment(0);  // a run that does not raise it: it no longer stands
  gate.Refresh();
  EXPECT_TRUE(gate.active().empty());
  gate.BeginAssessment(0);
  EXPECT_NE(gate.Raise(0, 9, "DD", Severity::kHigh, true, 7, is_new).id, first);
  EXPECT_TRUE(is_new);
  EXPECT_EQ(gate.threats_detected(), 2);
}

TEST(ThreatGate, ChecksVetoThenBlockingThreatThenPositionThenPendingEntry) {
  ThreatGate gate;
  gate.Reset(2);
  Opportunity opp = Opp(1);
  EXPECT_FALSE(gate.Check(opp, false, false).has_value());
  EXPECT_EQ(gate.Check(opp, false, true)->code, RejectionCode::kEntryPending);
  EXPECT_EQ(gate.Check(opp, true, true)->code, RejectionCode::kPositionOpen);
  bool is_new = false;
  gate.BeginAssessment(0);
  gate.Raise(0, 1, "MARKET_RISK_HIGH", Severity::kMedium, false, 1, is_new);  // does not block
  gate.BeginAssessment(1);
  const ThreatId blocker = gate.Raise(1, 1, "DD", Severity::kHigh, true, 1, is_new).id;
  gate.Refresh();
  const auto why = gate.Check(opp, true, true);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->code, RejectionCode::kThreat);
  EXPECT_EQ(why->threat, blocker);
  EXPECT_EQ(why->Name(), "DD");
  EXPECT_TRUE(why->by_threat());
  opp.vetoed = true;
  EXPECT_EQ(gate.Check(opp, true, true)->code, RejectionCode::kVetoed);
  EXPECT_EQ(gate.Check(opp, true, true)->Name(), "VETOED");
}

TEST(RejectionLog, CountsByReasonAndMarksThreats) {
  RejectionLog log;
  log.Reject(Opp(1), RejectionReason::Of(RejectionCode::kPositionOpen));
  log.Reject(Opp(2), RejectionReason::ByThreat(ThreatId{4}, "MAX_DRAWDOWN_BREACHED"));
  log.Reject(Opp(3), RejectionReason::ByThreat(ThreatId{4}, "MAX_DRAWDOWN_BREACHED"));
  log.Reject(Opp(4), RejectionReason::ByPlanner("ATR_NOT_READY"));
  log.Reject(Opp(5), RejectionReason::ByPlanner(""));
  log.Accept(Opp(6));
  Causality c;
  const auto records = log.Finish(c);
  EXPECT_EQ(c.opportunities_rejected, 5);
  ASSERT_EQ(c.top_rejection_reasons.size(), 4u);
  EXPECT_EQ(c.top_rejection_reasons[0].reason, "MAX_DRAWDOWN_BREACHED");
  EXPECT_EQ(c.top_rejection_reasons[0].count, 2);
  EXPECT_TRUE(c.top_rejection_reasons[0].by_threat);
  // Ties by name: ATR_NOT_READY, PLAN_REJECTED, POSITION_OPEN.
  EXPECT_EQ(c.top_rejection_reasons[1].reason, "ATR_NOT_READY");
  EXPECT_EQ(c.top_rejection_reasons[2].reason, "PLAN_REJECTED");
  EXPECT_EQ(c.top_rejection_reasons[3].reason, "POSITION_OPEN");
  EXPECT_FALSE(c.top_rejection_reasons[3].by_threat);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[1].reject_code, RejectionCode::kThreat);
  EXPECT_EQ(records[1].threat.v, 4u);
  EXPECT_EQ(records[3].reject_code, RejectionCode::kPlanner);
  EXPECT_EQ(records[3].reject_reason, "ATR_NOT_READY");
  EXPECT_EQ(records[4].reject_code, RejectionCode::kPlanRejected);
  EXPECT_TRUE(records[5].accepted);
  EXPECT_EQ(records[5].reject_code, RejectionCode::kNone);
}

}  // namespace
}  // namespace s1mple::engine
