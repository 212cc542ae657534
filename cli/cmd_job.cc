// s1mple job: show or export one job of a sweep (DESIGN decision 3: every job can be
// reproduced alone).
//
//   s1mple job SWEEP/INDEX [--store DIR] [--export DIR]   a job of a stored sweep
//   s1mple job --plan PLAN.yaml --index N [--export DIR]  a job straight from a plan
//
// Without --export it prints the job's varied parameters and overrides. With --export it
// writes the seed's stripped operation.yaml (one strategy link, pointing at
// strategy_blueprint.yaml and operators.yaml beside it), those two files and overrides.json;
// `s1mple run DIR/operation.yaml` then runs exactly that job.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "producer/plan_loader.h"
#include "producer/sweep_request.h"
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

// One job, wherever it came from: what to print and what to export.
struct ResolvedJob {
  std::string name;  // "sw-0123/7" or "plan.yaml#7"
  std::string description;
  nlohmann::json overrides;
  producer::BaseTexts base;
  std::optional<std::string> data_csv;
};

Result<uint64_t> ParseIndex(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 19) {
    return Status::InvalidArgument(what + ": '" + text + "' is not a job index");
  }
  return std::stoull(text);
}

Result<ResolvedJob> FromPlan(const JobArgs& args) {
  producer::PrepareOptions options;
  options.max_jobs = UINT64_MAX;  // one job of a huge plan is fine to export
  auto sweep = producer::PrepareSweep(args.plan, producer::PlanKind::kOptimization, options);
  if (!sweep.ok() && sweep.status().message().find("is a variant plan") != std::string::npos) {
    sweep = producer::PrepareSweep(args.plan, producer::PlanKind::kVariant, options);
  }
  if (!sweep.ok()) return sweep.status();
  const uint64_t index = *args.index;
  if (index >= sweep->job_count()) {
    return Status::InvalidArgument(args.plan + ": --index " + std::to_string(index) +
                                   " is outside the plan's " + std::to_string(sweep->job_count()) +
                                   " jobs");
  }
  ResolvedJob job;
  job.name = args.plan + "#" + std::to_string(index);
  job.description = sweep->space->Describe(index);
  job.overrides = sweep->space->Overrides(index);
  job.base = sweep->base;
  return job;
}

Result<std::string> Artifact(const store::JobStore& db, const store::SweepInfo& sweep,
                             const char* role, bool required) {
  auto it = sweep.base_artifacts.find(role);
  if (it == sweep.base_artifacts.end()) {
    if (!required) return std::string();
    return Status::NotFound("sweep " + sweep.id + " has no '" + role + "' artifact");
  }
  return db.GetArtifact(it->second);
}

Result<ResolvedJob> FromStore(const JobArgs& args) {
  const auto slash = args.job.find('/');
  if (slash == std::string::npos) {
    return Status::InvalidArgument("'" + args.job + "': expected SWEEP/INDEX, e.g. sw-0123/7");
  }
  const std::string sweep_id = args.job.substr(0, slash);
  auto index = ParseIndex(args.job.substr(slash + 1), args.job);
  if (!index.ok()) return index.status();
  store::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  auto db = store::JobStore::Open(args.store, options);
  if (!db.ok()) return db.status().WithContext("store " + args.store);
  auto sweep = (*db)->GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  auto info = (*db)->GetJob(sweep_id, *index);
  if (!info.ok()) return info.status();
  ResolvedJob job;
  job.name = args.job;
  try {
    job.overrides =
        info->overrides.empty() ? nlohmann::json::object() : nlohmann::json::parse(info->overrides);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(args.job + ": overrides are not JSON: " + e.what());
  }
  auto plan_text = (*db)->GetPlan(sweep_id);
  if (plan_text.ok()) {
    producer::PlanLoadOptions load;
    load.require_base_operation = false;
    auto plan = producer::ParsePlanText(*plan_text, "sweep " + sweep_id + " plan", load);
    if (plan.ok()) {
      auto space = producer::JobSpace::Make(std::make_shared<const producer::Plan>(*plan));
      if (space.ok() && *index < space->size()) job.description = space->Describe(*index);
    }
  }
  auto operation = Artifact(**db, *sweep, producer::kRoleOperation, true);
  if (!operation.ok()) return operation.status();
  auto blueprint = Artifact(**db, *sweep, producer::kRoleBlueprint, true);
  if (!blueprint.ok()) return blueprint.status();
  auto operators = Artifact(**db, *sweep, producer::kRoleOperators, false);
  if (!operators.ok()) return operators.status();
  job.base.operation_yaml = *operation;
  job.base.blueprint_yaml = *blueprint;
  job.base.operators_yaml = *operators;
  if (sweep->base_artifacts.count(producer::kRoleData)) {
    auto data = Artifact(**db, *sweep, producer::kRoleData, true);
    if (!data.ok()) return data.status();
    job.data_csv = *data;
  }
  return job;
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
  auto job = args.plan.empty() ? FromStore(args) : FromPlan(args);
  if (!job.ok()) {
    PrintError(job.status().message());
    return job.status().IsInvalidArgument() || job.status().IsNotFound() ? kExitUsage
                                                                         : kExitFailure;
  }
  if (args.export_dir.empty()) {
    std::cout << "job: " << job->name << "\n";
    if (!job->description.empty()) std::cout << "configuration: " << job->description << "\n";
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
