// Domain vocabulary of the engine: timestamps, prices, quantities, money, ids, sides,
// severities.
//
// Prices, quantities, money, timestamps and ids are distinct types at every API boundary (the
// structs workers see and fill, results) so they cannot be mixed by accident; inside a hot loop
// code works on the raw `.v` values. "No price" is a std::optional<Price> (nullopt); NaN stands
// for "no value" only inside columnar arrays (indicator warm-up), for speed. The one NaN rule at
// the boundary: a Price holding NaN counts as no price (PriceOrNone; the engine applies it to
// every price a worker hands it). Plain values; thread-compatible.
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

namespace s1mple::engine {

// Milliseconds since the Unix epoch, UTC.
struct TimestampMs {
  int64_t v = 0;
  friend auto operator<=>(TimestampMs, TimestampMs) = default;
};

// A price in quote currency per unit.
struct Price {
  double v = 0;
  friend auto operator<=>(Price, Price) = default;
};

// A position or order size in units of the instrument (always >= 0; direction is a Side).
struct Quantity {
  double v = 0;
  friend auto operator<=>(Quantity, Quantity) = default;
};

// Money in quote currency (equity, cash, pnl, fees).
struct Money {
  double v = 0;
  friend auto operator<=>(Money, Money) = default;
};

// The price `v`, or no price when `v` is NaN (e.g. an indicator column still warming up).
inline std::optional<Price> PriceOrNone(double v) {
  return std::isnan(v) ? std::nullopt : std::optional<Price>(Price{v});
}
// A possibly-NaN optional price with the NaN rule applied (NaN -> no price).
inline std::optional<Price> PriceOrNone(std::optional<Price> p) {
  return p && !std::isnan(p->v) ? p : std::nullopt;
}

// Every opportunity gets an OpportunityId, 1, 2, 3... in order of detection within one run;
// 0 means "none". Every trade carries the id of the opportunity that opened it.
struct OpportunityId {
  uint32_t v = 0;
  friend auto operator<=>(OpportunityId, OpportunityId) = default;
};

// Every raised threat gets a ThreatId, 1, 2, 3... in order within one run; 0 means "none".
struct ThreatId {
  uint32_t v = 0;
  friend auto operator<=>(ThreatId, ThreatId) = default;
};

enum class Side : int8_t { kLong = 1, kShort = -1 };

inline constexpr double Sign(Side s) {
  return s == Side::kLong ? 1.0 : -1.0;
}
inline constexpr std::string_view SideName(Side s) {
  return s == Side::kLong ? "long" : "short";
}

// How bad a threat is. Threat workers choose it; execution workers (e.g. an emergency exit agent)
// react to it by level. Names as the seeds write them: LOW, MEDIUM, HIGH, CRITICAL.
enum class Severity : uint8_t { kLow = 0, kMedium = 1, kHigh = 2, kCritical = 3 };

inline constexpr std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kLow:
      return "LOW";
    case Severity::kMedium:
      return "MEDIUM";
    case Severity::kHigh:
      return "HIGH";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "LOW";
}

// The five worker categories, in the order the blueprint lists them.
enum class WorkerCategory : uint8_t { kContext, kOpportunity, kThreat, kPlanning, kExecution };

inline constexpr std::string_view CategoryKey(WorkerCategory c) {  // the blueprint's YAML key
  switch (c) {
    case WorkerCategory::kContext:
      return "context_workers";
    case WorkerCategory::kOpportunity:
      return "opportunity_workers";
    case WorkerCategory::kThreat:
      return "threat_workers";
    case WorkerCategory::kPlanning:
      return "planning_workers";
    case WorkerCategory::kExecution:
      return "execution_workers";
  }
  return "";
}

inline constexpr std::string_view CategoryName(WorkerCategory c) {  // the seeds' class name
  switch (c) {
    case WorkerCategory::kContext:
      return "ContextWorker";
    case WorkerCategory::kOpportunity:
      return "OpportunityWorker";
    case WorkerCategory::kThreat:
      return "ThreatWorker";
    case WorkerCategory::kPlanning:
      return "PlanningWorker";
    case WorkerCategory::kExecution:
      return "ExecutionWorker";
  }
  return "";
}

// The planning phases, run in this order for every opportunity that passes the threat gate.
enum class PlanningPhase : uint8_t { kEntry = 0, kExit = 1, kSize = 2, kRouting = 3 };
inline constexpr int kPlanningPhaseCount = 4;

inline constexpr std::string_view PlanningPhaseKey(PlanningPhase p) {
  switch (p) {
    case PlanningPhase::kEntry:
      return "entry_planning";
    case PlanningPhase::kExit:
      return "exit_planning";
    case PlanningPhase::kSize:
      return "size_planning";
    case PlanningPhase::kRouting:
      return "order_routing";
  }
  return "";
}

}  // namespace s1mple::engine
