// s1mple runner: start a runner daemon.
// Placeholder until issue #6 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddRunnerCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("runner", "Start a runner daemon");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'runner' arrives with issue #6; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
