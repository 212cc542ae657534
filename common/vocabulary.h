// The vocabulary every layer shares: sweep and job states, sweep and job kinds, artifact roles.
// One enum per concept, and one table per enum that gives its spelling at each layer boundary:
//
//   layer      who                                   sweep states                       job states
//   store      store/ messages, logs, job_store.h    SUBMITTING ACTIVE PAUSED           PENDING
//   LEASED
//                                                    CANCELLED DONE                     DONE FAILED
//   wire       STATUS / RESULTS (docs/PROTOCOL.md)   open running paused cancelled      pending
//   running
//                                                    complete                           done failed
//   api        the Trade Explorer's JSON (API.md),   submitting active paused           pending
//   leased
//              report.html                           cancelled done                     done failed
//
// The wire spellings are the protocol's (older peers depend on them) and never change; the
// store and api ones are the store's lifecycle names. Kinds and roles are spelled the same
// everywhere. Every layer converts through the functions below, never with its own strings.
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

std::string_view StoreName(SweepState state);  // "SUBMITTING", ...
std::string_view WireName(SweepState state);   // "open", "running", ...
std::string_view ApiName(SweepState state);    // "submitting", "active", ...
std::optional<SweepState> SweepStateFromWire(std::string_view name);

std::string_view StoreName(JobState state);  // "PENDING", ...
std::string_view WireName(JobState state);   // "pending", "running", "done", "failed"
std::string_view ApiName(JobState state);    // "pending", "leased", "done", "failed"
std::optional<JobState> JobStateFromWire(std::string_view name);

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
