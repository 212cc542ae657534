// The override merge: a variant's or a sweep job's "overrides" document applied to the texts of
// a strategy blueprint and an operators.yaml, giving the texts of that job's configuration.
//
// The producer applies it when it validates and exports plans; the runner applies it to every
// job it runs. It only rewrites YAML; whether the result is a valid configuration is decided by
// the engine's loader (ParseOperationTexts) afterwards.
//
// Merge semantics (docs/PLANS.md has the reference):
//  - Keys of `overrides`: context_workers, opportunity_workers, threat_workers (a slot each),
//    planning_workers.<phase> and execution_workers.<group> (a slot per phase/group), and
//    operator_overrides.<OperatorName>.{execution_strategy, aggregation_strategy}.
//  - A worker LIST defines the slot's workforce: the result is the list in its order; an entry
//    whose plugin the base slot also has is deep-merged onto that base worker (override wins,
//    unspecified params keep the base values); an entry the base lacks is added as written;
//    base workers not named are dropped. When a plugin occurs several times, the k-th override
//    entry of that plugin merges onto the k-th base worker of that plugin.
//  - A worker MAP keyed by plugin name patches the named base workers and keeps the slot's list;
//    naming a plugin the base slot lacks is an error.
//  - `{}` changes nothing. Maps deep-merge, scalars and lists inside a worker replace.
// Errors name the overrides path (e.g. "overrides.planning_workers.exit_planning[0]"); callers
// put the plan file and variant in front.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "common/status.h"

namespace s1mple::engine {

// The two texts an override can change. The operation.yaml itself is never overridden.
struct ConfigTexts {
  std::string blueprint_yaml;
  std::string operators_yaml;
};

// Applies `overrides` (a JSON object; see above) to `base`. Pure function, thread-safe.
[[nodiscard]] Result<ConfigTexts> ApplyOverrides(const ConfigTexts& base,
                                                 const nlohmann::json& overrides);

// YAML -> JSON with typed scalars: a plain (unquoted) scalar becomes a bool (true/false), null
// (~, null, empty), integer or double when it reads as one, otherwise a string; a quoted or
// !!str-tagged scalar is always a string. Map key order is kept.
[[nodiscard]] nlohmann::ordered_json YamlToJson(const YAML::Node& node);

// JSON -> YAML node (strings that would read back as another type are emitted quoted).
[[nodiscard]] YAML::Node JsonToYaml(const nlohmann::ordered_json& value);
[[nodiscard]] YAML::Node JsonToYaml(const nlohmann::json& value);

// Block-style YAML text of `node` that reads back to the same typed values: strings that would
// read as a number, bool or null (and strings that were quoted in the source) are double-quoted;
// flow-style sequences and maps stay in flow style.
[[nodiscard]] std::string EmitYaml(const YAML::Node& node);

}  // namespace s1mple::engine
