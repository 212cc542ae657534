// The planning phases and the final plan's checks (engine/planner.h).
#include "engine/planner.h"

#include <cmath>

#include "engine/operators.h"

namespace s1mple::engine {

void Planner::RunPhase(int phase, const PlanningInput& in, TradePlan& plan) const {
  const auto& workers = workers_[phase];
  if (workers.empty()) {
    if (phase == static_cast<int>(PlanningPhase::kEntry)) {  // default: market at the next open
      plan.entry_type = OrderType::kMarket;
      plan.entry_price.reset();
    }
    return;
  }
  if (op_.aggregation != AggregationStrategy::kCollectAll) {
    for (auto& w : workers) {  // CHAIN_THROUGH / NONE: each refines the plan in turn
      w->Plan(in, plan);
      if (plan.rejected) return;
    }
    return;
  }
  PlanMerge merge(plan, in.bar->Close());  // COLLECT_ALL: every worker plans from the same input
  for (auto& w : workers) {
    TradePlan out = plan;
    w->Plan(in, out);
    merge.Add(out);
  }
  plan = merge.merged();
}

std::optional<RejectionReason> Planner::Plan(const Opportunity& opp, const BarContext& bar,
                                             TradePlan& plan) const {
  const double close = bar.Close();
  plan = TradePlan{};
  plan.opportunity = opp.id;
  plan.side = opp.side;
  plan.reference_price = opp.reference_price ? opp.reference_price : Price{close};
  PlanningInput in{&bar, &opp, PlanningPhase::kEntry};
  for (int p = 0; p < kPlanningPhaseCount && !plan.rejected; ++p) {
    in.phase = static_cast<PlanningPhase>(p);
    RunPhase(p, in, plan);
  }
  if (plan.rejected) return RejectionReason::ByPlanner(plan.reject_reason);
  const double ref = plan.ReferenceOr(close);
  const double sgn = Sign(plan.side);
  if (!(plan.size.v > 0) || !std::isfinite(plan.size.v))
    return RejectionReason::Of(RejectionCode::kNoSize);
  if (plan.entry_type != OrderType::kMarket && !(plan.entry_price && plan.entry_price->v > 0))
    return RejectionReason::Of(RejectionCode::kNoEntryPrice);
  if (plan.stop_loss && sgn * (ref - plan.stop_loss->v) <= 0)
    return RejectionReason::Of(RejectionCode::kInvalidStop);
  if (plan.take_profit && sgn * (plan.take_profit->v - ref) <= 0)
    return RejectionReason::Of(RejectionCode::kInvalidTarget);
  return std::nullopt;
}

}  // namespace s1mple::engine
