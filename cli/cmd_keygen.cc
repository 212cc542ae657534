// s1mple keygen: write a curvezmq key pair.
// Placeholder until issue #6 lands: the subcommand is listed in --help and says so when run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace s1mple::cli {

void AddKeygenCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("keygen", "Write a CurveZMQ key pair");
  sub->allow_extras();
  sub->callback([&ctx] {
    PrintError("'keygen' arrives with issue #6; this build does not have it yet");
    ctx.exit_code = kExitFailure;
  });
}

}  // namespace s1mple::cli
