// Loading optimization.yaml and variant.yaml into a Plan (producer/plan.h).
//
// The loader checks everything that can be checked from the plan alone: structure and types,
// ranges (step 0, end < start, an empty values list), unknown keys, duplicate dimensions,
// metric names in targets, constraints and comparison_config, a base_operation that does not
// exist. Checks that need the base operation and the plugin manifests (unknown plugin or
// parameter, a patch of a worker the base lacks) are in producer/plan_check.h.
// Every error is one line: "<file>: <yaml path>: <what is wrong> (line N)".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "producer/plan.h"

namespace s1mple::producer {

struct PlanLoadOptions {
  // Relative base_operation paths are tried against each of these directories in order, then
  // against the plan file's directory and each of its parents (so the seeds' project-root
  // relative paths work from the project root and from anywhere else). Empty: the current
  // working directory only.
  std::vector<std::filesystem::path> search_dirs;
  // When false, a base_operation that does not exist is not an error (tests of expansion).
  bool require_base_operation = true;
};

// Reads and loads a plan file; the kind comes from its top-level key (optimization_config or
// variant_config).
[[nodiscard]] Result<Plan> LoadPlanFile(const std::filesystem::path& file,
                                        const PlanLoadOptions& options = {});

// Loads plan text; `origin` names it in errors and becomes Plan::file.
[[nodiscard]] Result<Plan> ParsePlanText(const std::string& text,
                                         const std::filesystem::path& origin,
                                         const PlanLoadOptions& options = {});

// The metric names results carry (the engine's ToJson "metrics" keys) and the causality counts;
// targets and constraints may name either.
const std::vector<std::string>& KnownMetrics();
const std::vector<std::string>& KnownCausalityCounts();
bool IsKnownMetric(const std::string& name);  // a metric or a causality count

}  // namespace s1mple::producer
