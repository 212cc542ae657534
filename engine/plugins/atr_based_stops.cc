// atr_based_stops (PlanningWorker, exit_planning): a stop `atr_multiplier` ATRs from the entry.
#include <cmath>

#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class AtrBasedStops final : public PlanningWorker {
 public:
  explicit AtrBasedStops(const ParamSet& p)
      : period_(static_cast<int>(p.GetInt("atr_period"))), mult_(p.GetFloat("atr_multiplier")) {}

  Status OnBind(BindContext& ctx) override {
    auto atr = ctx.frame.Atr(period_);
    if (!atr.ok()) return atr.status();
    atr_ = ctx.frame.Data(*atr);
    return Status::Ok();
  }

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    const double atr = atr_[in.bar->bar];
    if (std::isnan(atr)) {
      plan.Reject("ATR_NOT_READY");
      return;
    }
    const double ref = plan.ReferenceOr(in.bar->Close());
    plan.stop_loss = Price{ref - Sign(plan.side) * mult_ * atr};
  }

 private:
  int period_;
  double mult_;
  const double* atr_ = nullptr;
};

}  // namespace

void RegisterAtrBasedStops(PluginRegistry& r) {
  PluginManifest m;
  m.name = "atr_based_stops";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "exit_planning";
  m.description =
      "Stop loss `atr_multiplier` x ATR(`atr_period`) of the signal bar away from the expected "
      "entry (below for longs, above for shorts). Rejects with ATR_NOT_READY during warm-up.";
  m.phases = {PlanningPhase::kExit};
  m.params = {plugin::Int("atr_period", 14, 1, 1000, "ATR period"),
              plugin::Float("atr_multiplier", 2.0, 0.1, 20.0, "stop distance in ATRs")};
  plugin::MustRegister(r, std::move(m), plugin::Make<AtrBasedStops>());
}

}  // namespace s1mple::engine
