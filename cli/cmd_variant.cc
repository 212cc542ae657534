// s1mple variant PLAN.yaml: a head-to-head variant test (seed 9.3, the VariantTestService).
// Same options and flow as `optimize` (cli/cmd_optimize.cc), for variant_config plans.
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "producer/plan.h"

namespace s1mple::cli {

// Defined in cmd_optimize.cc.
void AddPlanSubcommand(CLI::App& app, CliContext& ctx, producer::PlanKind kind,
                       const std::string& name, const std::string& description);

void AddVariantCommand(CLI::App& app, CliContext& ctx) {
  AddPlanSubcommand(app, ctx, producer::PlanKind::kVariant, "variant",
                    "Run a variant comparison: s1mple variant PLAN.yaml [--dry-run]");
}

}  // namespace s1mple::cli
