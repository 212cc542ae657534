// The plan model: an optimization.yaml or variant.yaml after loading, as a list of dimensions
// whose product is the sweep's job space (producer/expansion.h enumerates it).
//
// Past the loader (producer/plan_loader.h) nothing reads a YAML node: everything a sweep needs
// is in these structs. Every dimension, option and setting remembers the YAML path it came
// from, so later checks (against the base operation and the plugin manifests) can name it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "producer/decimal.h"

namespace s1mple::producer {

enum class PlanKind { kOptimization, kVariant };
const char* PlanKindName(PlanKind kind);  // "optimization" | "variant"

// The values one swept setting takes: an exact decimal range or an explicit list.
class ValueAxis {
 public:
  static ValueAxis Range(DecimalRange range) { return ValueAxis(range); }
  static ValueAxis List(std::vector<nlohmann::json> values) { return ValueAxis(std::move(values)); }

  uint64_t size() const;
  nlohmann::json At(uint64_t i) const;
  // True for a range, and for a list of numbers only (its values have an order a sampler may use).
  bool numeric() const;

 private:
  explicit ValueAxis(DecimalRange r) : values_(r) {}
  explicit ValueAxis(std::vector<nlohmann::json> v) : values_(std::move(v)) {}
  std::variant<DecimalRange, std::vector<nlohmann::json>> values_;
};

// One swept setting inside an option: its value is written at `target` in the option's
// overrides fragment and reported in the results column `column`.
struct Axis {
  std::string column;                   // e.g. "fvg_entry_detector.min_gap_size"
  nlohmann::json::json_pointer target;  // e.g. /opportunity_workers/fvg_entry_detector/params/x
  ValueAxis values;
  std::string plugin;  // the worker whose parameter this is
  std::string param;
  std::string yaml_path;  // where the plan defines the values
};

// One alternative of a dimension: an overrides fragment, the columns it fixes, and the axes
// swept inside it (e.g. "atr_based_stops with atr_multiplier 1.0..3.0 step 0.5" is one option
// with one axis of 5 values). size() = product of its axes' sizes (1 without axes).
struct Option {
  nlohmann::json fragment = nlohmann::json::object();
  std::vector<std::pair<std::string, nlohmann::json>> fixed_columns;
  std::vector<Axis> axes;
  std::string label;      // e.g. "atr_based_stops" or a variant name
  std::string yaml_path;  // e.g. optimization_config.planning_variants[1].variants[1]
  uint64_t size() const;
};

// Where an overrides fragment writes: a worker slot ("opportunity_workers",
// "planning_workers.exit_planning") or an operator ("operator_overrides.PlanningOperator").
// A list-form write replaces the slot's workforce; two dimensions may only share a slot when
// both patch it in map form.
struct SlotUse {
  std::string slot;
  bool list_form = false;
};

// One factor of the job space. Its size is the sum of its options' sizes; a job picks exactly
// one (option, axis values) per dimension.
struct Dimension {
  std::string name;  // e.g. "fvg_entry_detector.min_gap_size", "variant"
  std::string yaml_path;
  std::vector<std::string> columns;  // every column its options can set, in order
  std::vector<Option> options;
  std::vector<SlotUse> slots;
  uint64_t size() const;
};

// optimization_targets: what "best" means.
struct OptimizationTargets {
  std::string primary_metric = "sharpe_ratio";
  bool maximize = true;  // `direction: minimize|maximize`; default minimize for max_drawdown
  std::vector<std::string> secondary_metrics;
  std::string yaml_path = "optimization_config.optimization_targets";
};

// A bound on one metric a run must meet to be eligible as best configuration.
// min_trades: N is {total_trades, min N}; max_drawdown: X is {max_drawdown, max X} compared on
// the absolute value; min_<metric> / max_<metric> bound any metric or causality count.
struct Constraint {
  std::string key;     // as written, e.g. "min_trades"
  std::string metric;  // e.g. "total_trades"
  std::optional<double> min;
  std::optional<double> max;
  bool absolute = false;  // compare |value| (drawdowns, whatever sign the engine reports)
  std::string yaml_path;
};

// parallel_config: hints for the run (the broker's issue honours them).
struct ParallelConfig {
  int max_workers = 0;        // 0: one slot per core
  int timeout_per_run_s = 0;  // 0: no per-run timeout beyond the broker's default
};

// optimization_config.search: which points of the job space the sweep runs (PLANS.md
// "Search"). `grid` (the default) runs every point; `random` and `sobol` run `budget` distinct
// points drawn from the same space (producer/search.h), reproducibly from `seed`.
enum class SearchMethod { kGrid, kRandom, kSobol, kTpe, kHalving };
// "grid" | "random" | "sobol" | "tpe" | "halving"
const char* SearchMethodName(SearchMethod method);

struct SearchConfig {
  SearchMethod method = SearchMethod::kGrid;
  uint64_t budget = 0;  // random, sobol, tpe: the number of distinct points (trials)
  uint64_t seed = 0;
  // tpe (producer/tpe.h, producer/adaptive.h): random trials before the estimator takes over,
  // draws per proposal, and proposals in flight: trial j is proposed from the results of trials
  // 0 .. j - in_flight - 1 (so up to in_flight jobs run while the next is proposed).
  uint64_t startup_trials = 16;
  uint64_t candidates = 24;
  uint64_t in_flight = 8;
  // halving (producer/halving.h): `budget` configurations at fidelity min_fidelity (a fraction
  // of the data, the most recent part), the best ceil(n / eta) of each rung promoted to eta
  // times the fidelity, up to the whole data. 0: the default, 1 / eta^2 (three rungs).
  uint64_t eta = 3;
  double min_fidelity = 0;
  std::string yaml_path = "optimization_config.search";
};

// optimization_config.validation (PLANS.md "Validation"): out-of-sample folds. A DURATION is N
// followed by d, w, mo or y ("2y", "6mo", "90d"); months and years are calendar months.
struct Duration {
  enum class Unit { kDay, kWeek, kMonth, kYear };
  int64_t count = 0;
  Unit unit = Unit::kDay;
  std::string text;  // as written, e.g. "6mo"
};

enum class ValidationMode { kNone, kHoldout, kWalkForward, kCpcv };
const char* ValidationModeName(
    ValidationMode mode);  // "none" | "holdout" | "walk_forward" | "cpcv"

struct ValidationConfig {
  ValidationMode mode = ValidationMode::kNone;
  // holdout: {split: DATE} (split_day: days since 1970-01-01) or {fraction: F} (0 < F < 1).
  std::optional<int64_t> split_day;
  double fraction = 0;
  // walk_forward: {train, test, step, anchored}; step defaults to test.
  Duration train, test, step;
  bool anchored = false;
  // cpcv: {groups: N, test_groups: K, embargo: DURATION}.
  int groups = 0;
  int test_groups = 0;
  Duration embargo;
  std::string yaml_path = "optimization_config.validation";
};

// comparison_config of a variant plan (what the comparison page shows).
struct ComparisonConfig {
  std::vector<std::string> metrics;
  std::vector<std::string> visualizations;
  std::vector<std::string> causality_analysis;
  std::string baseline;  // the variant the others are tested against (empty: the first)
};

struct VariantInfo {
  std::string name;
  std::string description;
  std::string yaml_path;
};

struct Plan {
  PlanKind kind = PlanKind::kOptimization;
  std::filesystem::path file;  // the plan file as given
  std::string text;            // its exact text (stored with the sweep)
  std::string name;
  std::string description;
  std::string base_operation;                 // as written in the plan
  std::filesystem::path base_operation_path;  // resolved (see plan_loader.h)
  std::vector<Dimension> dimensions;
  OptimizationTargets targets;
  std::vector<Constraint> constraints;
  ParallelConfig parallel;
  size_t cscv_blocks = 16;  // optimization: overfitting.cscv_blocks (docs/STATISTICS.md)
  SearchConfig search;
  ValidationConfig validation;
  ComparisonConfig comparison;
  std::vector<VariantInfo> variants;  // variant plans: one per job, in job order
  // Every worker the plan names: (slot, plugin, yaml path) -- for manifest checks.
  struct WorkerRef {
    std::string slot;
    std::string plugin;
    nlohmann::json params;  // the params the plan sets (ranges replaced by their first value)
    bool must_exist_in_base = false;  // map-form patch: the base slot must have it
    std::string yaml_path;
  };
  std::vector<WorkerRef> workers;
  // Every metric name the plan refers to (targets, constraints, comparison): (name, yaml path).
  std::vector<std::pair<std::string, std::string>> metric_refs;

  // The plan file name for messages.
  std::string origin() const { return file.string(); }
};

}  // namespace s1mple::producer
