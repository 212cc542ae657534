// fixed_rr_exit (PlanningWorker, exit_planning): a take-profit at a fixed multiple of the risk.
#include <cmath>

#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class FixedRrExit final : public PlanningWorker {
 public:
  explicit FixedRrExit(const ParamSet& p) : rr_(p.GetFloat("risk_reward_ratio")) {}

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    if (!plan.stop_loss) return;  // nothing to measure the risk from
    const double ref = plan.ReferenceOr(in.bar->Close());
    plan.take_profit = Price{ref + Sign(plan.side) * rr_ * std::fabs(ref - plan.stop_loss->v)};
  }

 private:
  double rr_;
};

}  // namespace

void RegisterFixedRrExit(PluginRegistry& r) {
  PluginManifest m;
  m.name = "fixed_rr_exit";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "exit_planning";
  m.description =
      "Take profit at `risk_reward_ratio` times the entry-to-stop distance. Needs a stop from an "
      "earlier exit planner: under PlanningOperator SEQUENTIAL + CHAIN_THROUGH it sees the stop "
      "atr_based_stops set; under PARALLEL + COLLECT_ALL it does not, and sets no target.";
  m.phases = {PlanningPhase::kExit};
  m.params = {
      plugin::Float("risk_reward_ratio", 2.0, 0.1, 50.0, "target distance / stop distance")};
  plugin::MustRegister(r, std::move(m), plugin::Make<FixedRrExit>());
}

}  // namespace s1mple::engine
