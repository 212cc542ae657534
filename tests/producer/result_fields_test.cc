// ParseResultFields: the small blocks of a result sliced out of the text, the rest skipped.
#include "producer/result_fields.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace s1mple::producer
