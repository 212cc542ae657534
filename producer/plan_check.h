// A plan against its base operation and the plugin manifests: the checks that run before a
// sweep is submitted, and the texts every job is built from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/overrides.h"
#include "engine/plugin_registry.h"
#include "producer/expansion.h"

namespace s1mple::producer {

// The base of a sweep: what every job starts from. The operation text is the seed's "stripped
// operation.yaml": the base operation with exactly one strategy link, whose blueprint is
// "strategy_blueprint.yaml" and operators "operators.yaml" (beside it), and whose csv data path
// (if any) is absolute. A job's configuration is (operation_yaml, ApplyOverrides({blueprint,
// operators}, job overrides)).
struct BaseTexts {
  std::string operation_yaml;
  std::string blueprint_yaml;
  std::string operators_yaml;  // empty: the engine's default operators
  std::string link_name;
  std::filesystem::path data_path;       // the csv file the link reads; empty for synthetic data
  std::filesystem::path operation_path;  // the base operation file
  // The plugin packages the operation and the blueprint list (files on this machine; a sweep
  // ships each as its artifact "plugin:<file name>", engine/plugin_package.h), and the registry
  // the base was validated against (the built-ins plus their plugins; nullptr when none).
  std::vector<engine::PackageRef> packages;
  std::shared_ptr<const engine::PluginRegistry> registry;
};

inline constexpr const char* kExportedBlueprintName = "strategy_blueprint.yaml";
inline constexpr const char* kExportedOperatorsName = "operators.yaml";
inline constexpr const char* kExportedOperationName = "operation.yaml";

// Loads the plan's base operation (validating it with the engine) and builds its BaseTexts.
// A base operation with several strategy links is refused: a sweep varies one strategy.
[[nodiscard]] Result<BaseTexts> LoadBase(
    const Plan& plan, const engine::PluginRegistry& registry = engine::DefaultRegistry());

struct CheckOptions {
  // Axis values checked against the parameter's manifest type and bounds: all of them up to
  // this many, otherwise the first and last (ranges are monotonic).
  uint64_t max_values_checked_per_axis = 1000;
};

// Refuses, before anything runs, a plan whose workers or parameters the manifests do not know,
// whose values are out of bounds, that patches a worker the base lacks, or whose options do
// not load as an operation. Every option of every dimension is applied to the base on its own
// and loaded by the engine, then the first and the last job. Errors:
// "<plan file>: <yaml path>: <what>".
[[nodiscard]] Status CheckPlan(const JobSpace& space, const BaseTexts& base,
                               const engine::PluginRegistry& registry = engine::DefaultRegistry(),
                               const CheckOptions& options = {});

// The blueprint and operators texts of one job.
[[nodiscard]] Result<engine::ConfigTexts> JobTexts(const BaseTexts& base,
                                                   const nlohmann::json& overrides);

// Writes a job's stripped operation.yaml, strategy_blueprint.yaml and operators.yaml into
// `dir` (created if needed), and the job's overrides.json for reference;
// `s1mple run dir/operation.yaml` runs exactly that job.
// With `data_csv` (the sweep's "data" artifact, when the exporting machine may not have the
// original file) the bytes are written to dir/data.csv and the operation points there.
[[nodiscard]] Status ExportJob(const BaseTexts& base, const nlohmann::json& overrides,
                               const std::filesystem::path& dir,
                               const std::optional<std::string>& data_csv = std::nullopt);

// The operation text with its (single) link's environment.period set to `period` ({start, end},
// a validation fold's window).
[[nodiscard]] Result<std::string> WithPeriod(const std::string& operation_yaml,
                                             const nlohmann::json& period);

// The operation text with its (single) link's csv data path replaced by `path`.
[[nodiscard]] Result<std::string> WithDataPath(const std::string& operation_yaml,
                                               const std::string& path);

}  // namespace s1mple::producer
