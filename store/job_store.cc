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
