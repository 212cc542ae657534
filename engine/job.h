// Running one job of a sweep from its texts: the one pipeline that a runner
// (runner/backtest/backtest_executor.cc) and the producer's in-process runner
// (producer/local_run.cc) share, so that a job gives the same result wherever it runs (DESIGN
// decision 3):
//
//   ApplyOverrides(base blueprint + operators texts, the job's overrides)
//     -> ParseOperationTexts(operation text, the job's texts)   (one strategy link)
//     -> the link's bars (CSV bytes given with the job, else the operation's own data)
//     -> RunBacktest -> ToJson(result, JobRunnerOptions::json)
//
// A JobRunner keeps what jobs of a sweep share across Run calls: the parsed data sets, keyed by
// the key of the CSV bytes (e.g. their artifact hash) or DataSpec::CacheKey(), never evicted (a
// runner's pool process runs one sweep's jobs; the data sets are few). The parsed base texts are
// remembered by ApplyOverrides and ParseOperationTexts themselves (the last base of each per
// thread), so jobs after the first parse only what their overrides change. And the columns the
// jobs share: a bounded ColumnCache of context-phase columns and indicators by data key, plugin
// and parameters (engine/column_cache.h), so a grid over exit parameters computes its context
// once per process; results are bit-identical with it or without it.
//
// Not thread-safe: one JobRunner per thread (a pool process or a producer's loop); no mutex, so
// no thread-safety annotations. Jobs themselves are deterministic.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/column_cache.h"
#include "engine/data.h"
#include "engine/operation.h"
#include "engine/plugin_package.h"
#include "engine/result.h"

namespace s1mple::engine {

// One job's inputs (borrowed for the duration of Run).
struct JobSpec {
  std::string_view origin;          // names the job in errors, e.g. "job sw-12/7"
  std::string_view operation_yaml;  // the stripped operation.yaml: exactly one strategy link
  std::string_view blueprint_yaml;  // the sweep's base strategy_blueprint.yaml
  std::string_view operators_yaml;  // the sweep's base operators.yaml; empty: the defaults
  const nlohmann::json* overrides = nullptr;  // the job's overrides object; nullptr: none
  // The link's CSV bytes when its data source is csv, and the key that names them (equal keys
  // mean equal bytes, e.g. "csv-sha256:<hash>"). nullptr: the operation's own data.
  const std::string* csv = nullptr;
  std::string_view csv_key;
  // The plugin packages the texts' `plugins:` entries name, by file name, as files on this
  // machine (a runner's verified copies of the sweep's plugin:<file name> artifacts). nullptr:
  // none (a text that lists a package then fails, naming it).
  const PackageFiles* packages = nullptr;
};

struct JobRunnerOptions {
  JsonOptions json;  // the result's JSON (a runner keeps 500 equity points, 1,000 trades)
  RunOptions run;    // registry (nullptr: the built-ins) and the rest of RunBacktest's options
  // A csv data source without JobSpec::csv: read the file its path names (as written, relative
  // to the current directory) when true; fail when false (a runner has only what it was sent).
  bool read_data_files = false;
  // The columns jobs share (engine/column_cache.h): at most this many MiB of context-phase
  // columns and shared indicators kept across jobs; 0: none.
  size_t column_cache_mib = 256;
};

// The `period` member of a job's overrides document: {"period": {"start": ISO, "end": ISO}}
// (either end may be missing; both inclusive, as environment.period) replaces the link's
// environment.period, so the job trades only inside that window while its indicators still warm
// up on every bar before it; bars after its end are not given to the job at all. Validation folds
// are such jobs (docs/PLANS.md, "validation"). The rest of the document goes to ApplyOverrides.
// nullopt: no period member. InvalidArgument naming "overrides.period..." when it is malformed.
[[nodiscard]] Result<std::optional<Period>> PeriodOverride(const nlohmann::json& overrides);
// The overrides document without its `period` member (what ApplyOverrides takes).
nlohmann::json WithoutPeriod(const nlohmann::json& overrides);
// {"start": ISO, "end": ISO} of a period (the form PeriodOverride reads; ends left out when
// unset).
nlohmann::json PeriodToJson(const Period& period);

// Where a job failed: its configuration or data was refused, or its backtest failed, both
// deterministic (another attempt would fail the same way); or a plugin package it lists cannot
// be loaded on this machine (another ABI, SDK version, compiler or architecture; no Python; a
// Python module it imports is not installed here), which another machine may well do.
enum class JobStage : uint8_t { kNone, kConfig, kBacktest, kEnvironment };

struct JobResult {
  Status status;  // ok, or why the job failed
  JobStage failed_at = JobStage::kNone;
  nlohmann::json result;  // when ok: ToJson(the BacktestResult, JobRunnerOptions::json)

  bool ok() const { return status.ok(); }
  // The failure as runners report it: "bad config: <message>" (kConfig),
  // "backtest failed: <message>" (kBacktest) or "cannot load a plugin package on this machine:
  // <message>" (kEnvironment); "" when ok.
  std::string FailureReason() const;
  // Whether another attempt, elsewhere, may succeed (kEnvironment).
  bool retryable() const { return failed_at == JobStage::kEnvironment; }
};

class JobRunner {
 public:
  explicit JobRunner(JobRunnerOptions options = {});

  // Runs one job. Never throws. Errors name the job's origin and the file, YAML path or CSV
  // line at fault, e.g. "job sw-12/7 blueprint: opportunity_workers[0].params.fast_period: ...".
  [[nodiscard]] JobResult Run(const JobSpec& job);

  // Hits, misses and size of the shared columns (for tests and benchmarks).
  const ColumnCache::Stats& column_cache_stats() const { return cache_.stats(); }

 private:
  // `end`: a period override's end; the job then gets only the bars up to it (a copy of that
  // prefix, cached like the whole series), so no bar after a fold's window reaches its job,
  // whatever a plugin computes over the series it is bound to.
  // `key`, when given, receives the key of the whole series (the bars returned are its first
  // bars: all of them, or those up to `end`).
  Result<std::shared_ptr<const BarSeries>> Bars(const DataSpec& spec, const JobSpec& job,
                                                std::optional<TimestampMs> end = std::nullopt,
                                                std::string* key = nullptr);

  JobRunnerOptions options_;
  ColumnCache cache_;
  std::map<std::string, std::shared_ptr<const BarSeries>, std::less<>> bars_;
};

}  // namespace s1mple::engine
