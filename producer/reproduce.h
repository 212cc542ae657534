// Job reproduction (DESIGN decision 3: every job can be reproduced alone): one job of a stored
// sweep (as the CLI read it from a store) or of a plan, resolved to its overrides and the base
// texts it runs on, so that ExportJob (producer/plan_check.h) can write it as a stand-alone
// operation that `s1mple run` runs exactly as a runner did. Used by `s1mple job`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "producer/expansion.h"
#include "producer/plan_check.h"

namespace s1mple::producer {

// One job, wherever it came from: what to print and what to export.
struct ReproducibleJob {
  std::string name;         // "sw-0123/7" or "plan.yaml#7"
  std::string description;  // its varied parameters ("fast_period=5, ..."); may be empty
  // A job of a plan with validation folds: which configuration it runs on which fold segment
  // (or CPCV group) and that segment's days, e.g. "configuration 5 of 24, fold 2 out-of-sample
  // segment: 2020-07-01 .. 2020-09-29 (91 days)" (DescribeSegment). Empty without folds.
  std::string segment;
  nlohmann::json overrides;
  BaseTexts base;
  std::optional<std::string> data_csv;  // the sweep's data artifact, when it has one
};

// Job `index` of the plan at `plan_path` (optimization or variant). InvalidArgument for a plan
// that does not load or an index outside it.
[[nodiscard]] Result<ReproducibleJob> JobFromPlan(const std::filesystem::path& plan_path,
                                                  uint64_t index);

// "SWEEP/INDEX" (e.g. "sw-0123456789ab/7"); InvalidArgument naming the text otherwise.
struct JobRef {
  std::string sweep;
  uint64_t index = 0;
};
[[nodiscard]] Result<JobRef> ParseJobRef(const std::string& text);

// What a store holds of one job of a sweep (the CLI reads it: the producer links no store).
struct StoredJob {
  JobRef ref;
  std::string overrides;                 // the job's overrides JSON text ("" = none)
  std::optional<std::string> plan_text;  // the sweep's plan, when stored
  // The sweep's plan summary (JSON text), when stored: its validation.data_range cuts the folds.
  std::optional<std::string> plan_summary;
  // The sweep's base artifacts by role (producer/sweep_request.h: kRoleOperation, ...).
  std::map<std::string, std::string> artifacts;
};

// What job `index` of a space with validation folds is (ReproducibleJob::segment): its
// configuration and segment, the segment's days, and for CPCV in how many splits the group is
// tested and trained on. Empty when the space has no folds.
std::string DescribeSegment(const JobSpace& space, uint64_t index);

// The job as `s1mple run` reproduces it. NotFound for a missing operation or blueprint
// artifact, Corruption for overrides that are not JSON.
[[nodiscard]] Result<ReproducibleJob> JobFromStored(const StoredJob& stored);

}  // namespace s1mple::producer
