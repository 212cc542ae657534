// s1mple job: show or export one job of a sweep (DESIGN decision 3: every job can be
// reproduced alone).
//
//   s1mple job SWEEP/INDEX [--store DIR] [--export DIR]   a job of a stored sweep
//   s1mple job --plan PLAN.yaml --index N [--export DIR]  a job straight from a plan
//
// Without --export it prints the job's varied parameters, for a plan with validation folds which
// configuration and fold segment (or CPCV group) it is and that segment's days, and overrides. With
// --export it writes the seed's stripped operation.yaml (one strategy link, pointing at
// strategy_blueprint.yaml and operators.yaml beside it), those two files and overrides.json;
// `s1mple run DIR/operation.yaml` then runs exactly that job.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "producer/plan_check.h"
#include "producer/reproduce.h"
#include "store/job_store.h"

namespace s1mple::cli {
namespace {

struct JobArgs {
  std::string job;  // SWEEP/INDEX
  std::string plan;
  std::optional<uint64_t> index;
  std::string store = ".s1mple";
  std::string export_dir;
};

// Reads what the store holds of the job (read-only: a running broker may hold the store).
Result<producer::ReproducibleJob> FromStore(const JobArgs& args) {
  auto ref = producer::ParseJobRef(args.job);
  if (!ref.ok()) return ref.status();
  store::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  auto db = store::JobStore::Open(args.store, options);
  if (!db.ok()) return db.status().WithContext("store " + args.store);
  auto sweep = (*db)->GetSweep(ref->sweep);
  if (!sweep.ok()) return sweep.status();
  auto info = (*db)->GetJob(ref->sweep, ref->index);
  if (!info.ok()) return info.status();
  producer::StoredJob stored{*ref, info->overrides, std::nullopt, std::nullopt, {}};
  if (auto plan = (*db)->GetPlan(ref->sweep); plan.ok()) stored.plan_text = *plan;
  if (auto summary = (*db)->GetPlanSummary(ref->sweep); summary.ok() && !summary->empty())
    stored.plan_summary = *summary;
  for (const auto& [role, hash] : sweep->base_artifacts) {
    auto bytes = (*db)->GetArtifact(hash);
    if (!bytes.ok()) return bytes.status().WithContext("sweep " + ref->sweep + " '" + role + "'");
    stored.artifacts[role] = std::move(*bytes);
  }
  return producer::JobFromStored(stored);
}

int RunJobCommand(const JobArgs& args) {
  if (args.job.empty() == args.plan.empty()) {
    PrintError("give either SWEEP/INDEX or --plan PLAN.yaml --index N");
    return kExitUsage;
  }
  if (!args.plan.empty() && !args.index) {
    PrintError("--plan needs --index N");
    return kExitUsage;
  }
  auto job = args.plan.empty() ? FromStore(args) : producer::JobFromPlan(args.plan, *args.index);
  if (!job.ok()) {
    PrintError(job.status().message());
    return job.status().IsInvalidArgument() || job.status().IsNotFound() ? kExitUsage
                                                                         : kExitFailure;
  }
  if (args.export_dir.empty()) {
    std::cout << "job: " << job->name << "\n";
    if (!job->description.empty()) std::cout << "configuration: " << job->description << "\n";
    if (!job->segment.empty()) std::cout << "validation: " << job->segment << "\n";
    std::cout << "overrides: " << job->overrides.dump() << "\n";
    return kExitOk;
  }
  Status st = producer::ExportJob(job->base, job->overrides, args.export_dir, job->data_csv);
  if (!st.ok()) {
    PrintError(job->name + ": " + st.message());
    return st.IsIOError() ? kExitFailure : kExitUsage;
  }
  std::cout << "exported " << job->name << " to " << args.export_dir << "\n"
            << "run it: s1mple run " << args.export_dir << "/" << producer::kExportedOperationName
            << "\n";
  return kExitOk;
}

}  // namespace

void AddJobCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<JobArgs>();
  auto* sub =
      app.add_subcommand("job", "Show or export one job: s1mple job SWEEP/INDEX --export DIR");
  sub->add_option("job", args->job, "SWEEP/INDEX of a stored sweep, e.g. sw-0123456789ab/7");
  sub->add_option("--plan", args->plan, "take the job from this plan instead of the store");
  sub->add_option("--index", args->index, "with --plan: the job index");
  sub->add_option("--store", args->store, "job store directory")->capture_default_str();
  sub->add_option("--export", args->export_dir,
                  "write operation.yaml, strategy_blueprint.yaml, operators.yaml here");
  sub->callback([args, &ctx] { ctx.exit_code = RunJobCommand(*args); });
}

}  // namespace s1mple::cli
