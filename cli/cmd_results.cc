// s1mple results SWEEP --out DIR: write the outputs of any sweep, finished or not.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/sweep_sites.h"
#include "producer/session.h"

namespace s1mple::cli {

namespace {
struct ResultsArgs {
  std::string sweep;
  std::string broker;
  std::string store = ".s1mple";
  std::string out;
  std::string plan;
  producer::SessionOptions flags;
};
}  // namespace

void AddResultsCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ResultsArgs>();
  auto* sub = app.add_subcommand(
      "results", "Write the outputs of a sweep, finished or not: s1mple results SWEEP --out DIR");
  sub->add_option("sweep", args->sweep, "sweep id (sw-...)")->required();
  auto* store = sub->add_option("--store", args->store, "local job store")->capture_default_str();
  sub->add_option("--broker", args->broker, "a remote broker, tcp://HOST:PORT")->excludes(store);
  sub->add_option("--out", args->out, "output directory (default runs/<sweep-id>)");
  sub->add_option("--plan", args->plan,
                  "the plan file (default: the plan the sweep was submitted with)");
  sub->add_option("--key", args->flags.key, "our secret key file for a CurveZMQ broker");
  sub->add_option("--server-key", args->flags.server_key, "the broker's public key");
  sub->callback([args, &ctx] {
    producer::SweepLocation where{args->broker, args->store, 0};
    ctx.exit_code = ExitCodeOf(producer::WriteSweepResults(
        args->sweep, where, args->out, args->plan, WithCliWiring(args->flags, ctx)));
  });
}

}  // namespace s1mple::cli
