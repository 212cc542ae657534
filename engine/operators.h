// The operators' merge rules: what an operator step makes of its workers' outputs under its
// aggregation strategy (docs/CONFIGURATION.md, the table under "operators.yaml"). Which workers
// run, on which events and in which order is the wiring (engine/backtest.cc); what their outputs
// become is here:
//
//   Opportunity COLLECT_ALL  RankByScore: the step's opportunities best score first, ties in
//                            emission order (CHAIN_THROUGH and NONE keep emission order).
//   Planning    COLLECT_ALL  PlanMerge: every worker plans from the phase's input; entry and
//                            routing from the first worker that set them, the stop and the target
//                            nearest the expected entry, the smallest size, any rejection wins.
//               CHAIN_THROUGH / NONE: each worker refines the plan in turn (no merge).
//   Execution   COLLECT_ALL  ActionMerge: every worker sees the same position; the most
//                            protective stop, the first target set, the largest close (and its
//                            reason), any cancel. CHAIN_THROUGH / NONE: each worker's actions
//                            apply before the next runs (no merge).
//   Threat                   no merge: COLLECT_ALL workers assess the same ledger independently,
//                            CHAIN_THROUGH ones see earlier threats of the step (ThreatSink).
//
// Pure functions and small value types; thread-compatible.
#pragma once

#include <span>

#include "engine/exchange.h"
#include "engine/worker.h"

namespace s1mple::engine {

// Opportunity COLLECT_ALL: sorts `step` best score first, stable (ties keep emission order).
void SortByScore(std::span<Opportunity> step);
inline void RankByScore(std::span<Opportunity> step) {
  if (step.size() > 1) SortByScore(step);  // most steps emit nothing or one
}

// Planning COLLECT_ALL within one phase: Add each worker's output planned from `base`, then
// take merged().
class PlanMerge {
 public:
  // `close`: the signal bar's close, the expected entry when a plan names none.
  PlanMerge(const TradePlan& base, double close) : base_(base), merged_(base), close_(close) {}
  void Add(const TradePlan& out);
  const TradePlan& merged() const { return merged_; }

 private:
  const TradePlan base_;
  TradePlan merged_;
  double close_;
  bool entry_set_ = false, routing_set_ = false;
};

// Execution COLLECT_ALL: Add each worker's actions (all taken on the same position, of side
// `side`), then apply merged().
class ActionMerge {
 public:
  explicit ActionMerge(Side side) : is_long_(side == Side::kLong) {}
  void Add(const ActionSet& a);
  const ActionSet& merged() const { return merged_; }

 private:
  bool is_long_;
  ActionSet merged_;
};

}  // namespace s1mple::engine
