// The wiring of the sweep session (producer/session.h) to what the producer does not use: the
// embedded cluster (embedded/) with an optional Trade Explorer over its store, or a remote
// broker (its keys, and report.html through the explorer's client source). The one piece of
// cli/ that is not a subcommand: it only connects libraries.
#pragma once

#include "cli/commands.h"

namespace CLI {
class App;
}
#include "producer/session.h"

namespace s1mple::cli {

// A producer::SiteFactory for this process. `ctx` (borrowed) says whether --log-level was given:
// without it the embedded broker and runner log at warn (their info lines are noise next to
// the progress bar).
producer::SiteFactory MakeSiteFactory(const CliContext& ctx);

// SessionOptions with the CLI's site factory and error line.
producer::SessionOptions WithCliWiring(producer::SessionOptions options, const CliContext& ctx);

// Registers --key, --server-key, --detach and --fresh (when with_detach), --http, --http-public
// and --no-progress on `sub`, writing into `flags` (which must outlive the app).
void AddSessionFlags(CLI::App* sub, producer::SessionOptions& flags, bool with_detach);

// The exit code of a session (cli/commands.h).
int ExitCodeOf(producer::SessionEnd end);

}  // namespace s1mple::cli
