#include "producer/local_run.h"

#include <exception>

namespace s1mple::producer {

namespace {
engine::JobRunnerOptions Options(engine::JsonOptions json, const engine::PluginRegistry* registry) {
  engine::JobRunnerOptions o;
  o.json = json;
  o.run.registry = registry;
  o.read_data_files = true;  // a csv operation reads its file here (a runner gets the bytes)
  return o;
}
}  // namespace

InProcessRunner::InProcessRunner(const PreparedSweep& sweep, engine::JsonOptions json,
                                 const engine::PluginRegistry* registry)
    : sweep_(sweep), jobs_(Options(json, registry)) {}

JobOutcome InProcessRunner::Run(uint64_t index) {
  JobOutcome outcome;
  outcome.index = index;
  const std::string origin = "job " + std::to_string(index);
  try {
    const nlohmann::json overrides = sweep_.space->Overrides(index);
    engine::JobSpec spec;
    spec.origin = origin;
    spec.operation_yaml = sweep_.base.operation_yaml;
    spec.blueprint_yaml = sweep_.base.blueprint_yaml;
    spec.operators_yaml = sweep_.base.operators_yaml;
    spec.overrides = &overrides;
    // The base's packages, by file name, as a runner finds its verified copies.
    engine::PackageFiles packages;
    for (const auto& ref : sweep_.base.packages) packages.emplace_back(ref.name, ref.path);
    if (!packages.empty()) spec.packages = &packages;
    engine::JobResult r = jobs_.Run(spec);
    outcome.ok = r.ok();
    if (r.ok())
      outcome.result = std::move(r.result);
    else
      outcome.failure_reason = r.FailureReason();
  } catch (const std::exception& e) {  // the job space's overrides
    outcome.ok = false;
    outcome.failure_reason = origin + ": " + e.what();
  }
  return outcome;
}

}  // namespace s1mple::producer
