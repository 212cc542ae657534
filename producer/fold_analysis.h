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
// CPCV (groups as segments): per split the configuration with the best primary metric over the
// union of its train groups (embargoed days left out) among those whose train-group runs all
// succeeded and whose union meets the constraints; the union's metrics are computed as if one
// run had traded the train groups back to back (CpcvUnionMetrics() says how, docs/STATISTICS.md
// "CPCV"). Each group run keeps its daily returns (8 bytes a day: a configuration's runs hold
// each day of the data once, so 10,000 configurations x 2,500 days take 200 MB), its trade
// counts and durations and its causality counts.
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

#include "engine/result.h"
#include "producer/expansion.h"

namespace s1mple::producer {

// The metrics a CPCV selection can compute on a union of groups, so the ones a CPCV plan may
// select by (primary_metric) and constrain: the engine's curve metrics (engine::
// ComputeCurveMetrics) on the groups' daily returns joined in time order (sharpe_ratio,
// sortino_ratio, total_return, cagr, max_drawdown, calmar), the trade metrics whose parts add
// up over groups (total_trades, win_rate, avg_trade_duration) and the causality counts (summed).
// profit_factor is not among them: a result carries the ratio, not its gross profit and loss.
const std::vector<std::string>& CpcvUnionMetrics();
bool IsCpcvUnionMetric(const std::string& name);

class FoldAnalysis {
 public:
  explicit FoldAnalysis(const JobSpace& space);

  // One outcome: `result` the engine result of a successful job; meets: the plan's constraints
  // on it.
  // `returns`: the run's daily returns when the reader parsed them already (else the result's
  // "returns" member is read).
  void Add(uint64_t index, bool ok, const nlohmann::json& result, bool meets_constraints,
           const engine::DailyReturns* returns = nullptr);

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
    std::optional<double> Sharpe() const;  // per day; nullopt when undefined
  };
  // What a CPCV union needs of one group run.
  struct GroupRun {
    bool ok = false;              // succeeded, with its daily returns
    std::vector<double> returns;  // the finite daily returns, in day order
    size_t embargo_days = 0;      // how many of them lie inside the embargo window at its start
    double trades = 0;            // total_trades
    double wins = 0;              // win_rate x total_trades / 100 (NaN: trades without it)
    double trade_hours = 0;       // avg_trade_duration x total_trades (NaN: trades without it)
    double max_drawdown = 0;      // the run's per-bar max_drawdown
    std::vector<double> counts;   // causality counts, in KnownCausalityCounts() order
  };
  // One piece of a union: group `group` under configuration `config`, without its embargoed
  // start when `cut`.
  struct Piece {
    uint32_t group = 0;
    uint64_t config = 0;
    bool cut = false;
  };
  // {"metrics": {...}, "causality": {...}} of the pieces joined in their order (CpcvUnionMetrics);
  // `per_day`: the Sharpe ratio per day. nullopt when a piece's run is not usable.
  std::optional<nlohmann::json> Union(const std::vector<Piece>& pieces,
                                      std::optional<double>* per_day = nullptr) const;

  double Score(const nlohmann::json& result) const;  // NaN when undefined
  bool Meets(const nlohmann::json& result) const;    // the plan's constraints on a union
  bool Better(double a, uint64_t ca, double b, uint64_t cb) const;
  void AddCpcv(uint64_t config, uint32_t group, bool ok, const nlohmann::json& result,
               const engine::DailyReturns* returns);
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
