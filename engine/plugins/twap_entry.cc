// twap_entry (PlanningWorker, entry_planning): a market entry split into equal slices spread over
// a wall-clock duration, converted to bars with the data's bar interval.
#include <algorithm>
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class TwapEntry final : public PlanningWorker {
 public:
  explicit TwapEntry(const ParamSet& p)
      : duration_ms_(p.GetInt("duration_minutes") * 60'000),
        max_slices_(static_cast<int32_t>(p.GetInt("max_slices"))) {}

  Status OnBind(BindContext& ctx) override {
    const int64_t interval = structure::BarIntervalMs(ctx.frame.bars());
    // Bars covered by the duration (at least one); one slice per bar up to max_slices, evenly
    // spaced over the covered bars.
    const int64_t bars =
        interval > 0 ? std::max<int64_t>(1, (duration_ms_ + interval - 1) / interval) : 1;
    slices_ = static_cast<int32_t>(std::min<int64_t>(bars, max_slices_));
    interval_bars_ = static_cast<int32_t>(std::max<int64_t>(1, bars / slices_));
    return Status::Ok();
  }

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    plan.entry_type = OrderType::kMarket;
    plan.entry_price.reset();
    plan.reference_price = Price{in.bar->Close()};
    plan.slices = slices_;
    plan.slice_interval_bars = interval_bars_;
  }

 private:
  int64_t duration_ms_;
  int32_t max_slices_;
  int32_t slices_ = 1;
  int32_t interval_bars_ = 1;
};

}  // namespace

void RegisterTwapEntry(PluginRegistry& r) {
  PluginManifest m;
  m.name = "twap_entry";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "entry_planning";
  m.description =
      "Time-weighted entry: the duration covers N = ceil(duration_minutes / bar interval) bars "
      "(at least 1; the interval is the data's smallest bar step). The size is split into "
      "S = min(N, max_slices) equal market orders, floor(N / S) bars apart, the first at the "
      "next bar's open. E.g. 15 minutes on 5m bars: 3 slices on the next 3 opens; on 1h bars: "
      "one order. Risk maths use the signal bar's close.";
  m.phases = {PlanningPhase::kEntry};
  m.params = {plugin::Int("duration_minutes", 60, 1, 525600, "minutes to spread the entry over"),
              plugin::Int("max_slices", 12, 1, 1000, "most orders the entry is split into")};
  plugin::MustRegister(r, std::move(m), plugin::Make<TwapEntry>());
}

}  // namespace s1mple::engine
