// emergency_exit_agent (ExecutionWorker, risk_safety): closes the position and cancels pending
// entries when a threat of a listed severity is detected.
#include <algorithm>
#include <array>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class EmergencyExitAgent final : public ExecutionWorker {
 public:
  explicit EmergencyExitAgent(const ParamSet& p) : cancel_(p.GetBool("cancel_pending_entries")) {
    for (const auto& s : p.GetStringList("exit_on_severity")) {
      for (Severity v : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical})
        if (SeverityName(v) == s) exit_on_[static_cast<size_t>(v)] = true;
    }
  }

  void OnManage(const BarContext& bar, PositionActions& actions) override {
    if (!Triggered(bar)) return;
    if (bar.ledger->position.open) actions.CloseAll("emergency_exit");
    if (cancel_ && bar.ledger->pending_orders > 0) actions.CancelPendingEntries();
  }

 private:
  // On on_threat_detected: the detected threat. On any other trigger: any standing threat.
  bool Triggered(const BarContext& bar) const {
    const bool threat_event = bar.event && bar.event->id == kOnThreatDetected;
    for (const Threat& th : bar.threats) {
      if (threat_event && th.id != bar.event->threat) continue;
      if (exit_on_[static_cast<size_t>(th.severity)]) return true;
    }
    return false;
  }

  bool cancel_;
  std::array<bool, 4> exit_on_{};
};

}  // namespace

void RegisterEmergencyExitAgent(PluginRegistry& r) {
  PluginManifest m;
  m.name = "emergency_exit_agent";
  m.category = WorkerCategory::kExecution;
  m.subtype = "risk_safety";
  m.description =
      "When triggered by on_threat_detected (its default), looks at the detected threat: if its "
      "severity is in exit_on_severity the open position is closed at the next bar's open and, "
      "with cancel_pending_entries, unfilled entry orders are cancelled. Triggered by another "
      "event it reacts to any standing threat of a listed severity.";
  m.params = {
      plugin::StringList("exit_on_severity", {"CRITICAL"}, {"LOW", "MEDIUM", "HIGH", "CRITICAL"},
                         "threat severities that force the exit"),
      plugin::Bool("cancel_pending_entries", true, "also cancel unfilled entry orders")};
  m.default_triggers = {"on_threat_detected"};
  plugin::MustRegister(r, std::move(m), plugin::Make<EmergencyExitAgent>());
}

}  // namespace s1mple::engine
