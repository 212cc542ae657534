// s1mple variant: run a variant test.
// Placeholder until issue #7 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddVariantCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("variant", "Run a variant test: s1mple variant PLAN.yaml");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'variant' arrives with issue #7; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
