// limit_entry_at_fvg (PlanningWorker, entry_planning): a limit order back inside the opportunity's
// zone (a fair value gap), with a protective stop beyond the zone's far edge.
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class LimitEntryAtFvg final : public PlanningWorker {
 public:
  explicit LimitEntryAtFvg(const ParamSet& p)
      : midpoint_(p.GetBool("entry_at_midpoint")),
        expiry_(static_cast<int32_t>(p.GetInt("expiry_bars"))),
        stop_beyond_(p.GetBool("stop_beyond_zone")),
        buffer_(p.GetFloat("stop_buffer_bps") / 10000.0) {}

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    const Opportunity& o = *in.opportunity;
    if (!o.zone_low || !o.zone_high || !(o.zone_high->v > o.zone_low->v)) {
      plan.Reject("NO_FVG_ZONE");
      return;
    }
    const double lo = o.zone_low->v, hi = o.zone_high->v;
    const bool is_long = plan.side == Side::kLong;
    // Longs buy the retrace down into the gap: its top edge (or middle); shorts mirrored.
    const double edge = is_long ? hi : lo;
    const double price = midpoint_ ? (lo + hi) / 2 : edge;
    plan.entry_type = OrderType::kLimit;
    plan.entry_price = Price{price};
    plan.reference_price = Price{price};
    plan.expiry_bars = expiry_;
    if (stop_beyond_) plan.stop_loss = Price{is_long ? lo * (1 - buffer_) : hi * (1 + buffer_)};
  }

 private:
  bool midpoint_;
  int32_t expiry_;
  bool stop_beyond_;
  double buffer_;
};

}  // namespace

void RegisterLimitEntryAtFvg(PluginRegistry& r) {
  PluginManifest m;
  m.name = "limit_entry_at_fvg";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "entry_planning";
  m.description =
      "A limit order inside the opportunity's zone (the fair value gap of fvg_entry_detector or "
      "fvg_detector): at the zone's midpoint with entry_at_midpoint, else at its near edge (the "
      "top for longs, the bottom for shorts). It fills when a later bar trades through the price "
      "(at the open if the bar opens beyond it) and is cancelled after `expiry_bars` bars. With "
      "stop_beyond_zone it also plans a protective stop `stop_buffer_bps` beyond the zone's far "
      "edge (exit planners may replace it). Rejects with NO_FVG_ZONE when the opportunity has "
      "no zone. The limit price is the reference for risk sizing.";
  m.phases = {PlanningPhase::kEntry};
  m.params = {plugin::Bool("entry_at_midpoint", true,
                           "limit at the zone's midpoint (else at its near edge)"),
              plugin::Int("expiry_bars", 12, 0, 100000, "bars the order lives; 0 = until filled"),
              plugin::Bool("stop_beyond_zone", true,
                           "plan a stop beyond the zone's far edge (invalidation of the gap)"),
              plugin::Float("stop_buffer_bps", 5.0, 0.0, 1000.0,
                            "basis points beyond the far edge for that stop")};
  plugin::MustRegister(r, std::move(m), plugin::Make<LimitEntryAtFvg>());
}

}  // namespace s1mple::engine
