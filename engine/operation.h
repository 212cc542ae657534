// The Operations-service: load an Operation (operation.yaml + blueprints + operators.yaml), load
// its data, run its backtests. The engine's public entry points; knows nothing of jobs or
// networks. Thread-safe: every function works on its arguments only (a runner may run one
// backtest per thread, each with its own StrategyLink and a shared const BarSeries). Inside one
// run everything is single-threaded and owned by that run, so the engine holds no mutex and
// clang's thread-safety annotations (GUARDED_BY) have nothing to check here; what is shared
// between threads is immutable (a filled PluginRegistry, BarSeries) or per thread (the parse
// memos of ParseOperationTexts and ApplyOverrides, the context column pool).
//
// Paths: relative paths inside an operation.yaml (strategy_blueprint, operators, data.path)
// resolve against the directory of the operation.yaml that names them; relative paths inside a
// blueprint or operators file (none today) would resolve against that file's directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/column_cache.h"
#include "engine/config.h"
#include "engine/data.h"
#include "engine/plugin_package.h"
#include "engine/plugin_registry.h"
#include "engine/result.h"

namespace s1mple::engine {

// Reads operation.yaml and every blueprint and operators file it names, validating everything
// (plugins and params against `registry` plus the plugin packages the operation and the
// blueprint list, which it loads: engine/plugin_package.h). Does not load data. Errors:
// InvalidArgument or NotFound with "<file>: <yaml.path>: <what>"; a package this machine cannot
// load is FailedPrecondition.
[[nodiscard]] Result<OperationConfig> LoadOperationFile(
    const std::filesystem::path& path, const PluginRegistry& registry = DefaultRegistry());

// Builds the same config from texts (a runner gets them as content-addressed artifacts). The
// operation text must have exactly one strategy link; its strategy_blueprint/operators path
// fields are ignored in favour of the texts given (an empty operators text = the defaults).
// So are the paths of `plugins:` entries (in the operation and in the blueprint): each entry is
// found by its file name in `package_files` (a runner's verified copies of the sweep's
// `plugin:<file name>` artifacts); an entry not there is an error naming it.
// Errors name "<origin> operation", "<origin> blueprint" or "<origin> operators" and the YAML
// path, e.g. "job sw-12/7 blueprint: opportunity_workers[0].params.fast_period: ...".
// A csv data path is kept as written (not resolved, not read).
[[nodiscard]] Result<OperationConfig> ParseOperationTexts(
    std::string_view operation_yaml, std::string_view blueprint_yaml,
    std::string_view operators_yaml, std::string_view origin,
    const PluginRegistry& registry = DefaultRegistry(),
    const PackageFiles* package_files = nullptr);

// The parts on their own (origin names the text in errors).
[[nodiscard]] Result<BlueprintConfig> ParseBlueprintText(
    std::string_view yaml, std::string_view origin,
    const PluginRegistry& registry = DefaultRegistry());
[[nodiscard]] Result<OperatorsConfig> ParseOperatorsText(std::string_view yaml,
                                                         std::string_view origin);

struct RunOptions {
  // The plugins workers are created from when the link has no registry of its own
  // (StrategyLink::registry, set when it lists packages); nullptr: DefaultRegistry().
  const PluginRegistry* registry = nullptr;
  bool capture_context = false;  // fill BacktestResult::context_* (--dump-context)
  // A bar whose event bus handles more events than this fails the run ("event storm": workers
  // that trigger each other in a cycle).
  uint32_t max_events_per_bar = 1024;
  // Time every worker's entry calls (engine/worker.h) into BacktestResult::worker_timings.
  // Off by default; off costs one never-taken branch per worker call and no clock read.
  bool time_workers = false;
  // Skip the bars on which workers say nothing can happen (engine/worker.h NextActiveBar;
  // docs/CONFIGURATION.md "Quiet bars"). The result is the same bit for bit either way; false
  // calls every worker on every bar (tests compare the two).
  bool quiet_bars = true;
  // Shares columns with the other jobs of this process (engine/column_cache.h): every column
  // the context phase adds, and the shared indicators of bar columns, looked up under
  // column_cache_key, which must name the bars' bytes and the job's plugin packages (JobRunner
  // sets both). nullptr or an empty key: every column is computed (the default).
  ColumnCache* column_cache = nullptr;
  std::string column_cache_key;
};

// Runs one strategy link on `bars` (the data its environment names, already loaded; the
// link's period selects the traded bars, earlier bars only warm up indicators). Deterministic:
// the same link and bars give a bit-identical result. Errors: InvalidArgument when the period
// selects no bars; Internal when a worker fails or throws (the message names the worker's file,
// YAML path and plugin).
[[nodiscard]] Result<BacktestResult> RunBacktest(const StrategyLink& link, const BarSeries& bars,
                                                 const RunOptions& options = {});

}  // namespace s1mple::engine
