#include "common/vocabulary.h"

#include <array>

namespace s1mple {
namespace {

struct SweepStateNames {
  SweepState state;
  std::string_view store, wire, api;
};
constexpr std::array<SweepStateNames, 5> kSweepStates = {{
    {SweepState::kSubmitting, "SUBMITTING", "open", "submitting"},
    {SweepState::kActive, "ACTIVE", "running", "active"},
    {SweepState::kPaused, "PAUSED", "paused", "paused"},
    {SweepState::kCancelled, "CANCELLED", "cancelled", "cancelled"},
    {SweepState::kDone, "DONE", "complete", "done"},
}};

struct JobStateNames {
  JobState state;
  std::string_view store, wire, api;
};
constexpr std::array<JobStateNames, 4> kJobStates = {{
    {JobState::kPending, "PENDING", "pending", "pending"},
    {JobState::kLeased, "LEASED", "running", "leased"},
    {JobState::kDone, "DONE", "done", "done"},
    {JobState::kFailed, "FAILED", "failed", "failed"},
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
const auto& Row(const Table& table, E value) {
  for (const auto& row : table) {
    if (row.state == value) return row;
  }
  return table[0];  // unreachable for a valid enum value
}

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

std::string_view StoreName(SweepState s) {
  return Row(kSweepStates, s).store;
}
std::string_view WireName(SweepState s) {
  return Row(kSweepStates, s).wire;
}
std::string_view ApiName(SweepState s) {
  return Row(kSweepStates, s).api;
}
std::optional<SweepState> SweepStateFromWire(std::string_view name) {
  for (const auto& row : kSweepStates) {
    if (row.wire == name) return row.state;
  }
  return std::nullopt;
}

std::string_view StoreName(JobState s) {
  return Row(kJobStates, s).store;
}
std::string_view WireName(JobState s) {
  return Row(kJobStates, s).wire;
}
std::string_view ApiName(JobState s) {
  return Row(kJobStates, s).api;
}
std::optional<JobState> JobStateFromWire(std::string_view name) {
  for (const auto& row : kJobStates) {
    if (row.wire == name) return row.state;
  }
  return std::nullopt;
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
