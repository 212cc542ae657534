// The configuration model of one Operation, as the loaders produce it (validated once; nothing
// past the loader reads a YAML node):
//
//   OperationConfig ─┬─ StrategyLink ─┬─ BlueprintConfig  (strategy_blueprint.yaml: the workforce)
//                    │                ├─ OperatorsConfig  (operators.yaml)
//                    │                └─ Environment      (data, period, capital, fees, ...)
//                    └─ StrategyLink ...
//
// The YAML formats are documented in docs/CONFIGURATION.md. Plain values; copyable.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/data.h"
#include "engine/types.h"

namespace s1mple::engine {

class PluginRegistry;

// ---- plugin packages -----------------------------------------------------------------------

enum class PackageKind : uint8_t { kCpp, kPython };

// One plugin package a configuration names (`plugins:` in an operation or a blueprint;
// engine/plugin_package.h loads them).
struct PackageRef {
  std::string name;            // the file name, e.g. "libmy_signals.so" or "my_signals.py"
  std::filesystem::path path;  // the file on this machine
  std::string named_by;        // what named it, for messages, e.g. "config/op.yaml: plugins[0]"

  // ".py": a Python module; anything else: a shared library.
  PackageKind kind() const;
};

// ---- worker parameters ----------------------------------------------------------------------

// The types a manifest can give a parameter. kEnum is a string from a fixed set of choices;
// kStringList a YAML sequence of strings (e.g. exit_on_severity: [CRITICAL, HIGH]).
enum class ParamType : uint8_t { kBool, kInt, kFloat, kString, kEnum, kStringList };
std::string_view ParamTypeName(ParamType t);

using ParamValue = std::variant<bool, int64_t, double, std::string, std::vector<std::string>>;

// A worker's parameters after validation: every parameter of its manifest, in manifest order,
// with the blueprint's value or the manifest default. Typed getters for plugin constructors
// (never called per bar). Asking for an undeclared name or the wrong type is a programming
// error (asserts; returns a zero value in release builds).
class ParamSet {
 public:
  void Set(std::string name, ParamValue value);
  bool Has(std::string_view name) const;
  const ParamValue* Find(std::string_view name) const;
  bool GetBool(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  double GetFloat(std::string_view name) const;               // an int parameter converts
  const std::string& GetString(std::string_view name) const;  // kString and kEnum
  const std::vector<std::string>& GetStringList(std::string_view name) const;
  const std::vector<std::pair<std::string, ParamValue>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, ParamValue>> items_;
};

// ---- strategy_blueprint.yaml -----------------------------------------------------------------

// One entry of a workforce list: `- plugin: NAME  subtype: ...  triggers: [...]  params: {...}`.
struct WorkerConfig {
  std::string plugin;
  std::string subtype;                // as written, or the manifest's subtype when omitted
  std::vector<std::string> triggers;  // as written; empty = the manifest's default triggers
  ParamSet params;                    // validated against the manifest, defaults filled in
  std::string yaml_path;              // e.g. "planning_workers.exit_planning[0]", for errors
};

// A named group of execution workers (position_management, risk_safety, operational, ...).
// Groups run in blueprint order.
struct ExecutionGroup {
  std::string name;
  std::vector<WorkerConfig> workers;
};

// The workforce of one strategy, in the five categories. Planning workers are per phase
// (entry_planning, exit_planning, size_planning, order_routing), run in that order.
struct BlueprintConfig {
  std::string name;  // `name:` or the file stem
  std::string description;
  std::vector<WorkerConfig> context_workers;
  std::vector<WorkerConfig> opportunity_workers;
  std::vector<WorkerConfig> threat_workers;
  std::array<std::vector<WorkerConfig>, kPlanningPhaseCount> planning_workers;  // by PlanningPhase
  std::vector<ExecutionGroup> execution_workers;
};

// ---- operators.yaml ----------------------------------------------------------------------------

enum class ExecutionStrategy : uint8_t { kSequential, kParallel, kEventDriven };
enum class AggregationStrategy : uint8_t { kChainThrough, kCollectAll, kNone };
std::string_view ExecutionStrategyName(ExecutionStrategy s);      // "SEQUENTIAL", ...
std::string_view AggregationStrategyName(AggregationStrategy s);  // "CHAIN_THROUGH", ...

// The operators, one per worker category, in the order WorkerCategory lists them.
enum class OperatorId : uint8_t { kContext, kOpportunity, kThreat, kPlanning, kExecution };
inline constexpr int kOperatorCount = 5;
std::string_view OperatorName(OperatorId id);  // "ContextOperator", ...

struct OperatorConfig {
  ExecutionStrategy execution = ExecutionStrategy::kSequential;
  AggregationStrategy aggregation = AggregationStrategy::kChainThrough;
};

// Defaults (also what config/operators.yaml spells out):
//   ContextOperator     SEQUENTIAL   CHAIN_THROUGH
//   OpportunityOperator PARALLEL     COLLECT_ALL
//   ThreatOperator      PARALLEL     COLLECT_ALL
//   PlanningOperator    SEQUENTIAL   CHAIN_THROUGH
//   ExecutionOperator   EVENT_DRIVEN NONE
// What each choice does per operator is documented in docs/CONFIGURATION.md ("Operators").
struct OperatorsConfig {
  std::array<OperatorConfig, kOperatorCount> ops = DefaultOperators();
  const OperatorConfig& operator[](OperatorId id) const { return ops[static_cast<int>(id)]; }
  OperatorConfig& operator[](OperatorId id) { return ops[static_cast<int>(id)]; }
  static std::array<OperatorConfig, kOperatorCount> DefaultOperators();
};

// ---- operation.yaml ----------------------------------------------------------------------------

// Optional trading window; bars outside it are not traded (bars before `start` still warm up
// the indicators). Both ends inclusive.
struct Period {
  std::optional<TimestampMs> start;
  std::optional<TimestampMs> end;
};

// The backtest environment of one strategy link.
struct Environment {
  DataSpec data;
  Period period;
  double initial_capital = 10000.0;  // quote currency, > 0
  double fees_bps = 0.0;             // per fill, on notional; 0 .. 1000
  double slippage_bps = 0.0;         // adverse, on market and stop fills; 0 .. 1000
  // A slipped fill never leaves the bar's [low, high] (a broker fills only at prices that
  // traded; backtrader's default). false: slippage may push a fill up to slippage_bps outside.
  bool slippage_within_bar = true;
  double periods_per_year = 252.0;  // annualisation of daily Sharpe/Sortino; > 0
};

// One strategy link: a blueprint, the operators that run it, and its environment.
struct StrategyLink {
  std::string name;  // `name:` or the blueprint's name
  BlueprintConfig blueprint;
  OperatorsConfig operators;
  Environment environment;
  // Where each part came from (for messages and for `s1mple job --export`): resolved paths when
  // loaded from files, empty when built from texts.
  std::filesystem::path blueprint_path;
  std::filesystem::path operators_path;
  // The plugin packages the operation and the blueprint list (operation's first, each file
  // once), and the registry the blueprint was validated against: the built-ins (or the loader's
  // registry) plus their plugins. Both empty when no package is listed; RunBacktest creates the
  // workers from `registry` when it is set.
  std::vector<PackageRef> packages;
  std::shared_ptr<const PluginRegistry> registry;
};

struct OperationConfig {
  std::string name;
  std::vector<StrategyLink> links;  // at least one
  std::filesystem::path source;     // the operation.yaml path, empty when built from texts
};

}  // namespace s1mple::engine
