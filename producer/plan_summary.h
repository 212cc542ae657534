// The plan summary: what a sweep's plan says that readers other than the producer need (the
// Trade Explorer: names, targets, constraints, dimensions, variants), as one small JSON document
// the producer sends with SUBMIT_BEGIN and the store keeps with the sweep. It is how only
// producer/plan_loader reads plan YAML: the explorer reads this (explorer/plan_summary.h).
// Format: docs/PROTOCOL.md, "Plan summary".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "producer/expansion.h"
#include "producer/plan.h"

namespace s1mple::producer {

inline constexpr const char* kPlanSummaryFormat = "s1mple-plan-summary/1";

// {"format", "kind", "name", "description", "base_operation", "primary_metric", "direction",
//  "secondary_metrics", "constraints": [{key, metric, min, max, absolute}], "dimensions":
//  [{name, size, columns}], "jobs", "variants": [{name, description}], "comparison_metrics"}.
nlohmann::ordered_json PlanSummary(const JobSpace& space);
// The same as compact JSON text (what travels and is stored).
std::string PlanSummaryText(const JobSpace& space);

}  // namespace s1mple::producer
