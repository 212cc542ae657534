// The planner: the planning phases that turn an opportunity that passed the threat gate into a
// trade plan (docs/CONFIGURATION.md, "Gate and plan"), and the checks the final plan must pass
// before the exchange gets its orders.
//
// Phases run in order (entry -> exit -> size -> routing), each handing its plan on; within a
// phase the PlanningOperator's strategy applies (CHAIN_THROUGH / NONE: each worker refines the
// plan in turn; COLLECT_ALL: engine/operators.h PlanMerge). A phase without workers leaves the
// plan as it is, except entry: a market order at the next open. A worker's rejection ends the
// planning (RejectionCode::kPlanner with its text, kPlanRejected without). The final plan is
// refused without a positive, finite size (NO_SIZE), as a limit/stop entry without a positive
// price (NO_ENTRY_PRICE), with a stop not beyond the expected entry on the losing side
// (INVALID_STOP) or a target not beyond it on the winning side (INVALID_TARGET).
//
// Borrows the run's planning workers. Not thread-safe: one planner per run, used by the run's
// thread only (no mutex, so no thread-safety annotations). Plan() does not allocate.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "engine/config.h"
#include "engine/rejection.h"
#include "engine/worker.h"

namespace s1mple::engine {

class Planner {
 public:
  using Workers = std::array<std::vector<std::unique_ptr<PlanningWorker>>, kPlanningPhaseCount>;

  // Borrows both, which must outlive the planner.
  Planner(const Workers& workers, const OperatorConfig& planning_operator)
      : workers_(workers), op_(planning_operator) {}

  // Plans `opp` on `bar` (the bar it was detected on). Returns why it becomes no order, or
  // nullopt with `plan` ready for Exchange::SubmitPlan.
  std::optional<RejectionReason> Plan(const Opportunity& opp, const BarContext& bar,
                                      TradePlan& plan) const;

 private:
  void RunPhase(int phase, const PlanningInput& in, TradePlan& plan) const;

  const Workers& workers_;
  const OperatorConfig& op_;
};

}  // namespace s1mple::engine
