// Job transitions: lease, complete, fail, expire, release, extend, reclaim (DESIGN.md decision 4).
// Each public call is one Txn, i.e. one WriteBatch with the sweep counters in it.
#include <algorithm>
#include <set>

#include "store/result_summary.h"
#include "store/store_impl.h"

namespace s1mple::store {

using Impl = JobStore::Impl;
using Txn = JobStore::Impl::Txn;

namespace {

// How an ended lease's attempt is judged.
enum class LeaseEnd : std::uint8_t {
  kDeterministic,  // the job failed for good: FAILED
  kRetryable,      // counted: PENDING again while counted attempts < max_attempts, else FAILED
  kUncounted,      // not the job's fault (a crashed session's orphan, a hand-back, a runner
                   // that never got or started it): PENDING again, attempt not counted
};

// Ends the current lease of a LEASED job without a result (see LeaseEnd). The attempt goes
// into the history either way and keeps its number. Returns kRetry or kFailed.
Outcome EndLease(Txn& txn, const SweepId& sweep, JobIndex index, codec::JobRecord& job,
                 std::string_view reason, LeaseEnd how, UnixMillis now) {
  const Lease lease = *job.lease;
  job.history.push_back(AttemptRecord{lease.attempt, lease.runner, std::string(reason), now});
  job.lease.reset();
  txn.RemoveLease(sweep, index);
  txn.Touch(sweep, index);
  if (how == LeaseEnd::kUncounted) ++job.uncounted_attempts;
  const SweepInfo* info = txn.Sweep(sweep);
  const Attempt max_attempts = info != nullptr ? info->max_attempts : 1;
  if (how == LeaseEnd::kUncounted ||
      (how == LeaseEnd::kRetryable && job.counted_attempts() < max_attempts)) {
    job.state = JobState::kPending;
    txn.AddPending(sweep, index);
    txn.Count(sweep, JobState::kLeased, JobState::kPending);
    return Outcome::kRetry;
  }
  job.state = JobState::kFailed;
  job.failure_reason = how == LeaseEnd::kRetryable
                           ? "gave up after " + std::to_string(job.counted_attempts()) +
                                 " attempts; last: " + std::string(reason)
                           : std::string(reason);
  txn.Count(sweep, JobState::kLeased, JobState::kFailed);
  return Outcome::kFailed;
}

// The job's record if it exists and its current lease is (attempt, runner); nullptr otherwise.
Result<codec::JobRecord*> CurrentLease(Txn& txn, const SweepId& sweep, JobIndex index,
                                       Attempt attempt, const RunnerId* runner) {
  if (!codec::IsValidSweepId(sweep)) return static_cast<codec::JobRecord*>(nullptr);
  Result<codec::JobRecord*> job = txn.Job(sweep, index);
  if (!job.ok() || *job == nullptr) return job;
  codec::JobRecord* j = *job;
  bool current = j->state == JobState::kLeased && j->lease && j->lease->attempt == attempt &&
                 (runner == nullptr || j->lease->runner == *runner);
  return current ? j : nullptr;
}

// True when (attempt, runner) is the job's current lease.
bool IsCurrent(const codec::JobRecord& job, Attempt attempt, const RunnerId& runner) {
  return job.state == JobState::kLeased && job.lease && job.lease->attempt == attempt &&
         job.lease->runner == runner;
}

// True when `runner` held the lease of `attempt` at some point: now, or an attempt that ended
// (the history records the runner of every ended attempt).
bool HeldAttempt(const codec::JobRecord& job, Attempt attempt, const RunnerId& runner) {
  if (IsCurrent(job, attempt, runner)) return true;
  return std::any_of(job.history.begin(), job.history.end(), [&](const AttemptRecord& h) {
    return h.attempt == attempt && h.runner == runner;
  });
}

Result<Outcome> DoCompleteImpl(Txn& txn, const CompleteOp& op, Impl& s) {
  if (!codec::IsValidSweepId(op.sweep)) return Outcome::kRejected;
  Result<codec::JobRecord*> found = txn.Job(op.sweep, op.index);
  if (!found.ok()) return found.status();
  codec::JobRecord* job = *found;
  if (job == nullptr) return Outcome::kRejected;
  if (job->state == JobState::kDone) return Outcome::kDuplicate;
  if (job->state == JobState::kFailed) return Outcome::kRejected;
  // Only a runner that held a lease of this attempt may record its result.
  if (!HeldAttempt(*job, op.attempt, op.runner)) return Outcome::kRejected;
  const SweepInfo* info = txn.Sweep(op.sweep);
  if (info != nullptr && info->state == SweepState::kCancelled) {
    // Cancel is final: nothing is recorded. The holder's lease ends (not counted) so the job
    // no longer shows as running.
    if (IsCurrent(*job, op.attempt, op.runner)) {
      EndLease(txn, op.sweep, op.index, *job, "sweep cancelled: result not recorded",
               LeaseEnd::kUncounted, s.Now());
    }
    return Outcome::kRejected;
  }
  const bool current = IsCurrent(*job, op.attempt, op.runner);
  if (job->state == JobState::kPending) {  // its lease ended; the first result still wins
    txn.RemovePending(op.sweep, op.index);
    txn.Count(op.sweep, JobState::kPending, JobState::kDone);
  } else {  // LEASED, to this attempt or (the late-result rule) to another one
    txn.RemoveLease(op.sweep, op.index);
    txn.Count(op.sweep, JobState::kLeased, JobState::kDone);
  }
  job->state = JobState::kDone;
  job->lease.reset();
  txn.Touch(op.sweep, op.index);
  txn.batch().Put(s.cf(kResults), codec::JobKey(op.sweep, op.index), op.result);
  // Its summary for the runs table, in the same batch (store/result_summary.h).
  if (std::optional<std::string> summary = SummarizeResult(op.result)) {
    txn.batch().Put(s.cf(kResults), codec::SummaryKey(op.sweep, op.index), *summary);
  }
  return current ? Outcome::kDone : Outcome::kDoneLate;
}

Result<Outcome> DoFailImpl(Txn& txn, const FailOp& op, Impl& s) {
  if (!codec::IsValidSweepId(op.sweep)) return Outcome::kRejected;
  Result<codec::JobRecord*> exists = txn.Job(op.sweep, op.index);
  if (!exists.ok()) return exists.status();
  codec::JobRecord* job = *exists;
  if (job == nullptr) return Outcome::kRejected;
  if (job->state == JobState::kDone) return Outcome::kDuplicate;
  if (job->state == JobState::kFailed) return Outcome::kRejected;
  if (!IsCurrent(*job, op.attempt, op.runner)) {
    // An attempt of this runner that already ended (expired, returned): nothing to record.
    return HeldAttempt(*job, op.attempt, op.runner) ? Outcome::kStale : Outcome::kRejected;
  }
  LeaseEnd how = op.handed_back ? LeaseEnd::kUncounted
                 : op.retryable ? LeaseEnd::kRetryable
                                : LeaseEnd::kDeterministic;
  return EndLease(txn, op.sweep, op.index, *job, op.reason, how, s.Now());
}

}  // namespace

Result<std::vector<Outcome>> Impl::ApplyLocked(std::span<const Transition> transitions) {
  S1MPLE_RETURN_IF_ERROR(CheckWritable());
  Txn txn(*this);
  std::vector<JobRef> refs;
  refs.reserve(transitions.size());
  for (const Transition& t : transitions) {
    std::visit([&](const auto& op) { refs.emplace_back(op.sweep, op.index); }, t);
  }
  S1MPLE_RETURN_IF_ERROR(txn.Prefetch(std::move(refs)));
  std::vector<Outcome> outcomes;
  outcomes.reserve(transitions.size());
  for (const Transition& t : transitions) {
    Result<Outcome> o = std::holds_alternative<CompleteOp>(t)
                            ? DoCompleteImpl(txn, std::get<CompleteOp>(t), *this)
                            : DoFailImpl(txn, std::get<FailOp>(t), *this);
    if (!o.ok()) return o.status();
    outcomes.push_back(*o);
  }
  S1MPLE_RETURN_IF_ERROR(txn.Commit());
  return outcomes;
}

Result<std::vector<EndedLease>> Impl::EndLeasesLocked(const std::vector<JobRef>& refs,
                                                      std::string_view reason, bool counted) {
  S1MPLE_RETURN_IF_ERROR(CheckWritable());
  Txn txn(*this);
  std::vector<EndedLease> ended;
  for (const auto& [sweep, index] : refs) {
    Result<codec::JobRecord*> job = txn.Job(sweep, index);
    if (!job.ok()) return job.status();
    if (*job == nullptr || (*job)->state != JobState::kLeased || !(*job)->lease) {
      txn.RemoveLease(sweep, index);  // a lease entry without a leased job: drop it
      continue;
    }
    EndedLease e{sweep, index, (*job)->lease->attempt, (*job)->lease->runner, Outcome::kRetry};
    e.outcome = EndLease(txn, sweep, index, **job, reason,
                         counted ? LeaseEnd::kRetryable : LeaseEnd::kUncounted, Now());
    ended.push_back(std::move(e));
  }
  S1MPLE_RETURN_IF_ERROR(txn.Commit());
  return ended;
}

// ---- public API ----------------------------------------------------------------------------

Result<std::vector<LeasedJob>> JobStore::LeaseNext(const SweepId& sweep, const RunnerId& runner,
                                                   std::size_t n, std::int64_t lease_ms) {
  if (lease_ms <= 0) return Status::InvalidArgument("LeaseNext: lease_ms must be > 0");
  Impl& s = *impl_;
  MutexLock lock(&s.mu_);
  S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
  Result<Impl::SweepMem*> mem = s.FindSweep(sweep);
  if (!mem.ok()) return mem.status();
  Impl::SweepMem& m = **mem;
  if (!m.info.leasable()) {
    return Status::FailedPrecondition("sweep " + sweep + " is " +
                                      std::string(ToString(m.info.state)) + ", not active");
  }
  // Candidates in index order: retried jobs below the cursor, then the dispatch index.
  std::vector<JobIndex> picks;
  for (auto it = m.retry.begin(); it != m.retry.end() && picks.size() < n; ++it) {
    picks.push_back(*it);
  }
  if (picks.size() < n) {
    const std::string lower = codec::JobKey(sweep, m.cursor);
    const std::string upper = codec::SweepKeyEnd(sweep);
    rocksdb::Slice lower_s(lower), upper_s(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_s;
    ro.iterate_upper_bound = &upper_s;
    std::unique_ptr<rocksdb::Iterator> it(s.db_->NewIterator(ro, s.cf(kDispatch)));
    for (it->Seek(lower_s); it->Valid() && picks.size() < n; it->Next()) {
      auto index = codec::IndexOfJobKey(std::string_view(it->key().data(), it->key().size()));
      if (index) picks.push_back(*index);
    }
    S1MPLE_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the dispatch index of " + sweep));
  }

  Txn txn(s);
  std::vector<JobRef> refs;
  for (JobIndex index : picks) refs.emplace_back(sweep, index);
  S1MPLE_RETURN_IF_ERROR(txn.Prefetch(std::move(refs)));
  const UnixMillis deadline = s.Now() + lease_ms;
  std::vector<LeasedJob> leased;
  JobIndex scan_end = m.cursor;
  for (JobIndex index : picks) {
    if (index >= m.cursor) scan_end = std::max(scan_end, index + 1);
    Result<codec::JobRecord*> job = txn.Job(sweep, index);
    if (!job.ok()) return job.status();
    if (*job == nullptr || (*job)->state != JobState::kPending) continue;  // stale entry
    codec::JobRecord& j = **job;
    j.attempt += 1;
    j.state = JobState::kLeased;
    j.lease = Lease{runner, j.attempt, deadline};
    txn.Touch(sweep, index);
    txn.RemovePending(sweep, index);
    txn.PutLease(sweep, index, *j.lease);
    txn.Count(sweep, JobState::kPending, JobState::kLeased);
    leased.push_back(LeasedJob{sweep, index, j.attempt, deadline, j.overrides});
  }
  // Fewer picks than asked: the dispatch index is exhausted up to the end of the sweep.
  txn.AdvanceCursor(sweep, picks.size() < n ? m.info.job_count : scan_end);
  S1MPLE_RETURN_IF_ERROR(txn.Commit());
  return leased;
}

Result<Outcome> JobStore::Complete(const SweepId& sweep, JobIndex index, Attempt attempt,
                                   const RunnerId& runner, std::string_view result) {
  Transition t = CompleteOp{sweep, index, attempt, runner, std::string(result)};
  Result<std::vector<Outcome>> r = Apply(std::span<const Transition>(&t, 1));
  if (!r.ok()) return r.status();
  return r->front();
}

Result<Outcome> JobStore::Fail(const SweepId& sweep, JobIndex index, Attempt attempt,
                               const RunnerId& runner, std::string_view reason, bool retryable) {
  Transition t = FailOp{sweep, index, attempt, runner, std::string(reason), retryable};
  Result<std::vector<Outcome>> r = Apply(std::span<const Transition>(&t, 1));
  if (!r.ok()) return r.status();
  return r->front();
}

Result<std::vector<Outcome>> JobStore::Apply(std::span<const Transition> transitions) {
  Result<std::vector<Outcome>> outcomes = [&] {
    MutexLock lock(&impl_->mu_);
    return impl_->ApplyLocked(transitions);
  }();
  if (!outcomes.ok()) return outcomes;
  // Also for kDuplicate: the DONE that made it a duplicate may still await its sync.
  S1MPLE_RETURN_IF_ERROR(impl_->WaitDurable());
  return outcomes;
}

Status JobStore::ApplyAsync(std::span<const Transition> transitions, DurableCallback on_durable) {
  Result<std::vector<Outcome>> outcomes = [&] {
    MutexLock lock(&impl_->mu_);
    return impl_->ApplyLocked(transitions);
  }();
  if (!outcomes.ok()) return outcomes.status();
  impl_->AfterSync([cb = std::move(on_durable), out = std::move(*outcomes)](Status st) mutable {
    if (st.ok()) {
      cb(std::move(out));
    } else {
      cb(std::move(st));
    }
  });
  return Status::Ok();
}

Result<std::vector<EndedLease>> JobStore::ReleaseLeases(const RunnerId& runner,
                                                        std::string_view reason, bool counted) {
  MutexLock lock(&impl_->mu_);
  std::vector<JobRef> refs;
  for (const auto& [ref, lease] : impl_->leases_) {
    if (lease.runner == runner) refs.push_back(ref);
  }
  return impl_->EndLeasesLocked(refs, reason, counted);
}

Result<std::vector<EndedLease>> JobStore::EndLeases(const RunnerId& runner,
                                                    std::span<const JobAttempt> jobs,
                                                    std::string_view reason, bool counted) {
  MutexLock lock(&impl_->mu_);
  std::vector<JobRef> refs;
  for (const JobAttempt& j : jobs) {
    auto it = impl_->leases_.find({j.sweep, j.index});
    if (it != impl_->leases_.end() && it->second.runner == runner &&
        it->second.attempt == j.attempt) {
      refs.emplace_back(j.sweep, j.index);
    }
  }
  if (refs.empty()) return std::vector<EndedLease>{};
  return impl_->EndLeasesLocked(refs, reason, counted);
}

Result<std::vector<EndedLease>> JobStore::ExpireLeases(UnixMillis now, std::size_t max) {
  MutexLock lock(&impl_->mu_);
  std::vector<JobRef> refs;
  for (const auto& [deadline, sweep, index] : impl_->deadlines_) {
    if (deadline > now || refs.size() >= max) break;
    refs.emplace_back(sweep, index);
  }
  if (refs.empty()) return std::vector<EndedLease>{};
  return impl_->EndLeasesLocked(refs, "lease expired", /*counted=*/true);
}

Result<std::vector<EndedLease>> JobStore::ReturnOrphanLeases(std::string_view reason,
                                                             std::size_t chunk) {
  chunk = std::max<std::size_t>(chunk, 1);
  std::vector<EndedLease> all;
  for (;;) {
    MutexLock lock(&impl_->mu_);
    // Every chunk removes its leases from leases_ (also entries without a leased job), so the
    // loop ends.
    std::vector<JobRef> refs;
    for (auto it = impl_->leases_.begin(); it != impl_->leases_.end() && refs.size() < chunk;
         ++it) {
      refs.push_back(it->first);
    }
    if (refs.empty()) return all;
    Result<std::vector<EndedLease>> ended = impl_->EndLeasesLocked(refs, reason, /*counted=*/false);
    if (!ended.ok()) return ended.status();
    all.insert(all.end(), std::make_move_iterator(ended->begin()),
               std::make_move_iterator(ended->end()));
  }
}

std::optional<UnixMillis> JobStore::NextLeaseDeadline() const {
  MutexLock lock(&impl_->mu_);
  if (impl_->deadlines_.empty()) return std::nullopt;
  return std::get<0>(*impl_->deadlines_.begin());
}

namespace {

// Gives the current lease (sweep, index, attempt) of `runner` a new deadline. false when that
// lease is not current.
Result<bool> MoveLease(Impl& s, const SweepId& sweep, JobIndex index, Attempt attempt,
                       const RunnerId& runner, UnixMillis deadline) {
  MutexLock lock(&s.mu_);
  S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
  Txn txn(s);
  Result<codec::JobRecord*> job = CurrentLease(txn, sweep, index, attempt, &runner);
  if (!job.ok()) return job.status();
  if (*job == nullptr) return false;
  (*job)->lease->deadline_ms = deadline;
  txn.Touch(sweep, index);
  txn.PutLease(sweep, index, *(*job)->lease);
  S1MPLE_RETURN_IF_ERROR(txn.Commit());
  return true;
}

}  // namespace

Result<bool> JobStore::ExtendLease(const SweepId& sweep, JobIndex index, Attempt attempt,
                                   const RunnerId& runner, UnixMillis new_deadline_ms) {
  return MoveLease(*impl_, sweep, index, attempt, runner, new_deadline_ms);
}

Result<ReclaimResult> JobStore::Reclaim(const RunnerId& runner, std::span<const HeldLease> held,
                                        std::string_view reason, bool counted) {
  Impl& s = *impl_;
  MutexLock lock(&s.mu_);
  S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
  Txn txn(s);
  std::vector<JobRef> refs;
  for (const HeldLease& h : held) refs.emplace_back(h.job.sweep, h.job.index);
  S1MPLE_RETURN_IF_ERROR(txn.Prefetch(refs));
  ReclaimResult out;
  out.reclaimed.assign(held.size(), false);
  std::set<JobRef> kept;
  for (std::size_t i = 0; i < held.size(); ++i) {
    const HeldLease& h = held[i];
    Result<codec::JobRecord*> job =
        CurrentLease(txn, h.job.sweep, h.job.index, h.job.attempt, &runner);
    if (!job.ok()) return job.status();
    if (*job == nullptr || kept.contains({h.job.sweep, h.job.index})) continue;
    (*job)->lease->deadline_ms = h.new_deadline_ms;
    txn.Touch(h.job.sweep, h.job.index);
    txn.PutLease(h.job.sweep, h.job.index, *(*job)->lease);
    kept.emplace(h.job.sweep, h.job.index);
    out.reclaimed[i] = true;
  }
  for (const auto& [ref, lease] : s.leases_) {
    if (lease.runner != runner || kept.contains(ref)) continue;
    Result<codec::JobRecord*> job = txn.Job(ref.first, ref.second);
    if (!job.ok()) return job.status();
    if (*job == nullptr || (*job)->state != JobState::kLeased || !(*job)->lease) {
      txn.RemoveLease(ref.first, ref.second);  // a lease entry without a leased job: drop it
      continue;
    }
    EndedLease e{ref.first, ref.second, (*job)->lease->attempt, runner, Outcome::kRetry};
    e.outcome = EndLease(txn, ref.first, ref.second, **job, reason,
                         counted ? LeaseEnd::kRetryable : LeaseEnd::kUncounted, s.Now());
    out.returned.push_back(std::move(e));
  }
  S1MPLE_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace s1mple::store
