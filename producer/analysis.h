// Result analysis: a sweep's per-job outcomes become results.csv and optimization_result.json
// (optimization plans) or variant_comparison.json (variant plans), shaped as the seeds'
// OptimizationResult and VariantComparisonResult. Shapes: docs/PLANS.md ("Outputs").
//
// Streaming: outcomes arrive one at a time in any order (a broker returns them as runners finish
// or a store scan yields them in index order). results.csv gets one row per Add (into
// results.csv.tmp, renamed at Finish; every output appears only complete); the per-run
// entries of optimization_result.json go to a scratch file and are stitched into the JSON at
// Finish, so 100,000 results are never held in memory. Only the best run, the top N runs, the
// failures (up to a cap) and the distinct values of each varied parameter (up to a cap) are
// kept. Variant plans are small and keep every run, with its equity curve.
//
// Not thread-safe: one caller feeds one analyzer. Does not read the clock (the caller gives
// timestamps), so the same outcomes give the same files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/status.h"
#include "producer/expansion.h"
#include "producer/fold_analysis.h"
#include "producer/sweep_statistics.h"

namespace s1mple::producer {

// What happened to one job.
struct JobOutcome {
  uint64_t index = 0;
  bool ok = false;
  nlohmann::json result;       // ok: the engine's ToJson(BacktestResult) (metrics, causality, ...)
  std::string failure_reason;  // !ok: why it failed, e.g. "timeout after 300 s"
  int attempts = 1;
  // ok: the result's daily returns when the reader parsed them apart from `result` (which then
  // has no "returns" member: ParseResultFields' overload); nullopt: read result["returns"].
  std::optional<engine::DailyReturns> returns = std::nullopt;
};

struct SweepInfo {
  std::string sweep_id;     // e.g. "sw-0123456789ab"; run ids are "<sweep_id>/<index>"
  std::string started_at;   // ISO-8601 UTC, e.g. "2026-11-21T05:00:00Z"
  std::string finished_at;  // ISO-8601 UTC (may be empty for a partial analysis)
};

struct AnalysisOptions {
  std::filesystem::path out_dir;      // created if missing
  size_t top_n = 10;                  // optimization: top runs listed by primary metric
  size_t max_failures_listed = 1000;  // failures listed in the JSON (all are in the CSV)
  size_t max_distinct_values = 1000;  // per varied parameter, for the page's filters
  size_t max_equity_points = 2000;    // variants: equity curve points kept per variant
  // returns.csv: every run's daily returns, one column per run (producer/sweep_statistics.h);
  // keeps every series in memory until Finish (8 to 16 bytes a day a run).
  bool write_returns = false;
};

// Whether a run meets the plan's constraints, and if not, why ("total_trades 4 < 10").
struct ConstraintVerdict {
  bool ok = true;
  std::vector<std::string> failures;
};
ConstraintVerdict CheckConstraints(const Plan& plan, const nlohmann::json& result);

// A metric or causality count of an engine result; nullopt when absent or null.
std::optional<double> MetricValue(const nlohmann::json& result, const std::string& name);

class SweepAnalyzer {
 public:
  // Creates out_dir and results.csv.tmp (header row written). The space must outlive the
  // analyzer.
  [[nodiscard]] static Result<std::unique_ptr<SweepAnalyzer>> Open(const JobSpace& space,
                                                                   SweepInfo info,
                                                                   AnalysisOptions options);
  ~SweepAnalyzer();

  // Records one outcome: a CSV row now, the JSON entry at Finish. A second outcome for an index
  // already recorded is refused (FailedPrecondition).
  [[nodiscard]] Status Add(const JobOutcome& outcome);

  // Writes optimization_result.json or variant_comparison.json and closes results.csv. Returns
  // the summary (the JSON without its per-run "results" array). Jobs never reported count as
  // missing ("missing_runs"). Call once.
  [[nodiscard]] Result<nlohmann::json> Finish();

  static constexpr const char* kCsvName = "results.csv";
  static constexpr const char* kOptimizationJsonName = "optimization_result.json";
  static constexpr const char* kVariantJsonName = "variant_comparison.json";

 private:
  struct Ranked {
    double score;
    uint64_t index;
    nlohmann::ordered_json entry;
  };
  SweepAnalyzer(const JobSpace& space, SweepInfo info, AnalysisOptions options);
  std::string RunId(uint64_t index) const;
  void WriteCsvRow(const JobOutcome& outcome, const VariedParams& varied,
                   const ConstraintVerdict& verdict);
  nlohmann::ordered_json RunEntry(const JobOutcome& outcome, const VariedParams& varied,
                                  const ConstraintVerdict& verdict) const;
  void Rank(const JobOutcome& outcome, const nlohmann::ordered_json& entry);
  nlohmann::ordered_json Summary() const;
  nlohmann::ordered_json OptimizationSummary() const;
  nlohmann::ordered_json VariantSummary() const;
  Status WriteOptimizationJson(const nlohmann::ordered_json& summary);

  const JobSpace& space_;
  SweepInfo info_;
  AnalysisOptions options_;
  std::unique_ptr<AtomicFile> csv_;  // results.csv, renamed into place by Finish
  std::ofstream part_;               // optimization: one JSON run entry per line
  std::filesystem::path part_path_;
  // The JSON outputs are AtomicFiles too (common/atomic_file.h): a failed or abandoned analysis
  // leaves no temporary file, and the outputs of an earlier one stay as they were.
  std::vector<bool> seen_;  // by index (1 bit per job)
  uint64_t successful_ = 0;
  uint64_t failed_ = 0;
  uint64_t meeting_constraints_ = 0;
  bool first_part_entry_ = true;
  std::vector<Ranked> top_;  // best first, at most top_n
  // (index, primary metric) of every run that meets the constraints, for the best-so-far
  // history in trial order (Add may come in any order; 16 bytes per run).
  std::vector<std::pair<uint64_t, double>> feasible_scores_;
  std::vector<nlohmann::ordered_json> failures_;       // up to max_failures_listed
  std::vector<std::vector<nlohmann::json>> distinct_;  // per column
  std::vector<nlohmann::ordered_json> variant_runs_;   // variant plans: every run
  nlohmann::json market_period_;
  std::unique_ptr<SweepStatistics> stats_;  // daily returns: overfitting, variant statistics
  // Validation folds (null without): the `validation` block. With folds only the jobs of the
  // selection segment (the last fold's in-sample segment) are ranked and feed `overfitting`.
  std::unique_ptr<FoldAnalysis> folds_;
  bool Selected(uint64_t index) const;
  struct Warning {
    std::string text;
    uint64_t runs = 0;
    uint64_t first_index = 0;
  };
  std::vector<Warning> warnings_;  // the runs' distinct warnings (at most 100), first seen first
  bool finished_ = false;
};

// RFC 4180: quotes a CSV field when it holds a comma, quote, CR or LF (quotes doubled).
std::string CsvField(const std::string& text);
// A JSON scalar as a CSV cell: strings as text, numbers as JSON prints them, bools as
// true/false, null as empty; arrays and objects as their compact JSON.
std::string CsvCell(const nlohmann::json& value);

}  // namespace s1mple::producer
