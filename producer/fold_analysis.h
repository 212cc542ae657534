// The `validation` block of optimization_result.json (docs/PLANS.md "Validation",
// docs/STATISTICS.md "Validation folds"): per fold, the configuration selected on in-sample (IS)
// results only and how it did out of sample (OOS); for walk-forward the stitched OOS equity and
// the walk-forward efficiency; for CPCV the per-split selection and the OOS paths.
//
// Fed every outcome of a sweep with folds (producer/validation.h: job j is configuration
// j % C on segment j / C). Selection never reads an OOS job: a fold's winner is the best IS
// result under the plan's constraints and primary metric (ties: the lower configuration), and
// OOS results only ever report on winners chosen before them. Streaming: per fold it keeps the
// best IS candidate so far, every configuration's IS and OOS primary metric (16 bytes a job, for
// the IS-against-OOS scatter), and the OOS results (metrics and daily returns) of a fold only
// until its IS jobs are complete, then only the winner's. In index order (how the outputs read
// a sweep) IS jobs come before their OOS jobs, so no OOS result is held beyond the winners'.
//
// CPCV (groups as segments): per split the configuration with the highest daily Sharpe ratio
// over the train days (embargoed days left out) among those whose train-group runs all succeeded
// and together meet the constraints; each group keeps the power sums of its returns, and of
// the days inside the embargo window at its start (24 doubles a configuration and group).
//
// Not thread-safe; one SweepAnalyzer feeds one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "producer/expansion.h"

namespace s1mple::producer {

class FoldAnalysis {
 public:
  explicit FoldAnalysis(const JobSpace& space);

  // One outcome: `result` the engine result of a successful job; meets: the plan's constraints
  // on it.
  void Add(uint64_t index, bool ok, const nlohmann::json& result, bool meets_constraints);

  using RunIdFn = std::function<std::string(uint64_t)>;
  nlohmann::ordered_json Block(const RunIdFn& run_id) const;

  // The configuration selected on the last fold's IS results (holdout, walk-forward): the one to
  // trade after the data ends. nullopt: none yet, or CPCV.
  std::optional<uint64_t> LatestWinner() const;

 private:
  struct Candidate {
    double score = 0;
    uint64_t config = 0;
    nlohmann::json metrics;
  };
  struct OosRun {
    nlohmann::json metrics;
    std::vector<int64_t> days;
    std::vector<double> values;
    bool meets = false;
  };
  struct FoldState {
    uint64_t is_seen = 0;
    uint64_t eligible = 0;
    std::optional<Candidate> best;
    std::map<uint64_t, OosRun> oos;  // by configuration: every one until IS is complete
  };
  // Power sums of some daily returns.
  struct Sums {
    double n = 0, s = 0, s2 = 0;
    void Add(double r) {
      n += 1;
      s += r;
      s2 += r * r;
    }
    void Add(const Sums& o) {
      n += o.n;
      s += o.s;
      s2 += o.s2;
    }
    std::optional<double> Sharpe() const;  // per day; nullopt when undefined
  };
  struct GroupRun {
    bool ok = false;
    Sums all, embargo;  // every day; the days inside the embargo window at the group's start
    double trades = 0;
    double max_drawdown = 0;
    std::vector<double> counts;  // causality counts, in KnownCausalityCounts() order
  };

  double Score(const nlohmann::json& result) const;  // NaN when undefined
  bool Better(double a, uint64_t ca, double b, uint64_t cb) const;
  void AddCpcv(uint64_t config, uint32_t group, bool ok, const nlohmann::json& result);
  nlohmann::ordered_json FoldsBlock(const RunIdFn& run_id) const;
  nlohmann::ordered_json CpcvBlock() const;

  const JobSpace& space_;
  const FoldSchedule& schedule_;
  uint64_t configs_;
  std::vector<FoldState> folds_;
  std::vector<double> is_scores_, oos_scores_;  // [fold * configs + config], NaN: none
  double annualize_ = 0;                        // sqrt(periods_per_year), from a run (0: unknown)
  std::vector<GroupRun> groups_;                // cpcv: [group * configs + config]
  std::vector<engine::DayNumber> embargo_end_;  // cpcv: per group, the embargo window's end
};

}  // namespace s1mple::producer
