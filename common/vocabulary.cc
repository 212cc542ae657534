#include "common/vocabulary.h"

#include <array>

namespace s1mple {
namespace {

constexpr std::array<std::pair<SweepState, std::string_view>, 5> kSweepStates = {{
    {SweepState::kSubmitting, "submitting"},
    {SweepState::kActive, "active"},
    {SweepState::kPaused, "paused"},
    {SweepState::kCancelled, "cancelled"},
    {SweepState::kDone, "done"},
}};
constexpr std::array<std::pair<JobState, std::string_view>, 4> kJobStates = {{
    {JobState::kPending, "pending"},
    {JobState::kLeased, "leased"},
    {JobState::kDone, "done"},
    {JobState::kFailed, "failed"},
}};

constexpr std::array<std::pair<SweepKind, std::string_view>, 3> kSweepKinds = {{
    {SweepKind::kOptimization, "optimization"},
    {SweepKind::kVariant, "variant"},
    {SweepKind::kDiag, "diag"},
}};
constexpr std::array<std::pair<JobKind, std::string_view>, 2> kJobKinds = {{
    {JobKind::kBacktest, "backtest"},
    {JobKind::kDiag, "diag"},
}};
constexpr std::array<std::pair<ArtifactRole, std::string_view>, 4> kRoles = {{
    {ArtifactRole::kOperation, "operation"},
    {ArtifactRole::kBlueprint, "blueprint"},
    {ArtifactRole::kOperators, "operators"},
    {ArtifactRole::kData, "data"},
}};

template <typename Table, typename E>
std::string_view PairName(const Table& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, typename Table>
std::optional<E> PairFrom(const Table& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view Name(SweepState state) {
  return PairName(kSweepStates, state);
}
std::optional<SweepState> SweepStateFromName(std::string_view name) {
  return PairFrom<SweepState>(kSweepStates, name);
}
std::string_view Name(JobState state) {
  return PairName(kJobStates, state);
}
std::optional<JobState> JobStateFromName(std::string_view name) {
  return PairFrom<JobState>(kJobStates, name);
}

std::string_view Name(SweepKind kind) {
  return PairName(kSweepKinds, kind);
}
std::optional<SweepKind> SweepKindFromName(std::string_view name) {
  return PairFrom<SweepKind>(kSweepKinds, name);
}
std::string_view Name(JobKind kind) {
  return PairName(kJobKinds, kind);
}
std::optional<JobKind> JobKindFromName(std::string_view name) {
  return PairFrom<JobKind>(kJobKinds, name);
}
JobKind JobKindOf(SweepKind kind) {
  return kind == SweepKind::kDiag ? JobKind::kDiag : JobKind::kBacktest;
}

std::string_view Name(ArtifactRole role) {
  return PairName(kRoles, role);
}
std::optional<ArtifactRole> ArtifactRoleFromName(std::string_view name) {
  return PairFrom<ArtifactRole>(kRoles, name);
}

}  // namespace s1mple
