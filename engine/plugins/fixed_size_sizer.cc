// fixed_size_sizer (PlanningWorker, size_planning): the same number of units on every trade.
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class FixedSizeSizer final : public PlanningWorker {
 public:
  explicit FixedSizeSizer(const ParamSet& p) : units_(p.GetFloat("units")) {}
  void OnPlan(const PlanningInput&, TradePlan& plan) override { plan.size = Quantity{units_}; }

 private:
  double units_;
};

}  // namespace

void RegisterFixedSizeSizer(PluginRegistry& r) {
  PluginManifest m;
  m.name = "fixed_size_sizer";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "size_planning";
  m.description =
      "Size = `units` on every trade, whatever the equity, stop or price (no stop needed). For "
      "strategies compared unit for unit, e.g. against a vectorised baseline.";
  m.phases = {PlanningPhase::kSize};
  m.params = {plugin::Float("units", 1.0, 1e-9, 1e12, "units (of the instrument) per trade")};
  plugin::MustRegister(r, std::move(m), plugin::Make<FixedSizeSizer>());
}

}  // namespace s1mple::engine
