#include "producer/reproduce.h"

#include <algorithm>
#include <memory>

#include "producer/expansion.h"
#include "producer/plan_loader.h"
#include "producer/sweep_request.h"
#include "producer/validation.h"

namespace s1mple::producer {
namespace {

Result<uint64_t> ParseIndex(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 19) {
    return Status::InvalidArgument(what + ": '" + text + "' is not a job index");
  }
  return std::stoull(text);
}

std::string Days(engine::DayNumber from, engine::DayNumber to) {
  return engine::FormatIsoDate(from) + " .. " + engine::FormatIsoDate(to - 1) + " (" +
         std::to_string(to - from) + " days)";
}

// The job's `period` override ("start .. end"), for a stored sweep whose folds cannot be cut.
std::string PeriodOf(const nlohmann::json& overrides) {
  if (!overrides.is_object() || !overrides.contains("period")) return "";
  const auto& p = overrides["period"];
  if (!p.is_object() || !p.value("start", nlohmann::json()).is_string() ||
      !p.value("end", nlohmann::json()).is_string())
    return "";
  return p["start"].get<std::string>() + " .. " + p["end"].get<std::string>();
}

// The fold schedule of a stored sweep: its plan's validation cut from the data range its plan
// summary keeps (as `s1mple resume` does). nullptr when either is missing or does not parse.
std::shared_ptr<const FoldSchedule> StoredSchedule(const Plan& plan, const StoredJob& stored) {
  if (plan.validation.mode == ValidationMode::kNone || !stored.plan_summary) return nullptr;
  const auto summary = nlohmann::json::parse(*stored.plan_summary, nullptr, false);
  if (summary.is_discarded() || !summary.contains("validation")) return nullptr;
  auto range = DataRangeFromJson(summary["validation"].value("data_range", nlohmann::json()));
  if (!range.ok()) return nullptr;
  auto cut = MakeSchedule(plan.validation, *range, plan.origin());
  if (!cut.ok()) return nullptr;
  return std::make_shared<const FoldSchedule>(std::move(cut).value());
}

}  // namespace

std::string DescribeSegment(const JobSpace& space, uint64_t index) {
  const FoldSchedule* folds = space.schedule();
  if (!folds || index >= space.size()) return "";
  const Segment& seg = folds->segments[space.SegmentOf(index)];
  std::string line = "configuration " + std::to_string(space.ConfigOf(index)) + " of " +
                     std::to_string(space.configurations()) + ", ";
  if (folds->mode == ValidationMode::kCpcv) {
    size_t tested = 0;
    for (const auto& split : folds->splits)
      tested += std::binary_search(split.test_groups.begin(), split.test_groups.end(), seg.fold);
    return line + "cpcv group " + std::to_string(seg.fold) + " of " +
           std::to_string(folds->segments.size()) + ": " + Days(seg.start_day, seg.end_day) +
           "; tested in " + std::to_string(tested) + " of " + std::to_string(folds->splits.size()) +
           " splits, a train group in the other " + std::to_string(folds->splits.size() - tested);
  }
  line += std::string(ValidationModeName(folds->mode)) + " fold " + std::to_string(seg.fold) +
          " of " + std::to_string(folds->folds.size()) + " " +
          (seg.kind == SegmentKind::kInSample ? "in-sample" : "out-of-sample") +
          " segment: " + Days(seg.start_day, seg.end_day);
  return line;
}

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
  job.segment = DescribeSegment(*sweep->space, index);
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
      auto schedule = StoredSchedule(*plan, stored);
      const bool folds = plan->validation.mode != ValidationMode::kNone;
      auto space = JobSpace::Make(std::make_shared<const Plan>(*plan), schedule);
      if (space.ok() && stored.ref.index < space->size()) {
        job.description = space->Describe(stored.ref.index);
        job.segment = DescribeSegment(*space, stored.ref.index);
      } else if (folds && !schedule) {
        // Without the data range the folds cannot be cut; the job's own period still says which
        // days it trades.
        const std::string period = PeriodOf(job.overrides);
        job.segment =
            "a validation fold segment (the sweep keeps no data range to cut the folds "
            "from)" +
            (period.empty() ? std::string() : "; its period: " + period);
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
