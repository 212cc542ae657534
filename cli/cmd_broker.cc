// s1mple broker: start the broker daemon.
// Placeholder until issue #6 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddBrokerCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("broker", "Start the broker daemon");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'broker' arrives with issue #6; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
