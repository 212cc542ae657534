// adaptive_risk_sizer (PlanningWorker, size_planning): fixed-fractional risk sizing that cuts the
// risk while threats stand.
#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

Severity ParseSeverity(const std::string& s) {
  if (s == "CRITICAL") return Severity::kCritical;
  if (s == "HIGH") return Severity::kHigh;
  if (s == "MEDIUM") return Severity::kMedium;
  return Severity::kLow;
}

class AdaptiveRiskSizer final : public PlanningWorker {
 public:
  explicit AdaptiveRiskSizer(const ParamSet& p)
      : risk_(p.GetFloat("base_risk_percent") / 100.0),
        reduce_(p.GetBool("reduce_on_high_threat")),
        min_severity_(ParseSeverity(p.GetString("threat_min_severity"))),
        factor_(p.GetFloat("threat_risk_factor")),
        leverage_(p.GetFloat("max_leverage")) {}

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    if (!plan.stop_loss) {
      plan.Reject("NO_STOP_FOR_RISK_SIZING");
      return;
    }
    double risk = risk_;
    if (reduce_ && ThreatStands(in.bar->threats)) risk *= factor_;
    const auto size = plugin::RiskSizedQuantity(in.bar->ledger->equity, risk,
                                                Price{plan.ReferenceOr(in.bar->Close())},
                                                *plan.stop_loss, leverage_);
    if (!size) {
      plan.Reject("SIZE_ZERO");
      return;
    }
    plan.size = *size;
  }

 private:
  bool ThreatStands(std::span<const Threat> threats) const {
    for (const Threat& th : threats)
      if (th.severity >= min_severity_) return true;
    return false;
  }

  double risk_;
  bool reduce_;
  Severity min_severity_;
  double factor_, leverage_;
};

}  // namespace

void RegisterAdaptiveRiskSizer(PluginRegistry& r) {
  PluginManifest m;
  m.name = "adaptive_risk_sizer";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "size_planning";
  m.description =
      "Size = equity x risk / |entry - stop| (capped at max_leverage x equity of notional), "
      "with risk = base_risk_percent; with reduce_on_high_threat the risk is multiplied by "
      "threat_risk_factor (once) while any threat of at least threat_min_severity stands — "
      "e.g. a non-blocking MARKET_RISK_HIGH from volatility_spike_detector halves the size at "
      "the default 0.5. Rejects with NO_STOP_FOR_RISK_SIZING when no stop was planned, and with "
      "SIZE_ZERO "
      "unless equity, the stop distance and the entry are positive numbers and the size a "
      "positive finite one (e.g. threat_risk_factor 0 under a threat).";
  m.phases = {PlanningPhase::kSize};
  m.params = {
      plugin::Float("base_risk_percent", 1.0, 0.01, 100.0,
                    "equity lost, in %, if the stop is hit, without threats"),
      plugin::Bool("reduce_on_high_threat", true, "cut the risk while threats stand"),
      plugin::Enum("threat_min_severity", "MEDIUM", {"LOW", "MEDIUM", "HIGH", "CRITICAL"},
                   "least severity of a threat that cuts the risk"),
      plugin::Float("threat_risk_factor", 0.5, 0.0, 1.0, "multiplier of the risk under a threat"),
      plugin::Float("max_leverage", 1.0, 0.01, 100.0, "cap on notional / equity")};
  plugin::MustRegister(r, std::move(m), plugin::Make<AdaptiveRiskSizer>());
}

}  // namespace s1mple::engine
