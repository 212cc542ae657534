// Metrics on a hand-computed equity curve, and the JSON shape with undefined values.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/result.h"

namespace s1mple::engine {
namespace {

constexpr int64_t kDay = 86'400'000, kHour = 3'600'000, kT0 = 1577836800000;

Trade MakeTrade(double pnl, int64_t hours) {
  Trade t;
  t.entry_time = TimestampMs{kT0};
  t.exit_time = TimestampMs{kT0 + hours * kHour};
  t.pnl = Money{pnl};
  return t;
}

// Daily closes 100 (start) -> 110 -> 99 -> 110 -> 121; returns 0.1, -0.1, 1/9, 0.1.
std::vector<EquityPoint> Curve() {
  return {{TimestampMs{kT0}, 100},
          {TimestampMs{kT0 + 23 * kHour}, 110},
          {TimestampMs{kT0 + kDay + 12 * kHour}, 104},  // intraday, not a daily close
          {TimestampMs{kT0 + kDay + 23 * kHour}, 99},
          {TimestampMs{kT0 + 2 * kDay + 23 * kHour}, 110},
          {TimestampMs{kT0 + 3 * kDay + 23 * kHour}, 121}};
}

TEST(Metrics, HandComputedCurve) {
  auto eq = Curve();
  std::vector<Trade> trades{MakeTrade(10, 2), MakeTrade(-5, 4), MakeTrade(20, 6)};
  Metrics m = ComputeMetrics(eq, trades, 252);
  EXPECT_NEAR(m.total_return, 21.0, 1e-12);
  EXPECT_NEAR(m.max_drawdown, 10.0, 1e-12);  // 110 -> 99
  // mean 0.0527777..., sample std 0.1019864..., x sqrt(252)
  ASSERT_TRUE(m.sharpe_ratio);
  EXPECT_NEAR(*m.sharpe_ratio, 8.215025677639305, 1e-9);
  // downside deviation sqrt(0.01 / 4) = 0.05
  ASSERT_TRUE(m.sortino_ratio);
  EXPECT_NEAR(*m.sortino_ratio, 16.756424970075766, 1e-9);
  const double years = (3.0 * kDay + 23.0 * kHour) / (365.25 * kDay);
  ASSERT_TRUE(m.cagr);
  EXPECT_NEAR(*m.cagr, (std::pow(1.21, 1.0 / years) - 1.0) * 100.0, 1e-6 * *m.cagr);
  ASSERT_TRUE(m.calmar);
  EXPECT_NEAR(*m.calmar, *m.cagr / 10.0, 1e-6 * *m.calmar);
  EXPECT_EQ(m.total_trades, 3);
  EXPECT_NEAR(*m.win_rate, 200.0 / 3.0, 1e-12);
  EXPECT_NEAR(*m.profit_factor, 6.0, 1e-12);
  EXPECT_NEAR(*m.avg_trade_duration, 4.0, 1e-12);
}

TEST(Metrics, UndefinedValuesAreNullInJson) {
  std::vector<EquityPoint> flat{
      {TimestampMs{kT0}, 100}, {TimestampMs{kT0 + kDay}, 100}, {TimestampMs{kT0 + 2 * kDay}, 100}};
  Metrics m = ComputeMetrics(flat, {}, 252);
  EXPECT_FALSE(m.sharpe_ratio);  // zero variance
  EXPECT_FALSE(m.sortino_ratio);
  EXPECT_FALSE(m.win_rate);  // no trades
  EXPECT_FALSE(m.profit_factor);
  EXPECT_FALSE(m.calmar);  // no drawdown
  EXPECT_EQ(m.max_drawdown, 0);
  auto j = MetricsToJson(m);
  EXPECT_TRUE(j["sharpe_ratio"].is_null());
  EXPECT_TRUE(j["profit_factor"].is_null());
  EXPECT_EQ(j["total_trades"], 0);
  EXPECT_EQ(j["total_return"], 0.0);

  std::vector<Trade> only_wins{MakeTrade(5, 1)};
  EXPECT_FALSE(ComputeMetrics(flat, only_wins, 252).profit_factor);  // no losses: infinite
}

TEST(ResultJson, HasTheDocumentedShape) {
  BacktestResult r;
  r.name = "x";
  r.equity = Curve();
  r.trades = {MakeTrade(10, 2)};
  r.trades[0].opportunity = OpportunityId{7};
  r.bars = 6;
  r.period_start = r.equity.front().ts;
  r.period_end = r.equity.back().ts;
  r.metrics = ComputeMetrics(r.equity, r.trades, 252);
  r.causality.opportunities_detected = 3;
  r.causality.top_rejection_reasons = {{"MAX_DRAWDOWN_BREACHED", 2, /*by_threat=*/true},
                                       {"POSITION_OPEN", 1, /*by_threat=*/false}};
  auto j = ToJson(r);
  for (const char* k : {"metrics", "causality", "equity", "trades", "bars", "period"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k :
       {"sharpe_ratio", "sortino_ratio", "total_return", "cagr", "max_drawdown", "calmar",
        "win_rate", "profit_factor", "total_trades", "avg_trade_duration"})
    EXPECT_TRUE(j["metrics"].contains(k)) << k;
  // Every entry names its reason; only one a threat caused also carries threat_type.
  const auto& reasons = j["causality"]["top_rejection_reasons"];
  EXPECT_EQ(reasons[0]["reason"], "MAX_DRAWDOWN_BREACHED");
  EXPECT_EQ(reasons[0]["threat_type"], "MAX_DRAWDOWN_BREACHED");
  EXPECT_EQ(reasons[0]["count"], 2);
  EXPECT_EQ(reasons[1]["reason"], "POSITION_OPEN");
  EXPECT_FALSE(reasons[1].contains("threat_type"));
  EXPECT_EQ(j["equity"].size(), 6u);
  EXPECT_EQ(j["equity"][0][0], kT0);
  EXPECT_EQ(j["equity"][0][1], 100.0);
  EXPECT_EQ(j["trades"][0]["opportunity_id"], 7);
  EXPECT_EQ(j["trades"][0]["entry_time"], "2020-01-01T00:00:00Z");
  EXPECT_EQ(j["period"]["start"], "2020-01-01T00:00:00Z");
}

TEST(ResultJson, DownsamplingKeepsEndsAndDrawdownExtremes) {
  std::vector<EquityPoint> eq;
  for (int i = 0; i < 10000; ++i) {
    double v = 100 + i * 0.01;
    if (i == 6543) v = 300;  // the peak
    if (i == 7001) v = 50;   // the trough
    eq.push_back({TimestampMs{kT0 + i * kHour}, v});
  }
  auto idx = DownsampleEquity(eq, 100);
  EXPECT_LE(idx.size(), 100u);
  EXPECT_GE(idx.size(), 90u);
  EXPECT_EQ(idx.front(), 0u);
  EXPECT_EQ(idx.back(), 9999u);
  EXPECT_NE(std::find(idx.begin(), idx.end(), 6543u), idx.end());
  EXPECT_NE(std::find(idx.begin(), idx.end(), 7001u), idx.end());
  EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
  BacktestResult r;
  r.equity = eq;
  JsonOptions o;
  o.max_equity_points = 100;
  EXPECT_LE(ToJson(r, o)["equity"].size(), 100u);
  EXPECT_EQ(DownsampleEquity(eq, 0).size(), eq.size());
}

}  // namespace
}  // namespace s1mple::engine
