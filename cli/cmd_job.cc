// s1mple job: inspect or export one job.
// Placeholder until issue #7 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddJobCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("job", "Inspect or export one job: s1mple job SWEEP/INDEX --export DIR");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'job' arrives with issue #7; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
