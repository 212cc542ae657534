// ParseResultFields: the small blocks of a result sliced out of the text, the rest skipped.
#include "producer/result_fields.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "engine/result.h"

namespace s1mple::producer {
namespace {

using nlohmann::json;

TEST(ResultFields, SlicesTheWantedTopLevelFields) {
  const json doc = {
      {"bars", 20000},
      {"causality",
       {{"opportunities_detected", 3},
        {"top_rejection_reasons", {{{"threat_type", "A}\"]{"}, {"count", 1}}}}}},
      {"equity", {{1, 2.5}, {2, 3.5}}},
      {"metrics", {{"sharpe_ratio", 1.25}, {"profit_factor", nullptr}}},
      {"name", "tricky \"metrics\":{ name \\"},
      {"trades", json::array({{{"exit_reason", "}]"}, {"pnl", -1e-300}}})},
  };
  for (const std::string& text : {doc.dump(), doc.dump(2)}) {
    const json got = ParseResultFields(text, {"metrics", "causality", "bars"});
    ASSERT_FALSE(got.is_discarded()) << text;
    EXPECT_EQ(got.size(), 3u);
    EXPECT_EQ(got["metrics"], doc["metrics"]);
    EXPECT_EQ(got["causality"], doc["causality"]);
    EXPECT_EQ(got["bars"], 20000);
    EXPECT_FALSE(got.contains("equity"));
  }
}

TEST(ResultFields, MissingFieldsAreAbsentAndBadTextIsDiscarded) {
  EXPECT_EQ(ParseResultFields(R"({"a": [1, {"b": "}"}]})", {"metrics"}), json::object());
  EXPECT_EQ(ParseResultFields("{}", {"metrics"}), json::object());
  for (const char* bad : {"", "[1]", "{", R"({"metrics": {)", R"({"metrics": {"x": 1}} trailing)",
                          R"({"metrics": {"x": }})", R"({"a" 1})", "not json"})
    EXPECT_TRUE(ParseResultFields(bad, {"metrics"}).is_discarded()) << bad;
}

TEST(ResultFields, AgreesWithAFullParseOfAnEngineResult) {
  engine::BacktestResult r;
  r.name = "ema_cross";
  r.metrics.sharpe_ratio = 0.5;
  r.metrics.total_trades = 2;
  r.causality.opportunities_detected = 7;
  r.causality.top_rejection_reasons.push_back({"MAX_DRAWDOWN_BREACHED", 4});
  r.equity = {{engine::TimestampMs{0}, 100.0}, {engine::TimestampMs{3'600'000}, 101.0}};
  const json full = engine::ToJson(r);
  const json got = ParseResultFields(full.dump(), {"metrics", "causality"});
  ASSERT_FALSE(got.is_discarded());
  EXPECT_EQ(got["metrics"], full["metrics"]);
  EXPECT_EQ(got["causality"], full["causality"]);
}

// The outputs' overload reads "returns" apart, without a document: the series the document path
// reads, and the same discarded value for a returns text that is not JSON.
TEST(ResultFields, TheReturnsAreReadApartAsTheDocumentPathReadsThem) {
  engine::BacktestResult r;
  r.metrics.sharpe_ratio = 0.5;
  for (int64_t d = 0; d < 400; ++d) {
    r.daily_returns.days.push_back(19000 + d + (d > 100 ? 3 : 0));
    r.daily_returns.values.push_back(d % 17 == 0 ? -0.0 : 0.001 * static_cast<double>(d % 23 - 11));
  }
  const json full = engine::ToJson(r);
  ASSERT_TRUE(full.contains("returns"));
  std::optional<engine::DailyReturns> returns;
  const json got = ParseResultFields(full.dump(), {"metrics", "returns"}, returns);
  ASSERT_FALSE(got.is_discarded());
  EXPECT_EQ(got["metrics"], full["metrics"]);
  EXPECT_FALSE(got.contains("returns"));
  ASSERT_TRUE(returns.has_value());
  const auto want = engine::DailyReturnsFromJson(full["returns"]);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(returns->days, want->days);
  ASSERT_EQ(returns->values.size(), want->values.size());
  for (size_t i = 0; i < want->values.size(); ++i)
    EXPECT_EQ(std::signbit(returns->values[i]), std::signbit(want->values[i])) << i;
  EXPECT_EQ(returns->values, want->values);
  // ReturnsOf takes the parsed series, or reads the document's.
  std::optional<engine::DailyReturns> holder;
  EXPECT_EQ(ReturnsOf(got, &*returns, holder), &*returns);
  const engine::DailyReturns* from_doc = ReturnsOf(full, nullptr, holder);
  ASSERT_NE(from_doc, nullptr);
  EXPECT_EQ(from_doc->days, want->days);
  EXPECT_EQ(ReturnsOf(got, nullptr, holder), nullptr);

  EXPECT_TRUE(
      ParseResultFields(R"({"returns": {"values": [1,}})", {"returns"}, returns).is_discarded());
  const json odd =
      ParseResultFields(R"({"returns": {"values": 5}, "bars": 3})", {"returns", "bars"}, returns);
  ASSERT_FALSE(odd.is_discarded());  // JSON, but not a series: no returns, as the document path
  EXPECT_FALSE(returns.has_value());
  EXPECT_EQ(odd["bars"], 3);
}

}  // namespace
}  // namespace s1mple::producer
