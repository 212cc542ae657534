// The threat gate and the record of opportunities' fates (engine/threat_gate.h).
#include "engine/threat_gate.h"

#include <algorithm>
#include <string>

namespace s1mple::engine {

void ThreatGate::Reset(size_t threat_workers) {
  standing_.assign(threat_workers, {});
  for (auto& s : standing_) s.reserve(8);
  previous_.reserve(16);
  active_.reserve(64);
}

const Threat& ThreatGate::Raise(uint16_t w, uint32_t bar, std::string_view type, Severity severity,
                                bool blocks, double value, bool& is_new) {
  Threat th;
  th.bar = bar;
  th.type = type;
  th.severity = severity;
  th.blocks_new_entries = blocks;
  th.value = value;
  th.worker = w;
  // A threat the worker raised on its previous run too is the same threat (same id).
  for (const Threat& prev : previous_) {
    if (prev.type == type) {
      th.id = prev.id;
      th.bar = prev.bar;
      break;
    }
  }
  is_new = th.id.v == 0;
  if (is_new) th.id = ThreatId{next_id_++};
  standing_[w].push_back(th);
  return standing_[w].back();
}

void ThreatGate::Refresh() {
  active_.clear();
  for (const auto& s : standing_) active_.insert(active_.end(), s.begin(), s.end());
}

std::optional<RejectionReason> ThreatGate::Check(const Opportunity& opp, bool position_open,
                                                 bool entry_pending) const {
  if (opp.vetoed) return RejectionReason::Of(RejectionCode::kVetoed);
  for (const Threat& th : active_)
    if (th.blocks_new_entries) return RejectionReason::ByThreat(th.id, th.type);
  if (position_open) return RejectionReason::Of(RejectionCode::kPositionOpen);
  if (entry_pending) return RejectionReason::Of(RejectionCode::kEntryPending);
  return std::nullopt;
}

namespace {
OpportunityRecord RecordOf(const Opportunity& opp) {
  OpportunityRecord rec;
  rec.id = opp.id;
  rec.bar = opp.bar;
  rec.side = opp.side;
  rec.signal_type = std::string(opp.signal_type);
  return rec;
}
}  // namespace

void RejectionLog::Accept(const Opportunity& opp) {
  OpportunityRecord rec = RecordOf(opp);
  rec.accepted = true;
  records_.push_back(std::move(rec));
}

void RejectionLog::Reject(const Opportunity& opp, const RejectionReason& why) {
  OpportunityRecord rec = RecordOf(opp);
  rec.accepted = false;
  rec.reject_code = why.code;
  rec.reject_reason = std::string(why.Name());
  rec.threat = why.threat;
  records_.push_back(std::move(rec));
  ++rejected_;
  const std::string_view name = why.Name();
  auto it = std::find_if(tallies_.begin(), tallies_.end(), [&](const Tally& t) {
    return t.name == name && t.by_threat == why.by_threat();
  });
  if (it == tallies_.end())
    tallies_.push_back({name, why.by_threat(), 1});
  else
    ++it->count;
}

std::vector<OpportunityRecord> RejectionLog::Finish(Causality& causality) {
  // By name (as ties are documented), then by count, stable.
  std::sort(tallies_.begin(), tallies_.end(), [](const Tally& a, const Tally& b) {
    return a.name != b.name ? a.name < b.name : a.by_threat < b.by_threat;
  });
  std::vector<RejectionCount> reasons;
  reasons.reserve(tallies_.size());
  for (const Tally& t : tallies_) reasons.push_back({std::string(t.name), t.count, t.by_threat});
  std::stable_sort(reasons.begin(), reasons.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  causality.top_rejection_reasons = std::move(reasons);
  causality.opportunities_rejected = rejected_;
  return std::move(records_);
}

}  // namespace s1mple::engine
