#include "producer/reproduce.h"

#include <memory>

#include "producer/expansion.h"
#include "producer/plan_loader.h"
#include "producer/sweep_request.h"

namespace s1mple::producer {
namespace {

Result<uint64_t> ParseIndex(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 19) {
    return Status::InvalidArgument(what + ": '" + text + "' is not a job index");
  }
  return std::stoull(text);
}

}  // namespace

Result<ReproducibleJob> JobFromPlan(const std::filesystem::path& plan_path, uint64_t index) {
  const std::string plan_file = plan_path.string();
  PrepareOptions options;
  options.max_jobs = UINT64_MAX;  // one job of a huge plan is fine to export
  auto sweep = PrepareSweep(plan_file, PlanKind::kOptimization, options);
  if (!sweep.ok() && sweep.status().message().find("is a variant plan") != std::string::npos) {
    sweep = PrepareSweep(plan_file, PlanKind::kVariant, options);
  }
  if (!sweep.ok()) return sweep.status();
  if (index >= sweep->job_count()) {
    return Status::InvalidArgument(plan_file + ": --index " + std::to_string(index) +
                                   " is outside the plan's " + std::to_string(sweep->job_count()) +
                                   " jobs");
  }
  ReproducibleJob job;
  job.name = plan_file + "#" + std::to_string(index);
  job.description = sweep->space->Describe(index);
  job.overrides = sweep->space->Overrides(index);
  job.base = sweep->base;
  return job;
}

Result<JobRef> ParseJobRef(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    return Status::InvalidArgument("'" + text + "': expected SWEEP/INDEX, e.g. sw-0123/7");
  }
  auto index = ParseIndex(text.substr(slash + 1), text);
  if (!index.ok()) return index.status();
  return JobRef{text.substr(0, slash), *index};
}

Result<ReproducibleJob> JobFromStored(const StoredJob& stored) {
  const std::string name = stored.ref.sweep + "/" + std::to_string(stored.ref.index);
  ReproducibleJob job;
  job.name = name;
  try {
    job.overrides = stored.overrides.empty() ? nlohmann::json::object()
                                             : nlohmann::json::parse(stored.overrides);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(name + ": overrides are not JSON: " + e.what());
  }
  if (stored.plan_text) {
    PlanLoadOptions load;
    load.require_base_operation = false;
    auto plan = ParsePlanText(*stored.plan_text, "sweep " + stored.ref.sweep + " plan", load);
    if (plan.ok()) {
      auto space = JobSpace::Make(std::make_shared<const Plan>(*plan));
      if (space.ok() && stored.ref.index < space->size()) {
        job.description = space->Describe(stored.ref.index);
      }
    }
  }
  auto artifact = [&](const char* role, bool required) -> Result<std::string> {
    auto it = stored.artifacts.find(role);
    if (it != stored.artifacts.end()) return it->second;
    if (!required) return std::string();
    return Status::NotFound("sweep " + stored.ref.sweep + " has no '" + role + "' artifact");
  };
  auto operation = artifact(kRoleOperation, true);
  if (!operation.ok()) return operation.status();
  auto blueprint = artifact(kRoleBlueprint, true);
  if (!blueprint.ok()) return blueprint.status();
  auto operators = artifact(kRoleOperators, false);
  if (!operators.ok()) return operators.status();
  job.base.operation_yaml = *operation;
  job.base.blueprint_yaml = *blueprint;
  job.base.operators_yaml = *operators;
  if (auto it = stored.artifacts.find(kRoleData); it != stored.artifacts.end()) {
    job.data_csv = it->second;
  }
  return job;
}

}  // namespace s1mple::producer
