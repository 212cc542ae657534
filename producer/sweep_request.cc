#include "producer/sweep_request.h"

#include <sstream>

#include "producer/halving.h"

namespace s1mple::producer {

namespace fs = std::filesystem;

Result<PreparedSweep> PrepareSweep(const fs::path& plan_file, PlanKind expected,
                                   const PrepareOptions& options) {
  const engine::PluginRegistry& registry =
      options.registry ? *options.registry : engine::DefaultRegistry();
  auto plan = LoadPlanFile(plan_file, options.load);
  if (!plan.ok()) return plan.status();
  if (plan->kind != expected) {
    return Status::InvalidArgument(
        plan_file.string() + ": is a " + PlanKindName(plan->kind) + " plan (" +
        PlanKindName(plan->kind) + "_config); use `s1mple " +
        (plan->kind == PlanKind::kOptimization ? "optimize" : "variant") + "` for it");
  }
  PreparedSweep sweep;
  sweep.plan = std::make_shared<const Plan>(std::move(plan).value());
  // Validation folds are cut from the base's data range, so the base loads first then.
  // So are the rungs of a halving search (producer/halving.h).
  const bool folds = sweep.plan->validation.mode != ValidationMode::kNone;
  const bool halving = sweep.plan->search.method == SearchMethod::kHalving;
  std::shared_ptr<const FoldSchedule> schedule;
  std::shared_ptr<const HalvingLadder> ladder;
  if (folds || halving) {
    auto base = LoadBase(*sweep.plan, registry);
    if (!base.ok()) return base.status();
    sweep.base = std::move(base).value();
    auto range = BaseDataRange(sweep.base, sweep.base.registry ? *sweep.base.registry : registry);
    if (!range.ok())
      return Status::InvalidArgument(
          plan_file.string() + ": " +
          (folds ? sweep.plan->validation.yaml_path : sweep.plan->search.yaml_path) +
          ": the data range: " + range.status().message());
    if (folds) {
      auto cut = MakeSchedule(sweep.plan->validation, *range, plan_file.string());
      if (!cut.ok()) return cut.status();
      schedule = std::make_shared<const FoldSchedule>(std::move(cut).value());
    }
    if (halving) {
      auto rungs = MakeHalvingLadder(sweep.plan->search, *range, plan_file.string());
      if (!rungs.ok()) return rungs.status();
      ladder = std::make_shared<const HalvingLadder>(std::move(rungs).value());
    }
  }
  auto space = JobSpace::Make(sweep.plan, schedule, ladder);
  if (!space.ok()) return space.status();
  sweep.space = std::make_shared<const JobSpace>(std::move(space).value());
  if (sweep.space->budget() > options.max_jobs) {
    return Status::InvalidArgument(
        plan_file.string() + ": the plan has " + std::to_string(sweep.space->budget()) + " jobs" +
        (folds ? " (" + std::to_string(sweep.space->configurations()) + " configurations x " +
                     std::to_string(sweep.space->segments()) + " fold segments)"
               : std::string()) +
        ", more than the limit of " + std::to_string(options.max_jobs) +
        " (raise it with --max-jobs, or narrow the ranges)");
  }
  if (!folds && !halving) {
    auto base = LoadBase(*sweep.plan, registry);
    if (!base.ok()) return base.status();
    sweep.base = std::move(base).value();
  }
  // A base that lists plugin packages is checked against the built-ins plus their plugins.
  S1MPLE_RETURN_IF_ERROR(CheckPlan(*sweep.space, sweep.base,
                                   sweep.base.registry ? *sweep.base.registry : registry,
                                   options.check));
  return sweep;
}

std::string DryRunReport(const PreparedSweep& sweep, uint64_t first_n, bool show_overrides) {
  const Plan& plan = *sweep.plan;
  const JobSpace& space = *sweep.space;
  std::ostringstream out;
  out << "plan: " << plan.file.string() << " (" << PlanKindName(plan.kind) << " \"" << plan.name
      << "\")\n";
  out << "base operation: " << plan.base_operation << " (strategy link '" << sweep.base.link_name
      << "')\n";
  out << "dimensions:";
  if (plan.dimensions.empty()) out << " none (the base configuration once)";
  out << "\n";
  for (const auto& dim : plan.dimensions) {
    out << "  " << dim.name << ": " << dim.size() << (dim.size() == 1 ? " value" : " values")
        << "  (" << dim.yaml_path << ")\n";
  }
  if (const HalvingLadder* rungs = space.ladder()) {
    out << "search: halving, budget " << plan.search.budget << ", seed " << plan.search.seed
        << ", eta " << plan.search.eta << ": at most " << space.budget() << " jobs over the grid's "
        << space.grid_size() << " points  (" << plan.search.yaml_path << ")\n";
    for (size_t r = 0; r < rungs->fidelities.size(); ++r) {
      out << "  rung " << r << ": fidelity " << rungs->fidelities[r] << ", "
          << (rungs->periods[r].is_null()
                  ? std::string("the whole data")
                  : rungs->periods[r].value("start", std::string()) + " .. " +
                        rungs->periods[r].value("end", std::string()))
          << "\n";
    }
  } else if (space.adaptive()) {
    out << "search: tpe, budget " << plan.search.budget << ", seed " << plan.search.seed << ", "
        << plan.search.in_flight << " in flight: trials proposed from the results as they "
        << "arrive, of the grid's " << space.grid_size() << " points  (" << plan.search.yaml_path
        << ")\n";
  } else if (plan.search.method != SearchMethod::kGrid) {
    out << "search: " << SearchMethodName(plan.search.method) << ", budget " << plan.search.budget
        << ", seed " << plan.search.seed << ": " << space.size() << " of the grid's "
        << space.grid_size() << " points  (" << plan.search.yaml_path << ")\n";
  }
  if (const FoldSchedule* folds = space.schedule()) {
    out << "validation: " << ValidationModeName(folds->mode) << ", "
        << (folds->mode == ValidationMode::kCpcv
                ? std::to_string(folds->segments.size()) + " groups, " +
                      std::to_string(folds->splits.size()) + " splits"
                : std::to_string(folds->folds.size()) + " folds")
        << ": " << space.configurations() << " configurations x " << space.segments()
        << " segments  (" << plan.validation.yaml_path << ")\n";
    for (const auto& f : folds->folds) {
      out << "  fold " << f.index << ": in-sample " << engine::FormatIsoDate(f.is_start) << " .. "
          << engine::FormatIsoDate(f.is_end - 1) << ", out-of-sample "
          << engine::FormatIsoDate(f.oos_start) << " .. " << engine::FormatIsoDate(f.oos_end - 1)
          << "\n";
    }
  }
  out << "jobs: " << space.budget() << "\n";
  const uint64_t shown = std::min<uint64_t>(first_n, space.size());
  if (shown > 0) {
    out << (shown == space.size() ? "configurations:\n"
                                  : "first " + std::to_string(shown) + " configurations:\n");
  }
  for (uint64_t i = 0; i < shown; ++i) {
    out << "  #" << i << "  " << space.Describe(i) << "\n";
    if (show_overrides) out << "      overrides: " << space.Overrides(i).dump() << "\n";
  }
  out << "nothing submitted (--dry-run)\n";
  return out.str();
}

}  // namespace s1mple::producer
