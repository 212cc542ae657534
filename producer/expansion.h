// The job space of a plan: job i's overrides document and varied parameters, computed from i
// alone (mixed radix over the plan's dimensions), so a 1,000,000-job plan is never held in
// memory at once.
//
// Job order: the first dimension varies slowest, the last fastest; inside a dimension, options
// in plan order and inside an option its axes in plan order (again the last fastest). Job 0 is
// the first value of everything. A plan with no dimensions has one job: the base itself.
//
// With a random or Sobol search (optimization_config.search, producer/search.h) the sweep's job
// i is trial i: the grid point SelectTrials chose i-th. size() is then the number of trials and
// every method below takes a job (trial) index; grid_size() is the whole space.
//
// With validation folds (optimization_config.validation, producer/validation.h) every
// configuration runs once per segment of the fold schedule: job j is configuration
// j % configurations() on segment j / configurations() (segment-major: every configuration's
// first in-sample job comes first), and its overrides carry the segment as `period`.
//
// With successive halving (search method halving, producer/halving.h) job i is trial i: a
// configuration at a rung, whose overrides carry the rung's part of the data as `period` (none
// at the last rung, fidelity 1).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "producer/plan.h"
#include "producer/validation.h"

namespace s1mple::producer {

struct HalvingLadder;

// The varied parameters of one job as (column, value) pairs, in JobSpace::columns() order;
// a column the job's options do not set (e.g. atr_based_stops.atr_multiplier when the job uses
// liquidity_target_exit) is absent.
using VariedParams = std::vector<std::pair<std::string, nlohmann::json>>;

// Immutable after construction and thread-safe to read. Shares the plan it enumerates.
class JobSpace {
 public:
  // Fails when the product over the dimensions does not fit in 64 bits.
  // `schedule`: the plan's fold schedule (required when the plan has a validation section:
  // MakeSchedule from the data range; nullptr otherwise).
  // `ladder`: the rungs of a halving search (required for method halving: MakeHalvingLadder from
  // the data range; nullptr otherwise).
  [[nodiscard]] static Result<JobSpace> Make(std::shared_ptr<const Plan> plan,
                                             std::shared_ptr<const FoldSchedule> schedule = nullptr,
                                             std::shared_ptr<const HalvingLadder> ladder = nullptr);

  uint64_t size() const { return configurations() * segments(); }
  // The configurations (trials) of the search; size() / segments().
  uint64_t configurations() const { return trials_ ? trials_->size() : size_; }
  // The fold schedule's segments (1 without validation).
  uint64_t segments() const { return schedule_ ? schedule_->segments.size() : 1; }
  const FoldSchedule* schedule() const { return schedule_.get(); }
  // The configuration (trial) of job `index` and its segment (0 without validation).
  uint64_t ConfigOf(uint64_t index) const { return index % configurations(); }
  uint64_t SegmentOf(uint64_t index) const { return index / configurations(); }
  // An adaptive search (tpe with a budget below the grid, halving): its trials are proposed from
  // recorded results (producer/adaptive.h); until WithTrials, size() is 0.
  bool adaptive() const { return adaptive_; }
  // The most jobs the sweep runs (an adaptive search may stop before).
  uint64_t budget() const { return adaptive_ ? max_trials_ : size(); }
  // The same space with these trials (grid indexes, in trial order) and, for halving, their
  // rungs (empty: rung 0): an adaptive search's trials once proposed.
  JobSpace WithTrials(std::vector<uint64_t> trials, std::vector<uint32_t> rungs = {}) const;
  // The overrides of configuration `grid_index` at `rung` (what WithTrials' job would get).
  nlohmann::json TrialOverrides(uint64_t grid_index, uint32_t rung) const;
  // Halving: the rungs (null otherwise), and job `index`'s rung and fidelity (0 and 1 without).
  const HalvingLadder* ladder() const { return ladder_.get(); }
  uint32_t RungOf(uint64_t index) const;
  double FidelityOf(uint64_t index) const;
  // The product over the dimensions (= size() for a grid search).
  uint64_t grid_size() const { return size_; }
  // The grid index of job `index` (itself for a grid search).
  uint64_t GridIndexOf(uint64_t index) const {
    index = ConfigOf(index);
    return trials_ ? (*trials_)[index] : index;
  }
  const Plan& plan() const { return *plan_; }
  std::shared_ptr<const Plan> shared_plan() const { return plan_; }

  // Every varied column, in dimension order (results.csv's parameter columns).
  const std::vector<std::string>& columns() const { return columns_; }

  // The overrides document of job `index` (< size()): the deep merge of the chosen options'
  // fragments with the chosen axis values written in. Small (a few hundred bytes as JSON).
  nlohmann::json Overrides(uint64_t index) const;
  VariedParams Varied(uint64_t index) const;
  // A one-line description: "min_gap_size=5 require_structure_break=true ..." or the variant.
  std::string Describe(uint64_t index) const;
  // The run's configuration shaped like the seed's results: columns nested on '.'
  // ({"fvg_entry_detector": {"min_gap_size": 5}, "planning": {"exit_planning": {...}}}).
  nlohmann::json Configuration(uint64_t index) const;

 private:
  struct Pick {
    const Option* option;
    uint64_t within;  // index inside the option (mixed radix over its axes)
  };
  JobSpace() = default;
  std::vector<Pick> Picks(uint64_t index) const;

  std::shared_ptr<const Plan> plan_;
  uint64_t size_ = 1;
  std::shared_ptr<const std::vector<uint64_t>> trials_;  // null: every grid point, in order
  std::shared_ptr<const FoldSchedule> schedule_;         // null: no validation
  std::shared_ptr<const HalvingLadder> ladder_;          // null: not halving
  std::shared_ptr<const std::vector<uint32_t>> rungs_;   // halving: per trial (null: all 0)
  uint64_t max_trials_ = 0;                              // adaptive: the most trials
  std::vector<std::string> columns_;
  bool adaptive_ = false;
};

// Deep merge for overrides documents: objects merge key by key, anything else replaces.
void MergeJson(nlohmann::json& into, const nlohmann::json& patch);

}  // namespace s1mple::producer
