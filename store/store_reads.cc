// Reads: jobs, results (range scans), the full-scan Recount, artifacts, maintenance.
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "common/sha256.h"
#include "store/store_impl.h"

namespace s1mple::store {

using Impl = JobStore::Impl;

namespace {

std::string JobName(const SweepId& sweep, JobIndex index) {
  return sweep + "/" + std::to_string(index);
}

std::string_view View(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

// Visits the keys of one sweep in `cf` from from_index in index order; fn returns false to stop.
// `tag` is put before each key (codec::kSummaryTag: the result summaries).
Status ScanSweepRange(const Impl& s, Cf cf, const SweepId& sweep, JobIndex from_index,
                      const rocksdb::Snapshot* snapshot,
                      const std::function<bool(JobIndex, std::string_view)>& fn,
                      std::string_view tag = {}) {
  if (!codec::IsValidSweepId(sweep)) {
    return Status::NotFound("sweep '" + sweep + "' is not in the store");
  }
  const std::string lower = std::string(tag) + codec::JobKey(sweep, from_index);
  const std::string upper = std::string(tag) + codec::SweepKeyEnd(sweep);
  rocksdb::Slice lower_s(lower), upper_s(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_s;
  ro.iterate_upper_bound = &upper_s;
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(s.db_->NewIterator(ro, s.cf(cf)));
  for (it->Seek(lower_s); it->Valid(); it->Next()) {
    std::optional<JobIndex> index = codec::IndexOfJobKey(View(it->key()).substr(tag.size()));
    if (!index)
      return Status::Corruption("malformed key in column family " + std::string(kCfNames[cf]));
    if (!fn(*index, View(it->value()))) break;
  }
  return FromRocks(it->status(), "scanning sweep " + sweep);
}

JobInfo ToJobInfo(const SweepId& sweep, JobIndex index, codec::JobRecord rec) {
  return JobInfo{sweep,
                 index,
                 rec.state,
                 rec.attempt,
                 std::move(rec.lease),
                 std::move(rec.history),
                 std::move(rec.failure_reason),
                 std::move(rec.overrides),
                 rec.uncounted_attempts};
}

}  // namespace

Result<JobInfo> JobStore::GetJob(const SweepId& sweep, JobIndex index) const {
  if (!codec::IsValidSweepId(sweep))
    return Status::NotFound("job " + JobName(sweep, index) + " is not in the store");
  std::string bytes;
  rocksdb::Status st = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(kJobs),
                                       codec::JobKey(sweep, index), &bytes);
  if (st.IsNotFound())
    return Status::NotFound("job " + JobName(sweep, index) + " is not in the store");
  S1MPLE_RETURN_IF_ERROR(FromRocks(st, "reading job " + JobName(sweep, index)));
  codec::JobRecord rec;
  S1MPLE_RETURN_IF_ERROR(codec::DecodeJob(bytes, &rec).WithContext("job " + JobName(sweep, index)));
  return ToJobInfo(sweep, index, std::move(rec));
}

Status JobStore::ScanJobs(const SweepId& sweep, JobIndex from_index, std::size_t limit,
                          const std::function<bool(const JobInfo&)>& fn) const {
  std::size_t seen = 0;
  Status inner;
  Status st = ScanSweepRange(
      *impl_, kJobs, sweep, from_index, nullptr, [&](JobIndex index, std::string_view value) {
        codec::JobRecord rec;
        inner = codec::DecodeJob(value, &rec).WithContext("job " + JobName(sweep, index));
        if (!inner.ok()) return false;
        JobInfo info = ToJobInfo(sweep, index, std::move(rec));
        return fn(info) && (limit == 0 || ++seen < limit);
      });
  S1MPLE_RETURN_IF_ERROR(st);
  return inner;
}

Result<std::string> JobStore::GetResult(const SweepId& sweep, JobIndex index) const {
  if (!codec::IsValidSweepId(sweep))
    return Status::NotFound("no result for job " + JobName(sweep, index));
  std::string bytes;
  rocksdb::Status st = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(kResults),
                                       codec::JobKey(sweep, index), &bytes);
  if (st.IsNotFound()) return Status::NotFound("no result for job " + JobName(sweep, index));
  S1MPLE_RETURN_IF_ERROR(FromRocks(st, "reading the result of job " + JobName(sweep, index)));
  return bytes;
}

Status JobStore::ScanResults(const SweepId& sweep, JobIndex from_index, std::size_t limit,
                             const std::function<bool(JobIndex, std::string_view)>& fn) const {
  std::size_t seen = 0;
  return ScanSweepRange(*impl_, kResults, sweep, from_index, nullptr,
                        [&](JobIndex index, std::string_view value) {
                          return fn(index, value) && (limit == 0 || ++seen < limit);
                        });
}

Status JobStore::ScanResultSummaries(
    const SweepId& sweep, JobIndex from_index, std::size_t limit,
    const std::function<bool(JobIndex, std::string_view)>& fn) const {
  std::size_t seen = 0;
  return ScanSweepRange(
      *impl_, kResults, sweep, from_index, nullptr,
      [&](JobIndex index, std::string_view value) {
        return fn(index, value) && (limit == 0 || ++seen < limit);
      },
      std::string_view(&codec::kSummaryTag, 1));
}

Result<RecountReport> JobStore::Recount(const SweepId& sweep) const {
  const Impl& s = *impl_;
  SweepInfo info;
  std::size_t memory_leases = 0;
  const rocksdb::Snapshot* snap = nullptr;
  {
    // Snapshot and in-memory counters taken together, so they describe the same moment.
    MutexLock lock(&s.mu_);
    Result<const Impl::SweepMem*> mem = s.FindSweep(sweep);
    if (!mem.ok()) return mem.status();
    info = (*mem)->info;
    for (const auto& [ref, lease] : s.leases_) memory_leases += ref.first == sweep ? 1 : 0;
    snap = s.db_->GetSnapshot();
  }
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snap;
    ~Release() { db->ReleaseSnapshot(snap); }
  } release{s.db_.get(), snap};

  RecountReport report;
  auto problem = [&](std::string p) {
    if (report.problems.size() < 100) report.problems.push_back(std::move(p));
  };
  std::unordered_set<JobIndex> pending, results;
  std::unordered_map<JobIndex, Lease> leases;
  auto collect = [&](Cf cf, auto&& fn) {
    return ScanSweepRange(s, cf, sweep, 0, snap, [&](JobIndex i, std::string_view v) {
      fn(i, v);
      return true;
    });
  };
  S1MPLE_RETURN_IF_ERROR(
      collect(kDispatch, [&](JobIndex i, std::string_view) { pending.insert(i); }));
  S1MPLE_RETURN_IF_ERROR(
      collect(kResults, [&](JobIndex i, std::string_view) { results.insert(i); }));
  Status lease_status;
  S1MPLE_RETURN_IF_ERROR(collect(kLeases, [&](JobIndex i, std::string_view v) {
    Lease l;
    Status d = codec::DecodeLease(v, &l);
    if (!d.ok()) problem("lease entry " + JobName(sweep, i) + ": " + d.message());
    leases[i] = l;
  }));
  report.results = results.size();
  // A summary is written with its result (in the same batch) and deleted with it: never alone.
  Status summary_status = ScanSweepRange(
      s, kResults, sweep, 0, snap,
      [&](JobIndex i, std::string_view) {
        if (!results.contains(i)) problem("result summary without a result: " + JobName(sweep, i));
        return true;
      },
      std::string_view(&codec::kSummaryTag, 1));
  S1MPLE_RETURN_IF_ERROR(summary_status);

  JobIndex expected = 0;
  S1MPLE_RETURN_IF_ERROR(collect(kJobs, [&](JobIndex i, std::string_view v) {
    const std::string name = JobName(sweep, i);
    if (i != expected)
      problem("job index gap: expected " + std::to_string(expected) + ", found " + name);
    expected = i + 1;
    codec::JobRecord rec;
    if (Status d = codec::DecodeJob(v, &rec); !d.ok()) {
      problem(name + ": " + d.message());
      return;
    }
    const bool in_dispatch = pending.erase(i) > 0;
    const bool has_result = results.erase(i) > 0;
    auto lease_it = leases.find(i);
    const bool in_leases = lease_it != leases.end();
    switch (rec.state) {
      case JobState::kPending:
        ++report.counts.pending;
        break;
      case JobState::kLeased:
        ++report.counts.leased;
        break;
      case JobState::kDone:
        ++report.counts.done;
        break;
      case JobState::kFailed:
        ++report.counts.failed;
        break;
    }
    if (in_dispatch != (rec.state == JobState::kPending)) {
      problem(name + " is " + std::string(ToString(rec.state)) +
              (in_dispatch ? " but in the dispatch index" : " but not in the dispatch index"));
    }
    if (has_result != (rec.state == JobState::kDone)) {
      problem(name + " is " + std::string(ToString(rec.state)) +
              (has_result ? " but has a result" : " but has no result"));
    }
    const bool leased = rec.state == JobState::kLeased;
    if (leased != in_leases || leased != rec.lease.has_value()) {
      problem(name + " is " + std::string(ToString(rec.state)) + " with lease index entry " +
              (in_leases ? "present" : "absent") + " and lease " + (rec.lease ? "set" : "unset"));
    } else if (leased && (lease_it->second.attempt != rec.lease->attempt ||
                          lease_it->second.runner != rec.lease->runner ||
                          lease_it->second.deadline_ms != rec.lease->deadline_ms)) {
      problem(name + ": lease index entry differs from the job's lease");
    }
    if (in_leases) leases.erase(lease_it);
    if (rec.state == JobState::kFailed && rec.failure_reason.empty()) {
      problem(name + " is failed without a reason");
    }
    if (rec.attempt < rec.history.size() || (leased && rec.lease->attempt != rec.attempt)) {
      problem(name + ": attempt " + std::to_string(rec.attempt) +
              " inconsistent with history/lease");
    }
    // Every uncounted attempt ended with a history entry; a PENDING job has a counted attempt
    // left (else it would be FAILED), a LEASED one is within max_attempts.
    if (rec.uncounted_attempts > rec.history.size()) {
      problem(name + ": " + std::to_string(rec.uncounted_attempts) +
              " uncounted attempts but history holds " + std::to_string(rec.history.size()));
    }
    const Attempt counted = rec.counted_attempts();
    if ((rec.state == JobState::kPending && counted >= info.max_attempts) ||
        (leased && counted > info.max_attempts)) {
      problem(name + " is " + std::string(ToString(rec.state)) + " after " +
              std::to_string(counted) + " counted attempts of max_attempts " +
              std::to_string(info.max_attempts));
    }
  }));
  for (JobIndex i : pending) problem("dispatch entry without a job: " + JobName(sweep, i));
  for (JobIndex i : results) problem("result without a job: " + JobName(sweep, i));
  for (const auto& [i, l] : leases) problem("lease entry without a job: " + JobName(sweep, i));

  auto counts_text = [](const JobCounts& c) {
    return std::to_string(c.pending) + "/" + std::to_string(c.leased) + "/" +
           std::to_string(c.done) + "/" + std::to_string(c.failed);
  };
  if (report.counts.total() != info.job_count) {
    problem("sweep " + sweep + " job_count " + std::to_string(info.job_count) + " but " +
            std::to_string(report.counts.total()) + " jobs stored");
  }
  if (!(report.counts == info.counts)) {
    problem("counters (pending/leased/done/failed) " + counts_text(info.counts) +
            " differ from the recount " + counts_text(report.counts));
  }
  std::string stored;
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  JobCounts on_disk;
  if (s.db_->Get(ro, s.cf(kSweeps), codec::SweepCountsKey(sweep), &stored).ok() &&
      codec::DecodeCounts(stored, &on_disk).ok()) {
    if (!(on_disk == report.counts)) {
      problem("stored counters " + counts_text(on_disk) + " differ from the recount " +
              counts_text(report.counts));
    }
  } else {
    problem("sweep " + sweep + " has no readable stored counters");
  }
  if (memory_leases != report.counts.leased) {
    problem("lease table holds " + std::to_string(memory_leases) + " leases, recount " +
            std::to_string(report.counts.leased));
  }
  return report;
}

Result<ArtifactHash> JobStore::PutArtifact(std::string_view bytes, std::string_view expected_hash) {
  const ArtifactHash hash = Sha256Hex(bytes);
  if (!expected_hash.empty() && expected_hash != hash) {
    return Status::Corruption("artifact bytes hash to " + hash + ", not the expected " +
                              std::string(expected_hash));
  }
  Impl& s = *impl_;
  {
    MutexLock lock(&s.mu_);
    S1MPLE_RETURN_IF_ERROR(s.CheckWritable());
    if (!HasArtifact(hash)) {
      rocksdb::WriteOptions wo;
      wo.sync = false;  // made durable below (group commit)
      S1MPLE_RETURN_IF_ERROR(FromRocks(
          s.db_->Put(wo, s.cf(kArtifacts), hash.str(), rocksdb::Slice(bytes.data(), bytes.size())),
          "storing artifact " + hash));
    }
  }
  S1MPLE_RETURN_IF_ERROR(s.WaitDurable());
  return hash;
}

Result<std::string> JobStore::GetArtifact(const ArtifactHash& hash) const {
  if (!IsSha256Hex(hash)) {
    return Status::InvalidArgument("artifact hash '" + hash + "' is not 64 lowercase hex digits");
  }
  std::string bytes;
  rocksdb::Status st =
      impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(kArtifacts), hash.str(), &bytes);
  if (st.IsNotFound()) return Status::NotFound("artifact " + hash + " is not in the store");
  S1MPLE_RETURN_IF_ERROR(FromRocks(st, "reading artifact " + hash));
  // Content addressing doubles as a checksum: never hand out bytes that are not the hash.
  if (Sha256Hex(bytes) != hash) {
    return Status::Corruption("artifact " + hash + " in the store does not match its hash");
  }
  return bytes;
}

bool JobStore::HasArtifact(const ArtifactHash& hash) const {
  if (!IsSha256Hex(hash)) return false;
  rocksdb::PinnableSlice value;
  return impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(kArtifacts), hash.str(), &value).ok();
}

std::uint64_t JobStore::ApproximateDiskBytes() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(impl_->dir_, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

Status JobStore::CompactAll() {
  // Under mu_: the memtable switches of these compactions never run next to a failing write
  // (store/wal_guard.h). Blocks mutations meanwhile; CompactAll is for tests and maintenance.
  MutexLock lock(&impl_->mu_);
  S1MPLE_RETURN_IF_ERROR(impl_->CheckWritable());
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* h : impl_->handles_) {
    S1MPLE_RETURN_IF_ERROR(
        FromRocks(impl_->db_->CompactRange(co, h, nullptr, nullptr), "compacting the store"));
  }
  return Status::Ok();
}

}  // namespace s1mple::store
