// Test helper: the plan summary the producer would store for a plan text (producer/
// plan_summary.h over producer/plan_loader), for sweeps the explorer tests create in a store
// directly. The tests' plans are fragments: a missing base_operation (not read: the explorer
// never loads the base) and, for an optimization plan, a missing parameter_space (one
// placeholder dimension) are filled in first. The stored plan text stays the fragment.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "producer/expansion.h"
#include "producer/plan_loader.h"
#include "producer/plan_summary.h"

namespace s1mple::explorer::testing {

inline std::string CompletePlanText(const std::string& text) {
  const bool variant = text.rfind("variant_config:", 0) == 0;
  const std::string head = variant ? "variant_config:\n" : "optimization_config:\n";
  if (text.rfind(head, 0) != 0) return text;
  std::string extra;
  if (text.find("\n  name:") == std::string::npos) extra += "  name: \"plan\"\n";
  if (text.find("\n  base_operation:") == std::string::npos) {
    extra += "  base_operation: \"config/operations/placeholder.yaml\"\n";
  }
  if (!variant && text.find("\n  parameter_space:") == std::string::npos) {
    extra += R"(  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "placeholder"
      parameters:
        placeholder: {values: [1]}
)";
  }
  return head + extra + text.substr(head.size());
}

inline std::string SummaryOfPlanText(const std::string& text) {
  producer::PlanLoadOptions load;
  load.require_base_operation = false;
  auto plan = producer::ParsePlanText(CompletePlanText(text), "plan.yaml", load);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString() << "\n" << text;
  if (!plan.ok()) return {};
  auto space = producer::JobSpace::Make(std::make_shared<const producer::Plan>(*plan));
  EXPECT_TRUE(space.ok()) << space.status().ToString();
  if (!space.ok()) return {};
  return producer::PlanSummaryText(*space);
}

}  // namespace s1mple::explorer::testing
