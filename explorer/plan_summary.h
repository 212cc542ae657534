// What the Trade Explorer knows of a sweep's plan: the plan summary the producer stores with the
// sweep (producer/plan_summary.h writes it; docs/PROTOCOL.md, "Plan summary", is its format).
// Only producer/plan_loader reads plan YAML; the explorer reads this JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace s1mple::explorer {

// Never fails to be read: a sweep without a summary (an older producer, a diag sweep) or with
// one that does not parse gives the defaults below.
struct PlanInfo {
  std::string kind;  // "optimization" | "variant"; empty: unknown
  std::string name;
  std::string description;
  std::string base_operation;
  std::string primary_metric = "sharpe_ratio";  // optimization_targets.primary_metric
  // optimization_targets.direction; without it, minimize for max_drawdown, else maximize.
  bool maximize = true;
  std::vector<std::string> secondary_metrics;  // optimization_targets.secondary_metrics
  // optimization_config.constraints as producer/plan_loader.cc reads them: min_trades: N is
  // total_trades >= N; max_drawdown: X is |max_drawdown| <= X; min_<m> / max_<m> bound any
  // metric or causality count (max_drawdown always by magnitude). A run is eligible as the best
  // configuration only if it meets every one (MeetsConstraints).
  struct Constraint {
    std::string key;     // as written, e.g. "max_drawdown"
    std::string metric;  // e.g. "max_drawdown"
    std::optional<double> min;
    std::optional<double> max;
    bool absolute = false;
  };
  std::vector<Constraint> constraints;
  // The plan's dimensions (its parameter space), in job-index order of significance.
  struct Dimension {
    std::string name;
    uint64_t size = 0;
    std::vector<std::string> columns;
  };
  std::vector<Dimension> dimensions;
  struct Variant {
    std::string name;
    std::string description;
  };
  std::vector<Variant> variants;                // variant_config.variants, in job-index order
  std::vector<std::string> comparison_metrics;  // variant_config.comparison_config.metrics
};
PlanInfo ReadPlanSummary(std::string_view summary_json);

// Whether a run (a runs row or an engine result: {"metrics": {...}, "causality": {...}}) meets
// every constraint; the same rule as optimization_result.json's best configuration
// (producer::CheckConstraints): a metric that is missing or not a number fails its constraint.
// Each broken constraint is described in `failures` when given ("max_drawdown 31.2 > 25").
bool MeetsConstraints(const nlohmann::json& run, const std::vector<PlanInfo::Constraint>& c,
                      std::vector<std::string>* failures = nullptr);

// The constraints as the sweep document lists them: [{key, metric, min, max, absolute}] with
// null for a missing bound.
nlohmann::json ConstraintsJson(const std::vector<PlanInfo::Constraint>& constraints);

}  // namespace s1mple::explorer
