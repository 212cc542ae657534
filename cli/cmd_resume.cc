// s1mple resume: continue an interrupted sweep.
// Placeholder until issue #8 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddResumeCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("resume", "Continue an interrupted sweep");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'resume' arrives with issue #8; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
