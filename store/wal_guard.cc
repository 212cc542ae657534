#include "store/wal_guard.h"

#include <string_view>

#include "store/store_impl.h"

namespace s1mple::store {

Status WalGuard::BeginSync() {
  MutexLock lock(&mu_);
  if (failure_) return *failure_;
  syncing_ = true;
  return Status::Ok();
}

void WalGuard::EndSync() {
  {
    MutexLock lock(&mu_);
    syncing_ = false;
  }
  cv_.SignalAll();
}

std::optional<Status> WalGuard::failure() const {
  MutexLock lock(&mu_);
  return failure_;
}

void WalGuard::OnWriteFailed(const rocksdb::IOStatus& error) {
  MutexLock lock(&mu_);
  if (!failure_) {
    failure_ = FromRocks(
        error, "store " + dir_ + " stopped writing after a failed write to its write-ahead log");
  }
  // A SyncWAL() under way checked this WAL before the failure: let it finish first. Only the
  // first failure can wait (no sync starts after it), and the committer never needs the
  // store's mutex or RocksDB locks that a writer holds here to end its sync.
  while (syncing_) cv_.Wait();
}

namespace {

class GuardedWal final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  GuardedWal(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<WalGuard> guard)
      : FSWritableFileOwnerWrapper(std::move(file)), guard_(std::move(guard)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return Check(target()->Append(data, options, dbg));
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return Check(target()->Append(data, options, info, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    return Check(target()->PositionedAppend(data, offset, options, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    return Check(target()->PositionedAppend(data, offset, options, info, dbg));
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Check(target()->Flush(options, dbg));
  }

 private:
  rocksdb::IOStatus Check(rocksdb::IOStatus s) {
    if (!s.ok()) guard_->OnWriteFailed(s);
    return s;
  }
  std::shared_ptr<WalGuard> guard_;
};

bool IsWalFile(std::string_view name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".log";
}

class WalGuardFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  WalGuardFileSystem(std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<WalGuard> guard)
      : FileSystemWrapper(std::move(base)), guard_(std::move(guard)) {}
  const char* Name() const override { return "S1mpleWalGuardFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return Wrap(f, target()->NewWritableFile(f, opts, r, dbg), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return Wrap(f, target()->ReopenWritableFile(f, opts, r, dbg), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return Wrap(f, target()->ReuseWritableFile(f, old, opts, r, dbg), r);
  }

 private:
  rocksdb::IOStatus Wrap(const std::string& name, rocksdb::IOStatus s,
                         std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok() && IsWalFile(name)) *r = std::make_unique<GuardedWal>(std::move(*r), guard_);
    return s;
  }
  std::shared_ptr<WalGuard> guard_;
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewWalGuardFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<WalGuard> guard) {
  return std::make_shared<WalGuardFileSystem>(std::move(base), std::move(guard));
}

}  // namespace s1mple::store
