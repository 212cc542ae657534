// s1mple status: show sweeps and runners.
// Placeholder until issue #6 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddStatusCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("status", "Show sweeps and runners");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'status' arrives with issue #6; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
