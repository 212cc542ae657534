// s1mple run: run one backtest.
// Placeholder until issue #3 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddRunCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("run", "Run one backtest: s1mple run OPERATION.yaml");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'run' arrives with issue #3; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
