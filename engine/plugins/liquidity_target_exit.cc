// liquidity_target_exit (PlanningWorker, exit_planning): ICT exits from market structure — the
// target at the opposite liquidity, the stop beyond the order block (or the last swing).
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class LiquidityTargetExit final : public PlanningWorker {
 public:
  explicit LiquidityTargetExit(const ParamSet& p)
      : target_liquidity_(p.GetBool("target_opposite_liquidity")),
        stop_at_ob_(p.GetBool("stop_below_order_block")),
        buffer_(p.GetFloat("stop_buffer_bps") / 10000.0),
        fallback_rr_(p.GetFloat("fallback_risk_reward")),
        min_rr_(p.GetFloat("min_risk_reward")) {
    options_.swing_lookback = static_cast<int>(p.GetInt("swing_lookback"));
  }

  Status OnBind(BindContext& ctx) override {
    auto s = structure::EnsureStructure(ctx.frame, options_);
    if (!s.ok()) return s.status();
    cols_ = *s;
    return Status::Ok();
  }

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    const uint32_t t = in.bar->bar;
    const bool is_long = plan.side == Side::kLong;
    const double sgn = Sign(plan.side);
    const double ref = plan.ReferenceOr(in.bar->Close());
    // A level protects the trade when it lies on the loss side of the entry.
    auto below = [&](double level) { return !std::isnan(level) && sgn * (ref - level) > 0; };
    auto beyond = [&](double level) { return level * (1 - sgn * buffer_); };

    double stop = kNaN;
    const double ob = is_long ? cols_.ob_bull_low[t] : cols_.ob_bear_high[t];
    const double swing = is_long ? cols_.swing_low[t] : cols_.swing_high[t];
    if (stop_at_ob_ && below(ob))
      stop = beyond(ob);
    else if (plan.stop_loss && below(plan.stop_loss->v))
      stop = plan.stop_loss->v;  // e.g. limit_entry_at_fvg's
    else if (below(swing))
      stop = beyond(swing);
    if (std::isnan(stop)) {
      plan.Reject("NO_STRUCTURE_STOP");
      return;
    }
    plan.stop_loss = Price{stop};
    const double risk = std::fabs(ref - stop);

    const double liq = is_long ? cols_.liq_above[t] : cols_.liq_below[t];
    if (target_liquidity_ && !std::isnan(liq) && sgn * (liq - ref) > 0) {
      const double target = liq * (1 - sgn * buffer_);  // just before the resting stops
      if (sgn * (target - ref) < min_rr_ * risk) {
        plan.Reject("LIQUIDITY_TARGET_TOO_CLOSE");
        return;
      }
      plan.take_profit = Price{target};
      return;
    }
    plan.take_profit = fallback_rr_ > 0
                           ? std::optional<Price>(Price{ref + sgn * fallback_rr_ * risk})
                           : std::nullopt;
  }

 private:
  bool target_liquidity_, stop_at_ob_;
  double buffer_, fallback_rr_, min_rr_;
  structure::StructureOptions options_;
  structure::StructureColumns cols_;
};

}  // namespace

void RegisterLiquidityTargetExit(PluginRegistry& r) {
  PluginManifest m;
  m.name = "liquidity_target_exit";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "exit_planning";
  m.description =
      "Exits from market structure (market_structure columns of `swing_lookback`), at the "
      "signal bar. Stop: with stop_below_order_block, `stop_buffer_bps` beyond the latest "
      "order block on the loss side (a long's stop below the bullish block's low, a short's "
      "above the bearish block's high); otherwise, or when there is none, the stop an earlier "
      "planner set (e.g. limit_entry_at_fvg beyond the gap), else `stop_buffer_bps` beyond the "
      "last swing low (high); rejects with NO_STRUCTURE_STOP when no level lies on the loss "
      "side. Target: with target_opposite_liquidity, `stop_buffer_bps` before the opposite "
      "liquidity (the nearest unswept swing-high cluster above for longs, swing-low cluster "
      "below for shorts), rejecting with LIQUIDITY_TARGET_TOO_CLOSE when that is less than "
      "min_risk_reward x the risk; without liquidity on that side (or with the option off) "
      "fallback_risk_reward x the risk (0 = no target).";
  m.phases = {PlanningPhase::kExit};
  m.params = {plugin::Bool("target_opposite_liquidity", true,
                           "take profit at the opposite liquidity level"),
              plugin::Bool("stop_below_order_block", true,
                           "stop beyond the order block (else the entry's stop or the swing)"),
              plugin::Int("swing_lookback", 5, 1, 200, "swing lookback of the structure"),
              plugin::Float("stop_buffer_bps", 5.0, 0.0, 1000.0,
                            "basis points beyond a stop level / before a target level"),
              plugin::Float("fallback_risk_reward", 2.0, 0.0, 50.0,
                            "target in multiples of the risk when no liquidity target applies; "
                            "0 = none"),
              plugin::Float("min_risk_reward", 1.0, 0.0, 50.0,
                            "smallest reward/risk a liquidity target must offer")};
  plugin::MustRegister(r, std::move(m), plugin::Make<LiquidityTargetExit>());
}

}  // namespace s1mple::engine
