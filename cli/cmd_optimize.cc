// s1mple optimize: run an optimization sweep.
// Placeholder until issue #7 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddOptimizeCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("optimize", "Run an optimization sweep: s1mple optimize PLAN.yaml");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'optimize' arrives with issue #7; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
