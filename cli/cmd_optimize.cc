// s1mple optimize PLAN.yaml: an optimization sweep (seed 9.2, the OptimizationService).
//
// Loads, expands and checks the plan (producer::PrepareSweep); --dry-run prints the job count
// and the first configurations and submits nothing. The run itself is the sweep session
// (producer/session.h): this file hands it a producer::SweepRequest.
// AddPlanSubcommand is shared with cmd_variant.cc (same options, other plan kind).
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/sweep_sites.h"
#include "producer/session.h"
#include "producer/sweep_request.h"

namespace s1mple::cli {

namespace {

// Command-line values of `optimize` / `variant`; lives as long as the app.
struct PlanCommandArgs {
  std::string plan;
  bool dry_run = false;
  uint64_t max_jobs = producer::kDefaultMaxJobs;
  std::string out;
  uint64_t first = 10;
  bool show_overrides = false;
  std::string broker;
  std::string store = ".s1mple";
  int runners = 0;
  producer::SessionOptions session;  // --key, --server-key, --detach, --http, ...
};

int RunPlanCommand(const PlanCommandArgs& args, producer::PlanKind kind, CliContext& ctx) {
  producer::PrepareOptions options;
  options.max_jobs = args.max_jobs;
  auto sweep = producer::PrepareSweep(args.plan, kind, options);
  if (!sweep.ok()) {
    PrintError(sweep.status().message());
    return sweep.status().IsNotFound() || sweep.status().IsInvalidArgument() ? kExitUsage
                                                                             : kExitFailure;
  }
  if (args.dry_run) {
    std::cout << producer::DryRunReport(sweep.value(), args.first, args.show_overrides);
    return kExitOk;
  }
  producer::SweepRequest request;
  request.kind = kind;
  request.plan_path = args.plan;
  request.sweep = std::make_shared<const producer::PreparedSweep>(std::move(sweep).value());
  request.out_dir = args.out;  // empty: the session writes to runs/<sweep-id>/
  request.max_jobs = args.max_jobs;
  request.broker = args.broker;
  request.store_dir = args.store;
  request.local_runners = args.runners;
  return ExitCodeOf(producer::RunSweepSession(request, WithCliWiring(args.session, ctx)));
}

}  // namespace

// Registers `name` (optimize or variant) for plans of `kind`.
void AddPlanSubcommand(CLI::App& app, CliContext& ctx, producer::PlanKind kind,
                       const std::string& name, const std::string& description) {
  auto args = std::make_shared<PlanCommandArgs>();
  auto* sub = app.add_subcommand(name, description);
  sub->add_option("plan", args->plan,
                  kind == producer::PlanKind::kOptimization ? "optimization.yaml" : "variant.yaml")
      ->required();
  sub->add_flag("--dry-run", args->dry_run,
                "check and expand the plan, print the job count and the first configurations, "
                "submit nothing");
  sub->add_option("--max-jobs", args->max_jobs, "refuse plans with more jobs than this")
      ->capture_default_str();
  sub->add_option("--out", args->out, "output directory (default runs/<sweep-id>)");
  sub->add_option("--first", args->first, "configurations shown by --dry-run")
      ->capture_default_str();
  sub->add_flag("--show-overrides", args->show_overrides,
                "with --dry-run: print each shown job's overrides document");
  sub->add_option("--broker", args->broker,
                  "broker address (tcp://host:port); default: an embedded broker");
  sub->add_option("--store", args->store, "job store directory of the embedded broker")
      ->capture_default_str();
  sub->add_option("--runners", args->runners,
                  "local runner slots of the embedded broker (0: one per core, at most the plan's "
                  "max_workers)")
      ->capture_default_str();
  AddSessionFlags(sub, args->session, /*with_detach=*/true);
  sub->callback([args, kind, &ctx] { ctx.exit_code = RunPlanCommand(*args, kind, ctx); });
}

void AddOptimizeCommand(CLI::App& app, CliContext& ctx) {
  AddPlanSubcommand(app, ctx, producer::PlanKind::kOptimization, "optimize",
                    "Run an optimization sweep: s1mple optimize PLAN.yaml [--dry-run]");
}

}  // namespace s1mple::cli
