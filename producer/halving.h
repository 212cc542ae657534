// Successive halving (optimization_config.search method halving; PLANS.md "search"): `budget`
// configurations run on a small part of the data, the best of them on more, and so on up to the
// whole data.
//
// Fidelity is data length: rung r runs on the most recent fraction f_r of the data range (the
// base's traded bars inside its environment.period): its jobs' overrides carry
// {"period": {"start": last - f_r x (last - first), "end": last}} (engine/job.h), so the job trades
// only the last part of the data while its indicators warm up on every bar before it. The last
// rung has f = 1 and no period override: its jobs are exactly the grid's jobs of those
// configurations. f_0 = min_fidelity, f_r = f_0 x eta^r while below 1, then 1.
//
// The rungs:
//   - rung 0: n_0 = min(budget, grid size) configurations, drawn as method random draws them
//     (producer/search.h, from the plan's seed; the whole grid in grid order when the budget
//     covers it);
//   - rung r + 1: the best ceil(n_r / eta) of rung r's configurations by the primary metric,
//     among the feasible ones only (a job that failed, has no finite metric, or breaks one of the
//     plan's constraints is never promoted; the constraints apply as written at every rung), ties
//     to the configuration drawn first; in the order they were drawn. A rung with no feasible
//     configuration ends the search early.
// The jobs of the sweep are rung 0's, then rung 1's, ...: job j is trial j. Rung r + 1 is proposed
// only when every result of rung r is final (producer/adaptive.h), so the trial list is a pure
// function of the plan, its seed and the (bit-identical) results: the same embedded or on any
// runners, and after a kill -9 anywhere.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "producer/adaptive.h"
#include "producer/plan.h"
#include "producer/validation.h"

namespace s1mple::producer {

// The fidelities of a halving search: f_0 = min_fidelity (default 1 / eta^2), x eta per rung,
// the last one 1.
std::vector<double> HalvingFidelities(const SearchConfig& search);

// The most jobs a halving search of n0 configurations runs (every rung full).
uint64_t HalvingMaxJobs(uint64_t n0, const std::vector<double>& fidelities, uint64_t eta);

// The rungs of a halving search cut from the data range, as the plan summary keeps them.
struct HalvingLadder {
  DataRange range;
  std::vector<double> fidelities;
  std::vector<nlohmann::json> periods;  // rung r's period override; null for the last rung

  nlohmann::ordered_json ToJson() const;  // {data_range, eta, rungs: [{rung, fidelity, period}]}
};

// InvalidArgument naming `origin` and the search section when the data range is empty.
[[nodiscard]] Result<HalvingLadder> MakeHalvingLadder(const SearchConfig& search,
                                                      const DataRange& range,
                                                      const std::string& origin);

// The proposer of a halving search (producer/adaptive.h's TrialProposer). `grid_size` is the
// product over the plan's dimensions.
class HalvingProposer : public TrialProposer {
 public:
  HalvingProposer(const Plan& plan, uint64_t grid_size);

  const char* name() const override { return "halving"; }
  uint64_t max_trials() const override { return max_trials_; }
  uint64_t Visible(uint64_t trial) const override;
  std::optional<ProposedTrial> Propose(uint64_t trial,
                                       const std::vector<TpeObservation>& observed) override;

  // The configurations of rung 0 (grid indexes, in draw order).
  const std::vector<uint64_t>& first_rung() const { return rung_configs_; }

 private:
  const Plan& plan_;
  std::vector<double> fidelities_;
  uint64_t max_trials_ = 0;
  uint32_t rung_ = 0;
  uint64_t rung_start_ = 0, rung_end_ = 0;  // the current rung's trials [start, end)
  std::vector<uint64_t> rung_configs_;      // its configurations (grid indexes), in draw order
  std::vector<uint64_t> rung_draw_;         // their position in rung 0 (the tie-break)
};

}  // namespace s1mple::producer
