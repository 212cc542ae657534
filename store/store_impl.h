// Internal to store/: JobStore::Impl, the RocksDB handles and the in-memory indexes that
// mirror what is on disk (sweep infos with counters, leases by deadline, dispatch cursors).
// Memory is only changed after the WriteBatch that carries the same change was written.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "store/codec.h"
#include "store/job_store.h"

namespace s1mple::store {

class WalGuard;

// Column families, in the order they are opened (docs/STORE.md).
enum Cf : std::size_t { kMeta, kSweeps, kJobs, kDispatch, kLeases, kResults, kArtifacts, kNumCf };
inline constexpr std::array<const char*, kNumCf> kCfNames = {
    "default", "sweeps", "jobs", "dispatch", "leases", "results", "artifacts"};

// A file in the store directory that says "this directory is an s1mple store".
inline constexpr char kMarkerFile[] = "S1MPLE_STORE";
inline constexpr char kFormatKey[] = "s1mple.format";
inline constexpr char kFormatValue[] = "s1mple-store 1";

// Turns a RocksDB status into ours, with `what` (the operation) in front.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

using JobRef = std::pair<SweepId, JobIndex>;

class JobStore::Impl {
 public:
  struct SweepMem {
    SweepInfo info;
    // Every PENDING job with index >= cursor is found by scanning the dispatch index from
    // cursor; PENDING jobs below it (returned by a retry) are listed in `retry`.
    JobIndex cursor = 0;
    std::set<JobIndex> retry;
  };

  class Txn;  // one WriteBatch being built under mu_ (store_txn.cc)

  Impl(std::string dir, Options options);
  ~Impl();

  Status OpenDb();  // store_open.cc
  void StartCommitter();

  // Blocks until every write made before the call is durable (Options::sync).
  Status WaitDurable();
  // Queues fn to run on the committer thread after the next sync.
  void AfterSync(std::function<void(Status)> fn);

  Status CheckWritable() const;
  UnixMillis Now() const { return clock_->NowMs(); }
  rocksdb::ColumnFamilyHandle* cf(Cf which) const { return handles_[which]; }

  // Transitions, used by the public methods and Apply (store_jobs.cc). Need mu_ held.
  Result<std::vector<Outcome>> ApplyLocked(std::span<const Transition> transitions);
  // Ends the leases of refs as retryable failures: counted against max_attempts (expiry,
  // runner lost) or not (orphans of a crashed session).
  Result<std::vector<EndedLease>> EndLeasesLocked(const std::vector<JobRef>& refs,
                                                  std::string_view reason, bool counted);

  Result<SweepMem*> FindSweep(const SweepId& id) REQUIRES(mu_);
  Result<const SweepMem*> FindSweep(const SweepId& id) const REQUIRES(mu_);

  const std::string dir_;
  const Options options_;
  std::shared_ptr<const Clock> clock_;
  std::unique_ptr<rocksdb::Env> env_;    // our file system: WAL guard (+ disk budget in tests)
  std::shared_ptr<WalGuard> wal_guard_;  // store/wal_guard.h
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::shared_ptr<rocksdb::Logger> info_log_;  // RocksDB's LOG (store/info_log.h)
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kNumCf> handles_{};

  // Serializes every read-decide-write; guards everything below it.
  mutable Mutex mu_;
  std::map<SweepId, SweepMem> sweeps_ GUARDED_BY(mu_);
  std::map<JobRef, Lease> leases_ GUARDED_BY(mu_);
  std::set<std::tuple<UnixMillis, SweepId, JobIndex>> deadlines_ GUARDED_BY(mu_);

  // The committer thread: syncs the WAL for everyone waiting (group commit).
  Mutex sync_mu_;
  CondVar sync_cv_{&sync_mu_};
  std::deque<std::function<void(Status)>> waiters_ GUARDED_BY(sync_mu_);
  bool stop_ GUARDED_BY(sync_mu_) = false;
  std::thread committer_;
};

// The changes one operation makes, collected under mu_ and written as one WriteBatch.
// Later steps of the same Txn see earlier ones (job records and sweep infos are overlaid).
class JobStore::Impl::Txn {
 public:
  explicit Txn(Impl& store) : s_(store) {}

  // The job's record as this Txn sees it; nullptr when the job does not exist (or the sweep
  // is unknown). Corruption when the stored record does not decode.
  Result<codec::JobRecord*> Job(const SweepId& sweep, JobIndex index);
  // Reads the records of many jobs at once (one sorted MultiGet) so that the Job() calls that
  // follow hit the overlay. Unknown sweeps and indexes are skipped.
  Status Prefetch(std::vector<JobRef> refs);
  // Marks the job record as changed (written at Commit).
  void Touch(const SweepId& sweep, JobIndex index);
  // The sweep's info as this Txn sees it (a copy until Commit); nullptr if unknown.
  SweepInfo* Sweep(const SweepId& sweep);
  void TouchMeta(const SweepId& sweep);

  // Moves one job of `sweep` between states in the counters.
  void Count(const SweepId& sweep, std::optional<JobState> from, JobState to);
  void AddPending(const SweepId& sweep, JobIndex index);
  void RemovePending(const SweepId& sweep, JobIndex index);
  void PutLease(const SweepId& sweep, JobIndex index, const Lease& lease);
  void RemoveLease(const SweepId& sweep, JobIndex index);
  void AdvanceCursor(const SweepId& sweep, JobIndex cursor);

  rocksdb::WriteBatch& batch() { return batch_; }
  bool empty() const { return batch_.Count() == 0 && jobs_.empty() && sweeps_.empty(); }

  // Writes the batch (not synced) and, if that worked, applies the changes to memory.
  Status Commit();

 private:
  struct JobSlot {
    codec::JobRecord record;
    bool exists = false;
    bool dirty = false;
  };
  struct SweepSlot {
    SweepInfo info;
    bool counts_dirty = false;
    bool meta_dirty = false;
  };
  Impl& s_;
  rocksdb::WriteBatch batch_;
  std::map<JobRef, JobSlot> jobs_;
  std::map<SweepId, SweepSlot> sweeps_;
  // Applied to memory in order at Commit.
  std::vector<std::pair<JobRef, std::optional<Lease>>> lease_ops_;
  std::vector<std::pair<JobRef, bool>> pending_ops_;  // true = became PENDING
  std::map<SweepId, JobIndex> cursors_;
};

}  // namespace s1mple::store
