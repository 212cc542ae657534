// Threat plugins of the catalog: volatility spikes by percentile with severities, market risk,
// and the DCA risk assessor's event.
#include "tests/engine/catalog_test_util.h"

namespace s1mple::engine::catalog_test {
namespace {

// Flat bars whose true range (0.5) and ATR are exact in binary, so their ranks tie exactly.
std::vector<Bar> ExactFlat(size_t n) {
  return std::vector<Bar>(n, Bar{100, 100.25, 99.75, 100});
}

// 100 flat bars (true range 0.5), then one bar with the given range.
std::vector<Raised> AssessLast(double range, const std::string& params) {
  std::vector<Bar> b = ExactFlat(100);
  b.push_back({100, 100 + range / 2, 100 - range / 2, 100});
  Harness h(MakeBars(b));
  auto w = MakeWorker<ThreatWorker>("{plugin: volatility_spike_detector, params: " + params + "}",
                                    WorkerCategory::kThreat);
  h.Bind(*w);
  for (uint32_t t = 0; t + 1 < h.bars.size(); ++t) {  // calm bars raise nothing
    ThreatRecorder calm;
    w->Assess(h.At(t), calm);
    EXPECT_TRUE(calm.raised.empty()) << "bar " << t << ": " << calm.raised[0].type;
  }
  ThreatRecorder out;
  w->Assess(h.At(static_cast<uint32_t>(h.bars.size() - 1)), out);
  return out.raised;
}

TEST(VolatilitySpikeDetector, SeverityByPercentileAndSize) {
  const std::string p =
      "{volatility_threshold_percentile: 95, lookback: 50, atr_period: 14, "
      "critical_atr_multiple: 4, raise_market_risk: false}";
  // The spike bar ranks (49 + 0.5) / 50 = 99%: at least 97.5 = HIGH; 20 ATRs: CRITICAL.
  auto critical = AssessLast(10.0, p);
  ASSERT_EQ(critical.size(), 1u);
  EXPECT_EQ(critical[0].type, "VOLATILITY_SPIKE");
  EXPECT_EQ(critical[0].severity, Severity::kCritical);
  EXPECT_TRUE(critical[0].blocks);
  EXPECT_DOUBLE_EQ(critical[0].value, 99.0);
  auto high = AssessLast(1.0, p);  // 2 ATRs
  ASSERT_EQ(high.size(), 1u);
  EXPECT_EQ(high[0].severity, Severity::kHigh);
  // Above the 99th percentile needed: nothing.
  EXPECT_TRUE(AssessLast(10.0, "{volatility_threshold_percentile: 99.5, lookback: 50}").empty());
}

TEST(VolatilitySpikeDetector, MarketRiskWhileTheAtrIsExtreme) {
  auto raised = AssessLast(
      10.0, "{volatility_threshold_percentile: 95, lookback: 50, block_new_entries: false}");
  ASSERT_EQ(raised.size(), 2u);
  EXPECT_FALSE(raised[0].blocks);
  EXPECT_EQ(raised[1].type, "MARKET_RISK_HIGH");
  EXPECT_EQ(raised[1].severity, Severity::kMedium);
  EXPECT_FALSE(raised[1].blocks);
}

TEST(DcaRiskAssessor, PublishesRiskAndRaisesWhenHigh) {
  std::vector<Bar> b = ExactFlat(60);
  b.push_back({100, 102, 98, 100});
  Harness h(MakeBars(b));
  auto w = MakeWorker<ThreatWorker>(
      "{plugin: dca_risk_assessor, params: {atr_period: 5, lookback: 40, "
      "high_risk_percentile: 90}}",
      WorkerCategory::kThreat);
  h.Bind(*w);
  ThreatRecorder calm, spike;
  w->Assess(h.At(50), calm);
  ASSERT_EQ(calm.pub.published.size(), 1u);
  EXPECT_EQ(calm.pub.published[0].id, h.events.Intern("dca_risk_assessed"));
  EXPECT_DOUBLE_EQ(calm.pub.published[0].value, 0.5);  // a constant ATR: mid-rank 50
  EXPECT_TRUE(calm.raised.empty());
  w->Assess(h.At(60), spike);
  ASSERT_EQ(spike.raised.size(), 1u);
  EXPECT_EQ(spike.raised[0].type, "MARKET_RISK_HIGH");
  EXPECT_NEAR(spike.pub.published[0].value, 39.5 / 40, 1e-12);
}

}  // namespace
}  // namespace s1mple::engine::catalog_test
