// Sweep lifecycle: create, add jobs in chunks, seal, pause, resume, cancel, delete; sweep reads.
#include <rocksdb/options.h>

#include <algorithm>
#include <random>
#include <utility>

#include "common/sha256.h"
#include "store/store_impl.h"

namespace s1mple::store {

using Impl = JobStore::Impl;
using Txn = JobStore::Impl::Txn;

Result<Impl::SweepMem*> Impl::FindSweep(const SweepId& id) {
  auto it = sweeps_.find(id);
  if (it == sweeps_.end()) return Status::NotFound("sweep '" + id + "' is not in the store");
  return &it->second;
}

Result<const Impl::SweepMem*> Impl::FindSweep(const SweepId& id) const {
  auto it = sweeps_.find(id);
  if (it == sweeps_.end()) return Status::NotFound("sweep '" + id + "' is not in the store");
  return &it->second;
}

namespace {

SweepId NewSweepId(const std::map<SweepId, Impl::SweepMem>& taken) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  for (;;) {
    std::uint64_t bits = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    std::string id = "sw-";
    for (int i = 0; i < 12; ++i) id.push_back(kHex[(bits >> (4 * i)) & 0xf]);
    if (!taken.contains(id)) return id;
  }
}

Status ValidateSpec(const SweepSpec& spec) {
  if (spec.name.empty()) return Status::InvalidArgument("sweep name is empty");
  if (spec.plan_hash.size() > 128 || spec.plan_hash.find('\0') != std::string::npos) {
    return Status::InvalidArgument("sweep plan_hash must be at most 128 bytes without NUL");
  }
  if (spec.timeout_per_run_ms < 0) {
    return Status::InvalidArgument("sweep timeout_per_run_ms must be >= 0");
  }
  for (const auto& [role, hash] : spec.base_artifacts) {
    if (role.empty()) return Status::InvalidArgument("sweep base_artifacts has an empty role");
  }
  return Status::Ok();
}

Status WriteNow(Impl& s, rocksdb::WriteBatch& batch, std::string_view what) {
  rocksdb::WriteOptions wo;
  wo.sync = false;  // made durable by WaitDurable (group commit)
  return FromRocks(s.db_->Write(wo, &batch), what);
}

// Changes a sweep's state if it is in one of `from`; one Txn, then waits for durability.
Status ChangeState(Impl& s, const SweepId& sweep, std::initializer_list<SweepState> from,
                   SweepState to, std::string_view verb) {
  {
    MutexLock lock(&s.mu_);
    S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
    Result<Impl::SweepMem*> mem = s.FindSweep(sweep);
    if (!mem.ok()) return mem.status();
    SweepState now = (*mem)->info.state;
    if (std::find(from.begin(), from.end(), now) == from.end()) {
      return Status::FailedPrecondition("cannot " + std::string(verb) + " sweep " + sweep +
                                        ": it is " + std::string(ToString(now)));
    }
    Txn txn(s);
    txn.Sweep(sweep)->state = to;
    txn.TouchMeta(sweep);
    S1MPLE_RETURN_IF_ERROR(txn.Commit());
  }
  return s.WaitDurable();
}

}  // namespace

Result<SweepId> JobStore::CreateSweep(const SweepSpec& spec) {
  S1MPLE_RETURN_IF_ERROR(ValidateSpec(spec));
  Impl& s = *impl_;
  SweepId id;
  {
    MutexLock lock(&s.mu_);
    S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
    for (const auto& [role, hash] : spec.base_artifacts) {
      if (!HasArtifact(hash)) {
        return Status::NotFound("sweep base artifact '" + role + "' (" + hash +
                                ") is not in the store; PutArtifact it first");
      }
    }
    SweepInfo info;
    info.id = id = NewSweepId(s.sweeps_);
    info.name = spec.name;
    info.kind = spec.kind;
    info.plan_hash = spec.plan_hash.empty() ? Sha256Hex(spec.plan_text) : spec.plan_hash;
    info.base_artifacts = spec.base_artifacts;
    info.max_attempts = spec.max_attempts > 0
                            ? spec.max_attempts
                            : std::max<Attempt>(1, s.options_.default_max_attempts);
    info.timeout_per_run_ms = spec.timeout_per_run_ms;
    info.max_workers = spec.max_workers;
    info.dispatch_open = spec.dispatch_open;
    info.created_ms = s.Now();
    info.state = SweepState::kSubmitting;

    rocksdb::WriteBatch batch;
    batch.Put(s.cf(kSweeps), codec::SweepMetaKey(id), codec::EncodeSweepMeta(info));
    batch.Put(s.cf(kSweeps), codec::SweepCountsKey(id), codec::EncodeCounts(info.counts));
    batch.Put(s.cf(kSweeps), codec::SweepPlanKey(id), spec.plan_text);
    if (!spec.plan_summary.empty())
      batch.Put(s.cf(kSweeps), codec::SweepSummaryKey(id), spec.plan_summary);
    batch.Put(s.cf(kSweeps), codec::PlanHashKey(info.plan_hash, id), rocksdb::Slice());
    S1MPLE_RETURN_IF_ERROR(WriteNow(s, batch, "creating sweep " + id));
    s.sweeps_.emplace(id, Impl::SweepMem{std::move(info), 0, {}});
  }
  S1MPLE_RETURN_IF_ERROR(s.WaitDurable());
  return id;
}

Status JobStore::AddJobs(const SweepId& sweep, JobIndex first_index,
                         std::span<const std::string> overrides) {
  Impl& s = *impl_;
  {
    MutexLock lock(&s.mu_);
    S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
    Result<Impl::SweepMem*> mem = s.FindSweep(sweep);
    if (!mem.ok()) return mem.status();
    SweepInfo info = (*mem)->info;
    if (info.state != SweepState::kSubmitting) {
      return Status::FailedPrecondition("cannot add jobs to sweep " + sweep + ": it is " +
                                        std::string(ToString(info.state)));
    }
    if (first_index != info.job_count) {
      return Status::FailedPrecondition(
          "sweep " + sweep + " has " + std::to_string(info.job_count) +
          " jobs; AddJobs must continue at index " + std::to_string(info.job_count) + ", not " +
          std::to_string(first_index));
    }
    rocksdb::WriteBatch batch;
    codec::JobRecord job;
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      const std::string key = codec::JobKey(sweep, first_index + i);
      job.overrides = overrides[i];
      batch.Put(s.cf(kJobs), key, codec::EncodeJob(job));
      batch.Put(s.cf(kDispatch), key, rocksdb::Slice());
    }
    info.job_count += overrides.size();
    info.counts.pending += overrides.size();
    batch.Put(s.cf(kSweeps), codec::SweepMetaKey(sweep), codec::EncodeSweepMeta(info));
    batch.Put(s.cf(kSweeps), codec::SweepCountsKey(sweep), codec::EncodeCounts(info.counts));
    S1MPLE_RETURN_IF_ERROR(WriteNow(s, batch, "adding jobs to sweep " + sweep));
    (*mem)->info = std::move(info);
  }
  return s.WaitDurable();
}

Status JobStore::SealSweep(const SweepId& sweep, std::uint64_t expected_job_count) {
  {
    MutexLock lock(&impl_->mu_);
    Result<Impl::SweepMem*> mem = impl_->FindSweep(sweep);
    if (!mem.ok()) return mem.status();
    if ((*mem)->info.job_count != expected_job_count) {
      return Status::FailedPrecondition(
          "cannot seal sweep " + sweep + ": it has " + std::to_string((*mem)->info.job_count) +
          " jobs, the submitter expected " + std::to_string(expected_job_count));
    }
  }
  // A sweep sealed with no jobs becomes DONE at once (Txn::Commit).
  return ChangeState(*impl_, sweep, {SweepState::kSubmitting}, SweepState::kActive, "seal");
}

Status JobStore::PauseSweep(const SweepId& sweep) {
  return ChangeState(*impl_, sweep, {SweepState::kActive}, SweepState::kPaused, "pause");
}

Status JobStore::ResumeSweep(const SweepId& sweep) {
  return ChangeState(*impl_, sweep, {SweepState::kPaused}, SweepState::kActive, "resume");
}

Status JobStore::CancelSweep(const SweepId& sweep) {
  return ChangeState(*impl_, sweep,
                     {SweepState::kSubmitting, SweepState::kActive, SweepState::kPaused},
                     SweepState::kCancelled, "cancel");
}

Status JobStore::DeleteSweep(const SweepId& sweep) {
  Impl& s = *impl_;
  std::vector<ArtifactHash> freed;
  {
    MutexLock lock(&s.mu_);
    S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
    Result<Impl::SweepMem*> mem = s.FindSweep(sweep);
    if (!mem.ok()) return mem.status();
    const SweepInfo& info = (*mem)->info;
    // Flush the sweep's column families first. Their memtables insert with hints
    // (memtable_insert_with_hint_prefix_extractor, keyed by sweep id), and RocksDB 7.8 reuses a
    // prefix's hint, made in the point-key list, for the range tombstone list of the same
    // memtable: "InlineSkipList::Insert: Assertion `recompute_height <= max_height' failed"
    // (Debian builds with assertions), or a corrupt skip list without them. A fresh memtable has
    // no hint for the sweep. Under mu_, no write of ours runs between the flush and the batch.
    {
      std::vector<rocksdb::ColumnFamilyHandle*> cfs;
      for (Cf cf : {kJobs, kDispatch, kLeases, kResults}) cfs.push_back(s.cf(cf));
      S1MPLE_RETURN_IF_ERROR(FromRocks(s.db_->Flush(rocksdb::FlushOptions(), cfs),
                                       "flushing sweep " + sweep + " before deleting it"));
    }
    rocksdb::WriteBatch batch;
    const std::string begin = codec::JobKey(sweep, 0), end = codec::SweepKeyEnd(sweep);
    for (Cf cf : {kJobs, kDispatch, kLeases, kResults}) batch.DeleteRange(s.cf(cf), begin, end);
    batch.DeleteRange(s.cf(kResults), std::string(1, codec::kSummaryTag) + begin,
                      std::string(1, codec::kSummaryTag) + end);
    batch.Delete(s.cf(kSweeps), codec::SweepMetaKey(sweep));
    batch.Delete(s.cf(kSweeps), codec::SweepCountsKey(sweep));
    batch.Delete(s.cf(kSweeps), codec::SweepPlanKey(sweep));
    batch.Delete(s.cf(kSweeps), codec::SweepSummaryKey(sweep));
    batch.Delete(s.cf(kSweeps), codec::PlanHashKey(info.plan_hash, sweep));
    // Artifacts this sweep referenced that no other sweep does.
    for (const auto& [role, hash] : info.base_artifacts) {
      bool shared = false;  // a plain loop: the analysis sees mu_ held here, not in a lambda
      for (const auto& [other, other_mem] : s.sweeps_) {
        if (other == sweep) continue;
        for (const auto& [r, h] : other_mem.info.base_artifacts) shared = shared || h == hash;
      }
      if (!shared && std::find(freed.begin(), freed.end(), hash) == freed.end()) {
        batch.Delete(s.cf(kArtifacts), hash.str());
        freed.push_back(hash);
      }
    }
    S1MPLE_RETURN_IF_ERROR(WriteNow(s, batch, "deleting sweep " + sweep));
    s.sweeps_.erase(sweep);
    for (auto it = s.leases_.begin(); it != s.leases_.end();) {
      if (it->first.first == sweep) {
        s.deadlines_.erase({it->second.deadline_ms, sweep, it->first.second});
        it = s.leases_.erase(it);
      } else {
        ++it;
      }
    }
  }
  S1MPLE_RETURN_IF_ERROR(s.WaitDurable());
  {
    // The memtables (holding the range tombstones) are switched and flushed here, under mu_, so
    // that no write of ours can fail next to the switch (store/wal_guard.h); the compactions
    // below then find nothing of the sweep in a memtable and switch none.
    MutexLock lock(&s.mu_);
    S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    for (Cf cf : {kJobs, kDispatch, kLeases, kResults, kSweeps, kArtifacts})
      cfs.push_back(s.cf(cf));
    S1MPLE_RETURN_IF_ERROR(FromRocks(s.db_->Flush(rocksdb::FlushOptions(), cfs),
                                     "flushing the deleted sweep " + sweep));
  }
  // Free the space now: compact the deleted ranges down to the last level.
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  const std::string begin = codec::JobKey(sweep, 0), end = codec::SweepKeyEnd(sweep);
  rocksdb::Slice b(begin), e(end);
  for (Cf cf : {kJobs, kDispatch, kLeases, kResults}) {
    S1MPLE_RETURN_IF_ERROR(FromRocks(s.db_->CompactRange(co, s.cf(cf), &b, &e),
                                     "compacting the deleted sweep " + sweep));
  }
  const std::string sbegin = std::string(1, codec::kSummaryTag) + begin,
                    send = std::string(1, codec::kSummaryTag) + end;
  rocksdb::Slice sb(sbegin), se(send);
  S1MPLE_RETURN_IF_ERROR(FromRocks(s.db_->CompactRange(co, s.cf(kResults), &sb, &se),
                                   "compacting the deleted sweep's result summaries " + sweep));
  for (const ArtifactHash& hash : freed) {
    rocksdb::Slice h(hash.str());
    S1MPLE_RETURN_IF_ERROR(FromRocks(s.db_->CompactRange(co, s.cf(kArtifacts), &h, &h),
                                     "compacting the freed artifact " + hash));
  }
  return Status::Ok();
}

Result<SweepInfo> JobStore::GetSweep(const SweepId& sweep) const {
  const Impl& s = *impl_;
  MutexLock lock(&s.mu_);
  Result<const Impl::SweepMem*> mem = s.FindSweep(sweep);
  if (!mem.ok()) return mem.status();
  return (*mem)->info;
}

Result<std::string> JobStore::GetPlan(const SweepId& sweep) const {
  if (!codec::IsValidSweepId(sweep)) {
    return Status::NotFound("sweep '" + sweep + "' is not in the store");
  }
  std::string plan;
  rocksdb::Status st = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(kSweeps),
                                       codec::SweepPlanKey(sweep), &plan);
  if (st.IsNotFound()) return Status::NotFound("sweep '" + sweep + "' is not in the store");
  S1MPLE_RETURN_IF_ERROR(FromRocks(st, "reading the plan of sweep " + sweep));
  return plan;
}

Result<std::string> JobStore::GetPlanSummary(const SweepId& sweep) const {
  if (!codec::IsValidSweepId(sweep) || !GetSweep(sweep).ok()) {
    return Status::NotFound("sweep '" + sweep + "' is not in the store");
  }
  std::string summary;
  rocksdb::Status st = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(kSweeps),
                                       codec::SweepSummaryKey(sweep), &summary);
  if (st.IsNotFound()) return std::string();
  S1MPLE_RETURN_IF_ERROR(FromRocks(st, "reading the plan summary of sweep " + sweep));
  return summary;
}

std::vector<SweepInfo> JobStore::ListSweeps() const {
  std::vector<SweepInfo> out;
  {
    MutexLock lock(&impl_->mu_);
    for (const auto& [id, mem] : impl_->sweeps_) out.push_back(mem.info);
  }
  std::sort(out.begin(), out.end(), [](const SweepInfo& a, const SweepInfo& b) {
    return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
  });
  return out;
}

std::vector<SweepInfo> JobStore::FindSweepsByPlanHash(std::string_view plan_hash) const {
  std::vector<SweepInfo> out;
  for (SweepInfo& info : ListSweeps()) {
    if (info.plan_hash == plan_hash) out.push_back(std::move(info));
  }
  std::reverse(out.begin(), out.end());  // newest first
  return out;
}

std::vector<DispatchableSweep> JobStore::Dispatchable() const {
  std::vector<DispatchableSweep> out;
  for (const SweepInfo& info : ListSweeps()) {
    if (!info.leasable() || info.counts.pending == 0) continue;
    out.push_back(DispatchableSweep{info.id, info.counts.pending, info.counts.leased,
                                    info.max_workers, info.timeout_per_run_ms, info.created_ms});
  }
  return out;
}

Result<JobCounts> JobStore::Counts(const SweepId& sweep) const {
  const Impl& s = *impl_;
  MutexLock lock(&s.mu_);
  Result<const Impl::SweepMem*> mem = s.FindSweep(sweep);
  if (!mem.ok()) return mem.status();
  return (*mem)->info.counts;
}

}  // namespace s1mple::store
