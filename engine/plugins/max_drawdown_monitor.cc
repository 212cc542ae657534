// max_drawdown_monitor (ThreatWorker): raises MAX_DRAWDOWN_BREACHED when equity has fallen too
// far from its peak (or from the day's start), which blocks new entries while it stands.
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class MaxDrawdownMonitor final : public ThreatWorker {
 public:
  explicit MaxDrawdownMonitor(const ParamSet& p)
      : max_dd_(p.GetFloat("max_drawdown_percent")), max_daily_(p.GetFloat("max_daily_drawdown")) {}

  void OnAssess(const BarContext& bar, ThreatSink& out) override {
    const LedgerView& l = *bar.ledger;
    const double peak = l.peak_equity.v, equity = l.equity.v, day_start = l.day_start_equity.v;
    const double dd = peak > 0 ? (peak - equity) / peak * 100.0 : 0;
    if (dd >= max_dd_) {
      out.Raise("MAX_DRAWDOWN_BREACHED", Severity::kHigh, true, dd);
      return;
    }
    if (max_daily_ > 0 && day_start > 0) {
      const double daily = (day_start - equity) / day_start * 100.0;
      if (daily >= max_daily_) out.Raise("DAILY_DRAWDOWN_BREACHED", Severity::kHigh, true, daily);
    }
  }

 private:
  double max_dd_, max_daily_;
};

}  // namespace

void RegisterMaxDrawdownMonitor(PluginRegistry& r) {
  PluginManifest m;
  m.name = "max_drawdown_monitor";
  m.category = WorkerCategory::kThreat;
  m.subtype = "portfolio_risk";
  m.description =
      "Raises MAX_DRAWDOWN_BREACHED (HIGH, blocks new entries) while equity is at least "
      "`max_drawdown_percent` below its peak, else DAILY_DRAWDOWN_BREACHED while it is at least "
      "`max_daily_drawdown` % below the previous day's closing equity. The threat stands until "
      "the monitor next runs without raising it.";
  m.params = {plugin::Float("max_drawdown_percent", 20.0, 0.1, 100.0,
                            "peak-to-current equity fall, in %, that blocks new entries"),
              plugin::Float("max_daily_drawdown", 0.0, 0.0, 100.0,
                            "fall from the previous day's closing equity, in %; 0 = off")};
  m.default_triggers = {"on_ledger_update"};
  plugin::MustRegister(r, std::move(m), plugin::Make<MaxDrawdownMonitor>());
}

}  // namespace s1mple::engine
