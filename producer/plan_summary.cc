#include "producer/plan_summary.h"

#include "producer/halving.h"

namespace s1mple::producer {

using ojson = nlohmann::ordered_json;

ojson PlanSummary(const JobSpace& space) {
  const Plan& plan = space.plan();
  ojson s;
  s["format"] = kPlanSummaryFormat;
  s["kind"] = PlanKindName(plan.kind);
  s["name"] = plan.name;
  s["description"] = plan.description;
  s["base_operation"] = plan.base_operation;
  s["primary_metric"] = plan.targets.primary_metric;
  s["direction"] = plan.targets.maximize ? "maximize" : "minimize";
  s["secondary_metrics"] = plan.targets.secondary_metrics;
  ojson constraints = ojson::array();
  for (const auto& c : plan.constraints) {
    constraints.push_back({{"key", c.key},
                           {"metric", c.metric},
                           {"min", c.min ? ojson(*c.min) : ojson()},
                           {"max", c.max ? ojson(*c.max) : ojson()},
                           {"absolute", c.absolute}});
  }
  s["constraints"] = std::move(constraints);
  ojson dims = ojson::array();
  for (const auto& d : plan.dimensions)
    dims.push_back({{"name", d.name}, {"size", d.size()}, {"columns", d.columns}});
  s["dimensions"] = std::move(dims);
  s["jobs"] = space.budget();
  ojson variants = ojson::array();
  for (const auto& v : plan.variants)
    variants.push_back({{"name", v.name}, {"description", v.description}});
  s["variants"] = std::move(variants);
  s["comparison_metrics"] = plan.comparison.metrics;
  // The fold schedule with the data range it was cut from: resume and `s1mple results` cut the
  // same folds from it (producer/validation.h).
  if (const FoldSchedule* folds = space.schedule()) {
    s["configurations"] = space.configurations();
    s["validation"] = folds->ToJson();
  }
  // The rungs of a halving search with the data range they were cut from (producer/halving.h).
  if (const HalvingLadder* rungs = space.ladder()) s["halving"] = rungs->ToJson();
  return s;
}

std::string PlanSummaryText(const JobSpace& space) {
  return PlanSummary(space).dump();
}

}  // namespace s1mple::producer
