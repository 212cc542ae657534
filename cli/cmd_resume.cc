// s1mple resume SWEEP: continue an interrupted sweep, local (--store) or remote (--broker).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/sweep_sites.h"
#include "producer/session.h"

namespace s1mple::cli {

namespace {
struct ResumeArgs {
  std::string sweep;
  std::string broker;
  std::string store = ".s1mple";
  std::string out;
  std::string plan;
  int runners = 0;
  producer::SessionOptions flags;
};
}  // namespace

void AddResumeCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ResumeArgs>();
  auto* sub = app.add_subcommand(
      "resume", "Continue an interrupted sweep: s1mple resume SWEEP [--store DIR | --broker EP]");
  sub->add_option("sweep", args->sweep, "sweep id (sw-...)")->required();
  auto* store = sub->add_option("--store", args->store, "local job store (embedded broker)")
                    ->capture_default_str();
  sub->add_option("--broker", args->broker, "a remote broker, tcp://HOST:PORT")->excludes(store);
  sub->add_option("--out", args->out, "output directory (default runs/<sweep-id>)");
  sub->add_option("--plan", args->plan,
                  "the plan file (default: the plan the sweep was submitted with)");
  sub->add_option("--runners", args->runners, "local runner slots (0: one per core)")
      ->capture_default_str();
  AddSessionFlags(sub, args->flags, /*with_detach=*/false);
  sub->callback([args, &ctx] {
    producer::SweepLocation where{args->broker, args->store, args->runners};
    ctx.exit_code = ExitCodeOf(producer::ResumeSweep(args->sweep, where, args->out, args->plan,
                                                     WithCliWiring(args->flags, ctx)));
  });
}

}  // namespace s1mple::cli
