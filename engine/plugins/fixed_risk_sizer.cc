// fixed_risk_sizer (PlanningWorker, size_planning): size so that hitting the stop loses a fixed
// percentage of equity.
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class FixedRiskSizer final : public PlanningWorker {
 public:
  explicit FixedRiskSizer(const ParamSet& p)
      : risk_(p.GetFloat("risk_per_trade_percent") / 100.0),
        leverage_(p.GetFloat("max_leverage")) {}

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    if (!plan.stop_loss) {
      plan.Reject("NO_STOP_FOR_RISK_SIZING");
      return;
    }
    const auto size = plugin::RiskSizedQuantity(in.bar->ledger->equity, risk_,
                                                Price{plan.ReferenceOr(in.bar->Close())},
                                                *plan.stop_loss, leverage_);
    if (!size) {
      plan.Reject("SIZE_ZERO");
      return;
    }
    plan.size = *size;
  }

 private:
  double risk_, leverage_;
};

}  // namespace

void RegisterFixedRiskSizer(PluginRegistry& r) {
  PluginManifest m;
  m.name = "fixed_risk_sizer";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "size_planning";
  m.description =
      "Size = equity x risk_per_trade_percent / |entry - stop|, capped so the notional stays "
      "within max_leverage x equity. Rejects with NO_STOP_FOR_RISK_SIZING when no stop was "
      "planned, and with SIZE_ZERO unless equity, the stop distance and the entry are positive "
      "numbers and the size a positive finite one.";
  m.phases = {PlanningPhase::kSize};
  m.params = {plugin::Float("risk_per_trade_percent", 1.0, 0.01, 100.0,
                            "equity lost, in %, if the stop is hit"),
              plugin::Float("max_leverage", 1.0, 0.01, 100.0, "cap on notional / equity")};
  plugin::MustRegister(r, std::move(m), plugin::Make<FixedRiskSizer>());
}

}  // namespace s1mple::engine
