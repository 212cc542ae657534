// Why an opportunity did not become an order: a typed reason (after nautilus_trader's
// OrderDeniedReason) that carries its data — the ThreatId of the threat that blocked the entry,
// or the text of a planning worker's own reason.
//
// Who rejects, in the order the bar loop asks (docs/CONFIGURATION.md, "Gate and plan"):
//   the threat gate (engine/threat_gate.h)   kVetoed, kThreat, kPositionOpen, kEntryPending
//   a planning worker (TradePlan::Reject)    kPlanner (its text), kPlanRejected (no text)
//   the planner's checks (engine/planner.h)  kNoSize, kNoEntryPrice, kInvalidStop, kInvalidTarget
// Results spell a reason by Name(): the threat's type for kThreat, the worker's text for
// kPlanner, the code's name otherwise (docs/METRICS.md, "Causality"). Plain values.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/types.h"

namespace s1mple::engine {

enum class RejectionCode : uint8_t {
  kNone = 0,       // not rejected (an accepted opportunity's record)
  kVetoed,         // "VETOED": a later opportunity worker vetoed it under CHAIN_THROUGH
  kThreat,         // a standing threat that blocks new entries; named by the threat's type
  kPositionOpen,   // "POSITION_OPEN": one net position per strategy link
  kEntryPending,   // "ENTRY_PENDING": an earlier opportunity's entry order is still working
  kPlanner,        // a planning worker's own reason, e.g. "ATR_NOT_READY"
  kPlanRejected,   // "PLAN_REJECTED": a planning worker rejected without giving a reason
  kNoSize,         // "NO_SIZE": the final plan has no positive, finite size
  kNoEntryPrice,   // "NO_ENTRY_PRICE": a limit or stop entry without a positive price
  kInvalidStop,    // "INVALID_STOP": the stop is not beyond the entry on the losing side
  kInvalidTarget,  // "INVALID_TARGET": the target is not beyond the entry on the winning side
};

// "VETOED", "THREAT", "POSITION_OPEN", ... (kThreat and kPlanner results name by their text).
std::string_view RejectionCodeName(RejectionCode code);

struct RejectionReason {
  RejectionCode code = RejectionCode::kNone;
  ThreatId threat;        // kThreat: the threat that blocked the entry; 0 otherwise
  std::string_view text;  // kThreat: the threat's type; kPlanner: the worker's reason. Both
                          // outlive the run (literals or strings their workers own).

  static constexpr RejectionReason Of(RejectionCode code) { return {code, {}, {}}; }
  static constexpr RejectionReason ByThreat(ThreatId id, std::string_view type) {
    return {RejectionCode::kThreat, id, type};
  }
  // A planning worker's reason; an empty text is kPlanRejected.
  static constexpr RejectionReason ByPlanner(std::string_view reason) {
    return reason.empty() ? Of(RejectionCode::kPlanRejected)
                          : RejectionReason{RejectionCode::kPlanner, {}, reason};
  }

  bool by_threat() const { return code == RejectionCode::kThreat; }
  // The reason as results spell it (see the file comment).
  std::string_view Name() const {
    return code == RejectionCode::kThreat || code == RejectionCode::kPlanner
               ? text
               : RejectionCodeName(code);
  }
};

}  // namespace s1mple::engine
