// The threat gate: where a threat rejects an opportunity, and where every opportunity's fate is
// recorded (docs/CONFIGURATION.md, "The bar loop", step 5, and "Threats stand").
//
//   ThreatGate    keeps the standing threats (a threat stands until the worker that raised it runs
//                 again without raising it; raised again on consecutive runs it keeps its
//                 ThreatId) and, before an opportunity is planned, Check()s it: vetoed ->
//                 VETOED; a standing threat that blocks new entries -> rejected by that threat
//                 (RejectionReason::ByThreat, with its ThreatId and type); an open position ->
//                 POSITION_OPEN; a working entry order -> ENTRY_PENDING.
//   RejectionLog  records each opportunity's fate: accepted, or rejected with its typed reason
//                 (from the gate, a planning worker or the planner's checks: engine/rejection.h),
//                 and counts the reasons for the result's causality block.
//
// Not thread-safe: one gate and one log per run, used by the run's thread only (no mutex, so no
// thread-safety annotations). Per-bar calls do not allocate (buffers are reserved at Reset);
// Reject allocates the record's strings (per rejected opportunity, amortised).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/rejection.h"
#include "engine/result.h"
#include "engine/worker.h"

namespace s1mple::engine {

class ThreatGate {
 public:
  // One slot of standing threats per threat worker.
  void Reset(size_t threat_workers);

  // ---- threats (the ThreatOperator's step) ----
  // Worker `w` is about to assess: its standing threats step aside; they stand again only if
  // it raises them again.
  void BeginAssessment(uint16_t w) {
    previous_.assign(standing_[w].begin(), standing_[w].end());
    standing_[w].clear();
  }
  // Records a threat worker `w` raised on `bar`; returns it with its id. `is_new` tells whether
  // it is a new threat (a new ThreatId: publish on_threat_detected).
  const Threat& Raise(uint16_t w, uint32_t bar, std::string_view type, Severity severity,
                      bool blocks_new_entries, double value, bool& is_new);
  bool Stands(uint16_t w) const { return !standing_[w].empty(); }
  // Rebuilds the active list after a step in which anything stood before or stands now.
  void Refresh();
  // Every standing threat, threat workers in blueprint order (what BarContext::threats shows).
  std::span<const Threat> active() const { return active_; }
  bool any_active() const { return !active_.empty(); }
  int64_t threats_detected() const { return next_id_ - 1; }

  // ---- the gate ----
  // Why `opp` may not be planned now, or nullopt when it may.
  std::optional<RejectionReason> Check(const Opportunity& opp, bool position_open,
                                       bool entry_pending) const;

 private:
  std::vector<std::vector<Threat>> standing_;  // per threat worker
  std::vector<Threat> previous_;               // the assessing worker's, before it runs
  std::vector<Threat> active_;
  uint32_t next_id_ = 1;
};

class RejectionLog {
 public:
  void Reserve(size_t n) { records_.reserve(n); }
  void Accept(const Opportunity& opp);
  void Reject(const Opportunity& opp, const RejectionReason& why);

  int64_t rejected() const { return rejected_; }
  // Moves the records out and fills `causality.top_rejection_reasons`: every reason by count
  // (descending), then name.
  std::vector<OpportunityRecord> Finish(Causality& causality);

 private:
  std::vector<OpportunityRecord> records_;
  int64_t rejected_ = 0;
  // Keyed by (reason name, by a threat): names are literals or threat types that outlive the
  // run. Few distinct reasons per run: a flat list, sorted in Finish.
  struct Tally {
    std::string_view name;
    bool by_threat;
    int64_t count;
  };
  std::vector<Tally> tallies_;
};

}  // namespace s1mple::engine
