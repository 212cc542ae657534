// A plan made ready to run: loaded, expanded, checked against its base operation, with the
// texts every job starts from. `s1mple optimize` / `s1mple variant` build one (PrepareSweep)
// and hand it, as a SweepRequest, to RunSweepSession (producer/session.h, issue 8), which
// submits the jobs to a broker, collects the outcomes and feeds a SweepAnalyzer.
//
// Contract with the submitter:
//  - job i's overrides are space->Overrides(i), stored as compact JSON text
//    (OverridesBytes(i)); a runner applies them with engine::ApplyOverrides to the sweep's
//    "blueprint" and "operators" artifacts and loads them with the "operation" artifact via
//    engine::ParseOperationTexts.
//  - the sweep's base artifacts use the roles below; "data" only when the base reads a csv file
//    (its bytes; base.data_path names the file); "plugin:<file name>" for each plugin package
//    the base lists (its bytes), so a package's hash is part of the sweep's identity.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "producer/expansion.h"
#include "producer/plan_check.h"
#include "producer/plan_loader.h"

namespace s1mple::producer {

// The artifact roles of common/vocabulary.h (ArtifactRole) as the producer's map keys; a test
// (tests/producer/plan_loader_test.cc) holds them equal to the vocabulary's names.
inline constexpr const char* kRoleOperation = "operation";
inline constexpr const char* kRoleBlueprint = "blueprint";
inline constexpr const char* kRoleOperators = "operators";
inline constexpr const char* kRoleData = "data";
// Each plugin package the base lists: "plugin:<file name>" (its bytes).
inline constexpr const char* kRolePluginPrefix = "plugin:";

inline constexpr uint64_t kDefaultMaxJobs = 100'000;

struct PreparedSweep {
  std::shared_ptr<const Plan> plan;
  std::shared_ptr<const JobSpace> space;
  BaseTexts base;

  uint64_t job_count() const { return space->size(); }
  std::string OverridesBytes(uint64_t index) const { return space->Overrides(index).dump(); }
};

struct PrepareOptions {
  uint64_t max_jobs = kDefaultMaxJobs;  // a plan with more jobs is refused with its count
  PlanLoadOptions load;
  CheckOptions check;
  const engine::PluginRegistry* registry = nullptr;  // nullptr: engine::DefaultRegistry()
};

// Loads `plan_file`, refuses it when its kind is not `expected` (an optimization plan given to
// `s1mple variant`), expands it, refuses it above max_jobs, loads the base operation and runs
// CheckPlan. Every error is InvalidArgument (or NotFound for a missing plan file) naming the
// file and YAML path: the CLI exits 2 on them.
[[nodiscard]] Result<PreparedSweep> PrepareSweep(const std::filesystem::path& plan_file,
                                                 PlanKind expected,
                                                 const PrepareOptions& options = {});

// The --dry-run report: plan, base, dimensions with their sizes, the job count and the first
// `first_n` configurations (with their overrides JSON when show_overrides).
std::string DryRunReport(const PreparedSweep& sweep, uint64_t first_n, bool show_overrides);

// What `s1mple optimize|variant PLAN.yaml` asks the sweep session to do (producer/session.h).
struct SweepRequest {
  PlanKind kind = PlanKind::kOptimization;
  std::filesystem::path plan_path;
  std::shared_ptr<const PreparedSweep> sweep;
  std::filesystem::path out_dir;  // outputs go here (created); empty: runs/<sweep-id>/
  uint64_t max_jobs = kDefaultMaxJobs;
  std::string broker;                           // --broker ADDRESS; empty: embedded broker
  std::filesystem::path store_dir = ".s1mple";  // --store DIR (embedded broker's store)
  int local_runners = 0;  // --runners N (embedded); 0: one per core, capped by max_workers
};

}  // namespace s1mple::producer
