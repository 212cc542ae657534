// market_entry_immediate (PlanningWorker, entry_planning): enter with a market order at the next
// bar's open.
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class MarketEntryImmediate final : public PlanningWorker {
 public:
  explicit MarketEntryImmediate(const ParamSet&) {}
  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    plan.entry_type = OrderType::kMarket;
    plan.entry_price.reset();
    plan.reference_price = Price{in.bar->Close()};
  }
};

}  // namespace

void RegisterMarketEntryImmediate(PluginRegistry& r) {
  PluginManifest m;
  m.name = "market_entry_immediate";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "entry_planning";
  m.description =
      "A market order filled at the next bar's open (plus slippage); risk maths use the signal "
      "bar's close as the expected entry.";
  m.phases = {PlanningPhase::kEntry};
  plugin::MustRegister(r, std::move(m), plugin::Make<MarketEntryImmediate>());
}

}  // namespace s1mple::engine
