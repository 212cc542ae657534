// JobStore: construction and the small pieces that belong to no phase (names of enums).
#include "store/job_store.h"

#include "store/store_impl.h"

namespace s1mple::store {

JobStore::JobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobStore::~JobStore() = default;

const std::string& JobStore::dir() const {
  return impl_->dir_;
}

Status JobStore::WriteStatus() const {
  return impl_->CheckWritable();
}

std::string_view ToString(SweepKind kind) {
  switch (kind) {
    case SweepKind::kOptimization:
      return "optimization";
    case SweepKind::kVariant:
      return "variant";
    case SweepKind::kDiag:
      return "diag";
  }
  return "unknown";
}

std::optional<SweepKind> ParseSweepKind(std::string_view text) {
  for (SweepKind k : {SweepKind::kOptimization, SweepKind::kVariant, SweepKind::kDiag}) {
    if (ToString(k) == text) return k;
  }
  return std::nullopt;
}

std::string_view ToString(SweepState state) {
  switch (state) {
    case SweepState::kSubmitting:
      return "SUBMITTING";
    case SweepState::kActive:
      return "ACTIVE";
    case SweepState::kPaused:
      return "PAUSED";
    case SweepState::kCancelled:
      return "CANCELLED";
    case SweepState::kDone:
      return "DONE";
  }
  return "UNKNOWN";
}

std::string_view ToString(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "PENDING";
    case JobState::kLeased:
      return "LEASED";
    case JobState::kDone:
      return "DONE";
    case JobState::kFailed:
      return "FAILED";
  }
  return "UNKNOWN";
}

std::string_view ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kDone:
      return "done";
    case Outcome::kDoneLate:
      return "done-late";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kRetry:
      return "retry";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kStale:
      return "stale";
    case Outcome::kRejected:
      return "rejected";
  }
  return "unknown";
}

}  // namespace s1mple::store
