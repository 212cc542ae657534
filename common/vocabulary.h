// The vocabulary every layer shares: sweep and job states, sweep and job kinds, artifact roles.
// One enum per concept and one spelling per value, used by the store (its messages and logs),
// the wire (STATUS, RESULTS: docs/PROTOCOL.md, version 2), the Trade Explorer's JSON (API.md)
// and the CLI:
//
//   sweep states   submitting active paused cancelled done
//   job states     pending leased done failed
//   sweep kinds    optimization variant diag
//   job kinds      backtest diag
//   artifact roles operation blueprint operators data
//
// Every layer converts through the functions below, never with its own strings. (Protocol
// version 1 spelled the states three ways: SUBMITTING.., open/running/complete, submitting..;
// version 2 has this one table.)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace s1mple {

// A sweep's lifecycle (store/job_store.h): SUBMITTING --seal--> ACTIVE <--> PAUSED; ACTIVE or
// PAUSED --(no job left)--> DONE; any unfinished --cancel--> CANCELLED.
enum class SweepState : std::uint8_t { kSubmitting, kActive, kPaused, kCancelled, kDone };
// A job's lifecycle (DESIGN decision 4).
enum class JobState : std::uint8_t { kPending, kLeased, kDone, kFailed };
// What a sweep is: a plan's kind, or diagnostic jobs (tests, benchmarks).
enum class SweepKind : std::uint8_t { kOptimization, kVariant, kDiag };
// What a runner does with a job (JOB `kind`): diag sweeps have diag jobs, the others backtests.
enum class JobKind : std::uint8_t { kBacktest, kDiag };
// The base artifacts of a sweep, by role (content-addressed; docs/PROTOCOL.md, "Artifacts").
// A sweep's base artifacts; besides these, one "plugin:<file name>" per plugin package its base
// lists (producer/sweep_request.h, engine/plugin_package.h).
enum class ArtifactRole : std::uint8_t { kOperation, kBlueprint, kOperators, kData };

std::string_view Name(
    SweepState state);  // "submitting" | "active" | "paused" | "cancelled" | "done"
std::optional<SweepState> SweepStateFromName(std::string_view name);

std::string_view Name(JobState state);  // "pending" | "leased" | "done" | "failed"
std::optional<JobState> JobStateFromName(std::string_view name);

std::string_view Name(SweepKind kind);  // "optimization" | "variant" | "diag"
std::optional<SweepKind> SweepKindFromName(std::string_view name);
std::string_view Name(JobKind kind);  // "backtest" | "diag"
std::optional<JobKind> JobKindFromName(std::string_view name);
JobKind JobKindOf(SweepKind kind);  // kDiag for diag sweeps, else kBacktest

std::string_view Name(ArtifactRole role);  // "operation" | "blueprint" | "operators" | "data"
std::optional<ArtifactRole> ArtifactRoleFromName(std::string_view name);
inline constexpr ArtifactRole kArtifactRoles[] = {ArtifactRole::kOperation,
                                                  ArtifactRole::kBlueprint,
                                                  ArtifactRole::kOperators, ArtifactRole::kData};

}  // namespace s1mple
