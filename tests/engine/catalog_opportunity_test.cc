// Opportunity plugins of the catalog on hand-made bars whose signals are known in advance.
#include <cmath>

#include "tests/engine/catalog_test_util.h"

namespace s1mple::engine::catalog_test {
namespace {

// Five flat bars at 100, then a three-candle bullish gap: bar 5's high is 100.00 and bar 7's low
// `third_low`, so the gap is (third_low - 100) / 100 * 10000 bps.
std::vector<Bar> GapBars(double third_low, double middle_volume = 1000) {
  std::vector<Bar> b = Flat(5);
  b.push_back({100, 100, 99.9, 100});                       // 5
  b.push_back({100, 100.2, 99.95, 100.15, middle_volume});  // 6 displacement
  b.push_back({100.1, 100.3, third_low, 100.2});            // 7
  return b;
}

std::vector<std::pair<uint32_t, Emitted>> RunFvg(const std::vector<Bar>& bars,
                                                 const std::string& params) {
  Harness h(MakeBars(bars));
  auto w = MakeWorker<OpportunityWorker>("{plugin: fvg_entry_detector, params: " + params + "}",
                                         WorkerCategory::kOpportunity);
  h.Bind(*w);
  return DetectAll(h, *w);
}

TEST(FvgEntryDetector, GapOfExactlyMinGapSizeIsDetectedOneBasisPointLessIsNot) {
  const std::string params = "{min_gap_size: 5, require_structure_break: false}";
  auto hit = RunFvg(GapBars(100.05), params);  // exactly 5 bps
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0].first, 7u);
  EXPECT_EQ(hit[0].second.side, Side::kLong);
  EXPECT_EQ(hit[0].second.signal_type, "FVG_BULLISH");
  EXPECT_DOUBLE_EQ(hit[0].second.zone_low, 100.0);
  EXPECT_DOUBLE_EQ(hit[0].second.zone_high, 100.05);
  EXPECT_NEAR(hit[0].second.score, 5.0, 1e-9);
  EXPECT_TRUE(RunFvg(GapBars(100.04), params).empty());  // 4 bps
  // 4 bps is exactly the minimum of 4 (binary rounding does not lose it).
  EXPECT_EQ(RunFvg(GapBars(100.04), "{min_gap_size: 4, require_structure_break: false}").size(),
            1u);
}

TEST(FvgEntryDetector, BearishGapIsAShort) {
  std::vector<Bar> b = Flat(5);
  b.push_back({100, 100.1, 100, 100});  // low 100
  b.push_back({100, 100.05, 99.8, 99.85});
  b.push_back({99.9, 99.9, 99.7, 99.8});  // high 99.9: gap 99.9 .. 100 (10.01 bps)
  auto hit = RunFvg(b, "{min_gap_size: 10, require_structure_break: false}");
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(hit[0].second.side, Side::kShort);
  EXPECT_EQ(hit[0].second.signal_type, "FVG_BEARISH");
  EXPECT_DOUBLE_EQ(hit[0].second.zone_low, 99.9);
  EXPECT_DOUBLE_EQ(hit[0].second.zone_high, 100);
}

TEST(FvgEntryDetector, RequireStructureBreak) {
  // Flat bars have no swings, hence no break: the same gap is not an opportunity.
  EXPECT_TRUE(RunFvg(GapBars(100.05), "{min_gap_size: 5, swing_lookback: 2}").empty());
  // After a bullish break of structure (bar 8 closes above the swing high of bar 2) the gaps of
  // bars 8 (101.5 > high[6] 100) and 9 (105 > high[7] 102) count within a 10-bar window; with a
  // window of 0 only bar 8's, on the break's own bar.
  const std::vector<Bar> b = {{100, 101, 99, 100.5},      {100.5, 102, 100, 101.5},
                              {101.5, 105, 101, 104},     {104, 104.5, 102, 102.5},
                              {102.5, 103, 100, 100.5},   {100.5, 101, 98, 99},
                              {100, 100, 98.5, 99.2},     {99.8, 102, 99.5, 101.8},
                              {101.8, 106, 101.5, 105.5}, {105.5, 106.5, 105, 106}};
  auto wide = RunFvg(b, "{min_gap_size: 5, swing_lookback: 2, structure_window: 10}");
  ASSERT_EQ(wide.size(), 2u);
  EXPECT_EQ(wide[0].first, 8u);
  EXPECT_EQ(wide[1].first, 9u);
  auto narrow = RunFvg(b, "{min_gap_size: 5, swing_lookback: 2, structure_window: 0}");
  ASSERT_EQ(narrow.size(), 1u);
  EXPECT_EQ(narrow[0].first, 8u);
}

TEST(FvgEntryDetector, RequireVolumeConfirmation) {
  const std::string params =
      "{min_gap_size: 5, require_structure_break: false, require_volume_confirmation: true, "
      "volume_period: 3, volume_factor: 1.5}";
  EXPECT_TRUE(RunFvg(GapBars(100.05, 1000), params).empty());  // average volume
  // 3000 >= 1.5 x (1000 + 1000 + 3000) / 3
  EXPECT_EQ(RunFvg(GapBars(100.05, 3000), params).size(), 1u);
}

TEST(FvgDetector, SignalsTheFirstRetestOfAnOpenGap) {
  std::vector<Bar> b = GapBars(100.05);         // zone 100 .. 100.05 formed on bar 7
  b.push_back({100.2, 100.3, 100.1, 100.2});    // 8: above the zone
  b.push_back({100.2, 100.25, 100.03, 100.1});  // 9: trades into it, closes above 100
  b.push_back({100.1, 100.2, 100.02, 100.1});   // 10: again, but the gap was used
  Harness h(MakeBars(b));
  auto w = MakeWorker<OpportunityWorker>("{plugin: fvg_detector, params: {min_gap_size: 5}}",
                                         WorkerCategory::kOpportunity);
  h.Bind(*w);
  auto hits = DetectAll(h, *w);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].first, 9u);
  EXPECT_EQ(hits[0].second.signal_type, "FVG_RETEST_BULLISH");
  EXPECT_DOUBLE_EQ(hits[0].second.zone_low, 100);
}

TEST(FvgDetector, AGapClosedThroughIsNoSignal) {
  std::vector<Bar> b = GapBars(100.05);
  b.push_back({100.2, 100.25, 99.8, 99.9});  // 9: closes below the zone: filled
  Harness h(MakeBars(b));
  auto w = MakeWorker<OpportunityWorker>("{plugin: fvg_detector, params: {min_gap_size: 5}}",
                                         WorkerCategory::kOpportunity);
  h.Bind(*w);
  EXPECT_TRUE(DetectAll(h, *w).empty());
}

TEST(FvgDetector, CatchesUpOnBarsItWasNotCalledFor) {
  std::vector<Bar> b = GapBars(100.05);
  b.push_back({100.2, 100.3, 100.1, 100.2});
  b.push_back({100.2, 100.25, 100.03, 100.1});
  Harness h(MakeBars(b));
  auto w = MakeWorker<OpportunityWorker>("{plugin: fvg_detector, params: {min_gap_size: 5}}",
                                         WorkerCategory::kOpportunity);
  h.Bind(*w);
  OppSink early, late;
  w->Detect(h.At(3), early);  // then silent until bar 9
  w->Detect(h.At(9), late);
  ASSERT_EQ(late.emitted.size(), 1u);
}

TEST(BreakoutScanner, FirstCloseAboveThePriorChannel) {
  std::vector<Bar> b = Flat(5);                 // highs 100.05
  b.push_back({100, 100.12, 99.98, 100.1});     // 5: close above 100.05
  b.push_back({100.1, 100.2, 100.05, 100.15});  // 6: still above (its channel 100.12): no repeat
  b.push_back({100, 100.05, 99.0, 99.1});       // 7: close below the lowest low 99.95
  Harness h(MakeBars(b));
  auto w = MakeWorker<OpportunityWorker>("{plugin: breakout_scanner, params: {lookback: 3}}",
                                         WorkerCategory::kOpportunity);
  h.Bind(*w);
  auto hits = DetectAll(h, *w);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 5u);
  EXPECT_EQ(hits[0].second.signal_type, "BREAKOUT_UP");
  EXPECT_EQ(hits[1].first, 7u);
  EXPECT_EQ(hits[1].second.side, Side::kShort);
}

TEST(MomentumScanner, RateOfChangeCrossingTheThreshold) {
  std::vector<Bar> b = Flat(4);
  for (double c : {100.5, 101.2, 102.0, 100.0, 99.0}) b.push_back({c, c + 0.05, c - 0.05, c});
  // ROC(2) in %: bar 4: 0.5, bar 5: 1.2 (crosses 1), bar 6: 1.49 (still above), bar 7: -1.19
  // (crosses -1), bar 8: -2.9.
  Harness h(MakeBars(b));
  auto w = MakeWorker<OpportunityWorker>(
      "{plugin: momentum_scanner, params: {roc_period: 2, threshold_percent: 1.0, "
      "rsi_confirmation: false}}",
      WorkerCategory::kOpportunity);
  h.Bind(*w);
  auto hits = DetectAll(h, *w);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 5u);
  EXPECT_EQ(hits[0].second.signal_type, "MOMENTUM_UP");
  EXPECT_NEAR(hits[0].second.score, 1.2, 1e-9);
  EXPECT_EQ(hits[1].first, 7u);
  EXPECT_EQ(hits[1].second.signal_type, "MOMENTUM_DOWN");
}

// Closes 200, 199, ..., 180 (20 falling bars), then 182, 184, 186. Wilder RSI(14): 0 while
// falling; after the rises 13.3, 24.2, 33.2: it crosses back above 30 on bar 23.
std::vector<Bar> FallThenRise() {
  std::vector<Bar> b;
  for (int i = 0; i <= 20; ++i) {
    const double c = 200 - i;
    b.push_back({c + 0.5, c + 0.6, c - 0.1, c});
  }
  for (double c : {182.0, 184.0, 186.0}) b.push_back({c - 1.5, c + 0.1, c - 1.6, c});
  return b;
}

TEST(RsiReversal, CrossBackAboveOversold) {
  Harness h(MakeBars(FallThenRise()));
  auto w = MakeWorker<OpportunityWorker>("{plugin: rsi_reversal, params: {rsi_period: 14}}",
                                         WorkerCategory::kOpportunity);
  h.Bind(*w);
  const auto rsi = h.Column("rsi_14");
  EXPECT_NEAR(rsi[21], 13.33, 0.01);
  EXPECT_NEAR(rsi[22], 24.22, 0.01);
  EXPECT_NEAR(rsi[23], 33.24, 0.01);
  auto hits = DetectAll(h, *w);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].first, 23u);
  EXPECT_EQ(hits[0].second.signal_type, "RSI_REVERSAL_UP");
}

TEST(OversoldDetector, FirstBarBothStretchedAndOversold) {
  // A straight fall has z = -1.26 over 5 bars from bar 4 on, but RSI(14) exists (and is 0) only
  // from bar 14: the first oversold bar is 14, signalled once.
  Harness h(MakeBars(FallThenRise()));
  auto w = MakeWorker<OpportunityWorker>(
      "{plugin: oversold_detector, params: {period: 5, z_threshold: 1.2, rsi_period: 14}}",
      WorkerCategory::kOpportunity);
  h.Bind(*w);
  auto hits = DetectAll(h, *w);
  ASSERT_GE(hits.size(), 1u);
  EXPECT_EQ(hits[0].first, 14u);
  EXPECT_EQ(hits[0].second.signal_type, "OVERSOLD");
  EXPECT_NEAR(hits[0].second.score, 2.0 / std::sqrt(2.5), 1e-9);
  for (size_t i = 1; i < hits.size(); ++i) EXPECT_GT(hits[i].first, 20u);
}

TEST(MeanReversion, LevelsMustBeOrdered) {
  auto cfg = DefaultRegistry().ParseWorker(
      YAML::Load("{plugin: rsi_reversal, params: {oversold: 70, overbought: 30}}"),
      WorkerCategory::kOpportunity, std::nullopt, "bp.yaml", "opportunity_workers[0]");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("oversold must be below overbought"), std::string::npos)
      << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("bp.yaml: opportunity_workers[0]"), std::string::npos);
}

TEST(DcaOpportunityScorer, ScheduledAndScoredByDiscountAndPublished) {
  std::vector<Bar> b = Flat(30, 100);
  for (int i = 0; i < 10; ++i) b.push_back({95, 95.05, 94.95, 95});  // 5 below the high
  Harness h(MakeBars(b));
  auto w = MakeWorker<OpportunityWorker>(
      "{plugin: dca_opportunity_scorer, params: {schedule_bars: 10, high_lookback: 20, "
      "atr_period: 5, full_discount_atr: 10}}",
      WorkerCategory::kOpportunity);
  h.Bind(*w);
  const EventId scored = h.events.Intern("dca_opportunity_scored");
  std::vector<std::pair<uint32_t, double>> events;
  for (uint32_t t = 0; t < h.bars.size(); ++t) {
    OppSink sink;
    w->Detect(h.At(t), sink);
    EXPECT_EQ(sink.emitted.size(), sink.pub.published.size());
    for (auto& e : sink.pub.published) {
      EXPECT_EQ(e.id, scored);
      events.emplace_back(t, e.value);
    }
  }
  ASSERT_EQ(events.size(), 2u);  // bars 20 and 30 (bar 10 lacks 20 bars of history)
  EXPECT_EQ(events[0].first, 20u);
  // ATR(5) of the flat bars is 0.1: 0.05 below the high of 100.05 is 0.5 ATR -> 0.05.
  EXPECT_NEAR(events[0].second, 0.05, 1e-6);
  EXPECT_EQ(events[1].first, 30u);
  // The drop bar's true range 5.05 lifts ATR(5) to (4 x 0.1 + 5.05) / 5 = 1.09:
  // (100.05 - 95) / 1.09 / 10 = 0.4633.
  EXPECT_NEAR(events[1].second, 5.05 / 1.09 / 10, 1e-6);
}

}  // namespace
}  // namespace s1mple::engine::catalog_test
