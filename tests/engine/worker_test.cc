// The worker bases keep their invariants (engine/worker.h): a plugin that throws fails the run
// with a message naming its file, YAML path and plugin; RunOptions::time_workers times each
// worker without changing the result; the NaN rule for prices workers hand the engine.
#include <gtest/gtest.h>

#include <stdexcept>

#include "engine/operation.h"
#include "tests/engine/engine_test_util.h"
#include "tests/engine/test_plugins.h"

namespace s1mple::engine {
namespace {

using testing::MakeBars;
using testing::Ohlc;

// Throws from the hook named by `where` (bind, detect) on bar `at`.
class ThrowingDetector final : public OpportunityWorker {
 public:
  explicit ThrowingDetector(const ParamSet& p)
      : where_(p.GetString("where")), at_(static_cast<uint32_t>(p.GetInt("at"))) {}
  Status OnBind(BindContext&) override {
    if (where_ == "bind") throw std::runtime_error("cannot bind");
    return Status::Ok();
  }
  void OnDetect(const BarContext& bar, OpportunitySink&) override {
    if (bar.bar == at_) throw std::runtime_error("boom");
  }

 private:
  std::string where_;
  uint32_t at_;
};

class ThrowingPlanner final : public PlanningWorker {
 public:
  explicit ThrowingPlanner(const ParamSet&) {}
  void OnPlan(const PlanningInput&, TradePlan&) override { throw std::out_of_range("no plan"); }
};

// Plans a size and NaN-valued prices: the base treats them as no prices.
class NanPlanner final : public PlanningWorker {
 public:
  explicit NanPlanner(const ParamSet&) {}
  void OnPlan(const PlanningInput&, TradePlan& plan) override {
    plan.stop_loss = Price{kNaN};
    plan.take_profit = Price{kNaN};
    plan.size = Quantity{1};
  }
};

PluginRegistry Registry() {
  PluginRegistry r = testing::TestRegistry(std::make_shared<testing::Probe>());
  using namespace plugin;
  PluginManifest det;
  det.name = "test_thrower";
  det.category = WorkerCategory::kOpportunity;
  det.params = {String("where", "detect", ""), Int("at", 5, 0, 1000000, "")};
  MustRegister(r, det, Make<ThrowingDetector>());
  PluginManifest plan;
  plan.name = "test_throwing_planner";
  plan.category = WorkerCategory::kPlanning;
  MustRegister(r, plan, Make<ThrowingPlanner>());
  PluginManifest nan;
  nan.name = "test_nan_planner";
  nan.category = WorkerCategory::kPlanning;
  MustRegister(r, nan, Make<NanPlanner>());
  PluginManifest factory;
  factory.name = "test_throwing_factory";
  factory.category = WorkerCategory::kOpportunity;
  MustRegister(r, factory, [](const ParamSet&) -> Result<std::unique_ptr<Worker>> {
    throw std::runtime_error("factory broke");
  });
  return r;
}

struct Fixture : ::testing::Test {
  PluginRegistry registry = Registry();
  Result<BacktestResult> Run(const std::string& blueprint, size_t bars = 20,
                             bool time_workers = false) {
    StrategyLink link = testing::Link(blueprint, "", "", registry);
    link.blueprint_path = "config/strategies/x.yaml";  // as LoadOperationFile would set it
    RunOptions o;
    o.registry = &registry;
    o.time_workers = time_workers;
    return RunBacktest(link, data_ = MakeBars(std::vector<Ohlc>(bars, Ohlc{100, 101, 99, 100})), o);
  }
  BarSeries data_;
};

TEST_F(Fixture, AThrowInDetectFailsTheRunNamingFileYamlPathAndPlugin) {
  auto r =
      Run("opportunity_workers:\n  - plugin: test_signal\n    params: {at: ['1:long:1']}\n"
          "  - plugin: test_thrower\n    params: {at: 5}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInternal);
  EXPECT_EQ(r.status().message(),
            "config/strategies/x.yaml: opportunity_workers[1] (test_thrower): threw: boom (bar 5, "
            "2020-01-01T05:00:00Z)");
}

TEST_F(Fixture, AThrowInBindFailsBeforeTheBarLoop) {
  auto r = Run("opportunity_workers:\n  - plugin: test_thrower\n    params: {where: bind}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "config/strategies/x.yaml: opportunity_workers[0] (test_thrower): threw: cannot bind");
}

TEST_F(Fixture, AThrowInPlanNamesThePlanningSlot) {
  auto r =
      Run("opportunity_workers:\n  - plugin: test_signal\n    params: {at: ['3:long:1']}\n"
          "planning_workers:\n  exit_planning:\n    - plugin: test_throwing_planner\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "config/strategies/x.yaml: planning_workers.exit_planning[0] (test_throwing_planner): "
            "threw: no plan (bar 3, 2020-01-01T03:00:00Z)");
}

TEST_F(Fixture, AThrowingFactoryIsRefusedAtLoadNamingTheWorker) {
  auto op = ParseOperationTexts(testing::Environment(),
                                "opportunity_workers:\n  - plugin: test_throwing_factory\n", "",
                                "test", registry);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().message(),
            "test blueprint: opportunity_workers[0].params: plugin 'test_throwing_factory' failed "
            "to construct: factory broke");
}

TEST_F(Fixture, NaNPricesFromAPlannerCountAsNoPrices) {
  // A NaN stop would be "not beyond the entry" if compared; as no stop the plan is accepted and
  // the position has neither stop nor target.
  auto r =
      Run("opportunity_workers:\n  - plugin: test_signal\n    params: {at: ['2:long:1']}\n"
          "planning_workers:\n  exit_planning:\n    - plugin: test_nan_planner\n",
          10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->causality.opportunities_rejected, 0);
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, "end_of_data");
}

TEST(WorkerTimings, FilledOnlyWhenAskedAndTheResultIsUnchanged) {
  auto op = LoadOperationFile("config/operations/ema_cross.yaml");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  DataSpec spec = op->links[0].environment.data;
  spec.bars = 3000;
  auto bars = GenerateSyntheticBars(spec);
  ASSERT_TRUE(bars.ok());
  auto off = RunBacktest(op->links[0], **bars);
  RunOptions timed;
  timed.time_workers = true;
  auto on = RunBacktest(op->links[0], **bars, timed);
  ASSERT_TRUE(off.ok() && on.ok());
  EXPECT_TRUE(off->worker_timings.empty());
  EXPECT_EQ(ToJson(*off).dump(), ToJson(*on).dump());
  const BlueprintConfig& bp = op->links[0].blueprint;
  size_t workers =
      bp.context_workers.size() + bp.opportunity_workers.size() + bp.threat_workers.size();
  for (const auto& phase : bp.planning_workers) workers += phase.size();
  for (const auto& g : bp.execution_workers) workers += g.workers.size();
  ASSERT_EQ(on->worker_timings.size(), workers);
  for (const WorkerTiming& w : on->worker_timings) {
    EXPECT_FALSE(w.plugin.empty());
    EXPECT_FALSE(w.yaml_path.empty());
    if (w.category == WorkerCategory::kContext) {
      EXPECT_EQ(w.calls, 0u) << w.yaml_path;  // context workers only bind and compute
      EXPECT_GT(w.setup_nanoseconds, 0) << w.yaml_path;
    }
    if (w.category == WorkerCategory::kOpportunity) {  // trend_follower: every traded bar
      EXPECT_EQ(w.calls, static_cast<uint64_t>(on->bars)) << w.yaml_path;
      EXPECT_GT(w.nanoseconds, 0) << w.yaml_path;
    }
  }
}

}  // namespace
}  // namespace s1mple::engine
