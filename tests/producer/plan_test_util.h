// Helpers for producer tests: load plan text or files without needing the base operation.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "producer/expansion.h"
#include "producer/plan_loader.h"

namespace s1mple::producer::testing {

inline PlanLoadOptions NoBaseNeeded() {
  PlanLoadOptions o;
  o.require_base_operation = false;
  return o;
}

inline Result<Plan> ParseText(const std::string& text, const PlanLoadOptions& o = NoBaseNeeded()) {
  return ParsePlanText(text, "test_plan.yaml", o);
}

inline JobSpace SpaceOf(Result<Plan> plan) {
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  auto space = JobSpace::Make(std::make_shared<const Plan>(std::move(plan).value()));
  EXPECT_TRUE(space.ok()) << space.status().ToString();
  return std::move(space).value();
}

inline JobSpace SpaceOfText(const std::string& text) {
  return SpaceOf(ParseText(text));
}

inline JobSpace SpaceOfFile(const std::string& file) {
  return SpaceOf(LoadPlanFile(file, NoBaseNeeded()));
}

// The error message of a plan that must be refused.
inline std::string ErrorOf(const std::string& text) {
  auto plan = ParseText(text);
  EXPECT_FALSE(plan.ok()) << "plan was accepted:\n" << text;
  return plan.ok() ? std::string() : plan.status().message();
}

}  // namespace s1mple::producer::testing
