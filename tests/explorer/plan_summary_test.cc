// The plan summary (producer/plan_summary.h writes it from the loaded plan, explorer/
// plan_summary.h reads it): what the Trade Explorer knows of a plan without reading YAML.
#include "explorer/plan_summary.h"

#include <gtest/gtest.h>

#include <memory>

#include "producer/plan_loader.h"
#include "producer/plan_summary.h"
#include "tests/explorer/summarize.h"

namespace s1mple::explorer {
namespace {

using nlohmann::json;

// A plan's text -> the producer's loader and summary -> what the explorer reads from it.
PlanInfo Summarized(const std::string& text) {
  return ReadPlanSummary(testing::SummaryOfPlanText(text));
}

// The constraints as producer/plan_loader.cc reads them, carried by the plan summary, and the
// rule of the best configuration (producer::CheckConstraints): a missing metric fails,
// max_drawdown by magnitude.
TEST(PlanSummary, CarriesConstraintsAndDirection) {
  PlanInfo p = Summarized(R"(optimization_config:
  name: c
  optimization_targets: {primary_metric: sharpe_ratio}
  constraints:
    min_trades: 20
    max_drawdown: 25.0
    min_win_rate: 40
    max_opportunities_rejected: 50
)");
  EXPECT_TRUE(p.maximize);
  ASSERT_EQ(p.constraints.size(), 4u);
  EXPECT_EQ(p.constraints[0].metric, "total_trades");
  EXPECT_EQ(*p.constraints[0].min, 20);
  EXPECT_EQ(p.constraints[1].metric, "max_drawdown");
  EXPECT_EQ(*p.constraints[1].max, 25);
  EXPECT_TRUE(p.constraints[1].absolute);
  EXPECT_EQ(p.constraints[2].metric, "win_rate");
  EXPECT_EQ(p.constraints[3].metric, "opportunities_rejected");
  EXPECT_FALSE(p.constraints[3].absolute);

  auto run = [](double trades, double dd, double win, double rejected) {
    return json{{"metrics", {{"total_trades", trades}, {"max_drawdown", dd}, {"win_rate", win}}},
                {"causality", {{"opportunities_rejected", rejected}}}};
  };
  EXPECT_TRUE(MeetsConstraints(run(20, 25, 40, 50), p.constraints));
  std::vector<std::string> why;
  EXPECT_FALSE(MeetsConstraints(run(19, -25.5, 40, 51), p.constraints, &why));
  EXPECT_EQ(why, (std::vector<std::string>{"total_trades 19.0 < 20.0", "max_drawdown 25.5 > 25.0",
                                           "opportunities_rejected 51.0 > 50.0"}));
  json missing = run(30, 1, 50, 0);
  missing["metrics"]["win_rate"] = nullptr;
  why.clear();
  EXPECT_FALSE(MeetsConstraints(missing, p.constraints, &why));
  EXPECT_EQ(why, std::vector<std::string>{"win_rate undefined"});

  EXPECT_FALSE(Summarized("optimization_config:\n  optimization_targets: {primary_metric: "
                          "max_drawdown}\n")
                   .maximize);
  EXPECT_TRUE(Summarized("optimization_config:\n  optimization_targets: {primary_metric: "
                         "max_drawdown, direction: maximize}\n")
                  .maximize);
  const json c = ConstraintsJson(p.constraints);
  EXPECT_EQ(c[1], (json{{"key", "max_drawdown"},
                        {"metric", "max_drawdown"},
                        {"min", nullptr},
                        {"max", 25.0},
                        {"absolute", true}}));
}

TEST(PlanSummary, CarriesNamesVariantsAndTargets) {
  PlanInfo opt = Summarized(R"(optimization_config:
  name: "FVG sweep"
  optimization_targets:
    primary_metric: "total_return"
    secondary_metrics: ["max_drawdown"]
)");
  EXPECT_EQ(opt.name, "FVG sweep");
  EXPECT_EQ(opt.primary_metric, "total_return");
  EXPECT_EQ(opt.secondary_metrics, std::vector<std::string>{"max_drawdown"});
  PlanInfo var = Summarized(R"(variant_config:
  name: "Exits"
  variants:
    - name: "baseline"
      overrides: {}
    - name: "atr"
      description: "ATR stops"
  comparison_config:
    metrics: ["sharpe_ratio"]
)");
  ASSERT_EQ(var.variants.size(), 2u);
  EXPECT_EQ(var.variants[1].name, "atr");
  EXPECT_EQ(var.variants[1].description, "ATR stops");
  EXPECT_EQ(var.primary_metric, "sharpe_ratio");
  EXPECT_EQ(var.comparison_metrics, std::vector<std::string>{"sharpe_ratio"});
  // A summary that does not parse (or none: an older producer) gives the defaults.
  EXPECT_EQ(ReadPlanSummary(": : not json [").name, "");
  EXPECT_EQ(ReadPlanSummary("").primary_metric, "sharpe_ratio");
}

}  // namespace
}  // namespace s1mple::explorer
