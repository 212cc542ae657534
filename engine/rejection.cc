// Names of the rejection codes (engine/rejection.h).
#include "engine/rejection.h"

namespace s1mple::engine {

std::string_view RejectionCodeName(RejectionCode code) {
  switch (code) {
    case RejectionCode::kNone:
      return "NONE";
    case RejectionCode::kVetoed:
      return "VETOED";
    case RejectionCode::kThreat:
      return "THREAT";
    case RejectionCode::kPositionOpen:
      return "POSITION_OPEN";
    case RejectionCode::kEntryPending:
      return "ENTRY_PENDING";
    case RejectionCode::kPlanner:
      return "PLANNER";
    case RejectionCode::kPlanRejected:
      return "PLAN_REJECTED";
    case RejectionCode::kNoSize:
      return "NO_SIZE";
    case RejectionCode::kNoEntryPrice:
      return "NO_ENTRY_PRICE";
    case RejectionCode::kInvalidStop:
      return "INVALID_STOP";
    case RejectionCode::kInvalidTarget:
      return "INVALID_TARGET";
  }
  return "?";
}

}  // namespace s1mple::engine
