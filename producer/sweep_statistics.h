// The statistics of a sweep's daily returns (docs/STATISTICS.md): the `overfitting` block of
// optimization_result.json, the `statistics` block of variant_comparison.json, and returns.csv.
//
// Every run's result carries its daily returns (engine: "returns" {first_date, values, gaps}).
// An optimization keeps, per run, only the power sums of its returns and their sums per CSCV
// block (16 blocks: 33 doubles a run), so 100,000 runs take 26 MB; the full series are kept only
// for returns.csv (when asked for) and for variant plans (a few runs). The days of the first run
// with returns (the lowest index: the outputs read results in index order) are the calendar the
// blocks are cut from; every run of a sweep trades the same bars, so every run has those days.
//
// Not thread-safe: fed by one SweepAnalyzer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/result.h"
#include "producer/plan.h"
#include "stats/bootstrap.h"
#include "stats/overfitting.h"

namespace s1mple::producer {

struct SweepStatisticsOptions {
  bool keep_series = false;  // keep every run's returns (returns.csv, variant tests)
  size_t cscv_blocks = 16;
  stats::BootstrapOptions bootstrap;
  uint64_t expected_runs = 0;  // the sweep's jobs: memory is reserved once, not grown by doubling
};

class SweepStatistics {
 public:
  explicit SweepStatistics(SweepStatisticsOptions options);

  // A successful run: `result` is its engine result (its daily returns are `returns` when the
  // reader parsed them already, else its "returns" member, when present); meets_constraints:
  // whether the plan's constraints accept it. A result without readable returns counts as a
  // trial without returns.
  void AddRun(uint64_t index, const nlohmann::json& result, bool meets_constraints,
              const engine::DailyReturns* returns = nullptr);
  // A failed run (a trial too).
  void AddFailure(uint64_t index);

  using RunIdFn = std::function<std::string(uint64_t)>;
  // optimization_result.json's "overfitting" block; `selected`: the index of the best
  // configuration under the constraints (nullopt: none).
  nlohmann::ordered_json Overfitting(std::optional<uint64_t> selected, const RunIdFn& run_id) const;
  // variant_comparison.json's "statistics" block: every variant against the baseline (the
  // plan's comparison_config.baseline, else the first variant).
  nlohmann::ordered_json VariantStatistics(const Plan& plan, const RunIdFn& run_id) const;
  // returns.csv: `date` (YYYY-MM-DD, every day any kept run has), then one column per run with
  // returns (index order) holding its daily simple return that day (empty: no return that day).
  // Needs keep_series.
  [[nodiscard]] Status WriteReturnsCsv(const std::filesystem::path& path,
                                       const RunIdFn& run_id) const;

  static constexpr const char* kReturnsCsvName = "returns.csv";

 private:
  struct Run {
    uint64_t index = 0;
    stats::Moments moments;
    size_t sums_at = 0;         // its per-block sums and squares: block_sums_[sums_at, + 2 blocks)
    std::vector<int64_t> days;  // kept series (empty when not kept)
    std::vector<double> values;
  };
  const Run* Find(uint64_t index) const;

  SweepStatisticsOptions options_;
  std::vector<int64_t> grid_;  // the calendar: days of the first run with returns
  std::optional<stats::BlockSums> layout_;
  std::vector<Run> runs_;  // runs with returns, in the order added
  // Per run with returns: the sum of its returns in each CSCV block, then their squares (one
  // flat array: 100,000 runs x 16 blocks take 25.6 MB without a heap block per run).
  std::vector<double> block_sums_;
  bool cscv_possible_ = false;  // every block of the calendar has 2 days or more
  uint64_t trials_ = 0, failed_ = 0, rejected_ = 0, without_returns_ = 0;
};

}  // namespace s1mple::producer
