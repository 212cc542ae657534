// Internal to store/: keeps the committer's SyncWAL() away from a write-ahead log that had a
// failed write.
//
// Why: when an append to the WAL fails (full disk: ENOSPC), RocksDB's WritableFileWriter for that
// WAL remembers the error, and any later SyncWithoutFlush() on it -- which is what
// DB::SyncWAL() calls, without looking at the database's background error first -- trips the
// assertion `sync_without_flush_called_` in
// WritableFileWriter::AssertFalseAndGetStatusForPrevError(). Debian's librocksdb 7.8.3 is built
// with assertions, so the process aborts. Our group commit calls SyncWAL() from the committer
// thread while other threads write, so "thread A's batch is written and waits for the sync, thread
// B's write fails, the committer syncs for A" is a normal sequence on a full disk
// (StoreDiskFull.RealTmpfsFillsUpUnderConcurrentWriters aborted this way). The guard makes that
// sequence impossible: a WAL file wrapper reports every failed write, after which the committer
// never calls SyncWAL() again; a failed write that races with a SyncWAL() already under way waits
// (in the failing writer's thread) until that sync returned, so the failure never becomes visible
// inside a SyncWAL().
#pragma once

#include <rocksdb/file_system.h>

#include <memory>
#include <optional>

#include "common/status.h"
#include "common/thread_annotations.h"

namespace s1mple::store {

class WalGuard {
 public:
  explicit WalGuard(std::string dir) : dir_(std::move(dir)) {}

  // The committer, before SyncWAL(): Ok (and a sync is now under way) unless a WAL write has
  // failed, then that failure (do not sync). Every Ok must be followed by EndSync().
  Status BeginSync();
  void EndSync();
  // The error of the first failed WAL write, if any: the store refuses every mutation with it
  // until it is reopened.
  std::optional<Status> failure() const;

  // Called by the WAL file wrapper when a write to a WAL file failed. Waits while a sync is
  // under way (it must not see this failure), then makes BeginSync refuse from now on.
  void OnWriteFailed(const rocksdb::IOStatus& error);

 private:
  const std::string dir_;
  mutable Mutex mu_;
  CondVar cv_{&mu_};
  bool syncing_ GUARDED_BY(mu_) = false;
  std::optional<Status> failure_ GUARDED_BY(mu_);
};

// A FileSystem that wraps every write-ahead log file (name ending in ".log") it creates so that a
// failed Append, PositionedAppend or Flush is reported to `guard` before RocksDB sees it.
std::shared_ptr<rocksdb::FileSystem> NewWalGuardFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<WalGuard> guard);

}  // namespace s1mple::store
