// Opening a store: directory checks, RocksDB options, format marker, loading the in-memory
// indexes, and the committer thread that syncs the WAL for everyone (group commit).
#include <rocksdb/cache.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>

#include "common/atomic_file.h"
#include "store/disk_budget_fs.h"
#include "store/info_log.h"
#include "store/store_impl.h"
#include "store/wal_guard.h"

namespace s1mple::store {
namespace fs = std::filesystem;

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsNoSpace() || msg.find("No space left on device") != std::string::npos) {
    return Status::NoSpace(msg + " (free disk space, then reopen the store: restart the broker)");
  }
  if (s.IsIOError()) return Status::IOError(msg);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return Status::InvalidArgument(msg);
  return Status::Internal(msg);
}

JobStore::Impl::Impl(std::string dir, Options options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  clock_ = options_.clock ? options_.clock : std::make_shared<SystemClock>();
}

JobStore::Impl::~Impl() {
  {
    MutexLock lock(&sync_mu_);
    stop_ = true;
  }
  sync_cv_.SignalAll();
  if (committer_.joinable()) committer_.join();
  if (db_) {
    for (auto* h : handles_) {
      if (h != nullptr) (void)db_->DestroyColumnFamilyHandle(h);
    }
    (void)db_->Close();
  }
  if (info_log_) (void)info_log_->Close();
}

namespace {

rocksdb::ColumnFamilyOptions CfOptions(Cf which, const Options& o,
                                       const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  bool big = which == kJobs || which == kResults || which == kArtifacts;
  cf.write_buffer_size = (big ? o.write_buffer_mib : 4) << 20;
  cf.max_write_buffer_number = 2;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.block_size = which == kArtifacts ? 64 << 10 : 16 << 10;
  if (which == kJobs || which == kResults || which == kArtifacts) {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  if (which == kJobs || which == kDispatch || which == kLeases || which == kResults) {
    // One batch touches runs of consecutive keys of one sweep: hinted memtable inserts.
    cf.memtable_insert_with_hint_prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(codec::kSweepIdLength));
  }
  return cf;
}

rocksdb::DBOptions DbOptions(const Options& o, rocksdb::Env* env) {
  rocksdb::DBOptions db;
  if (env != nullptr) db.env = env;
  db.paranoid_checks = true;
  db.max_background_jobs = 2;
  // Forces flushes of rarely written column families so old WAL files can go.
  db.max_total_wal_size = 4 * (o.write_buffer_mib << 20);
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  return db;
}

std::string FirstEntryName(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) return e.path().filename().string();
  return {};
}

// Writes the marker file atomically and durably (common/atomic_file.h).
Status WriteMarker(const fs::path& marker) {
  return WriteFileAtomically(marker, std::string(kFormatValue) + "\n");
}

// True when a RocksDB open error means another holder of the LOCK file.
bool IsLockError(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  std::string m = s.ToString();
  return m.find("LOCK") != std::string::npos || m.find("lock") != std::string::npos;
}

}  // namespace

Status JobStore::Impl::CheckWritable() const {
  if (options_.read_only) {
    return Status::FailedPrecondition("store " + dir_ + " was opened read-only");
  }
  // After a failed WAL write nothing more is written (RocksDB's own recovery paths, e.g. a
  // memtable switch for CompactRange, would trip over the failed WAL writer too): the store
  // refuses with that error until it is reopened.
  if (wal_guard_) {
    if (std::optional<Status> failed = wal_guard_->failure()) return *failed;
  }
  return Status::Ok();
}

Status JobStore::Impl::OpenDb() {
  std::error_code ec;
  const fs::path dir(dir_);
  bool exists = fs::exists(dir, ec);
  if (!exists) {
    if (!options_.create_if_missing || options_.read_only) {
      return Status::NotFound("store " + dir_ + " does not exist");
    }
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create store directory " + dir_ + ": " + ec.message());
  } else if (!fs::is_directory(dir, ec)) {
    return Status::Corruption(dir_ + " is not an s1mple store: it is not a directory");
  }
  // Our own marker file is written (and synced) before RocksDB creates anything, so a store
  // whose creation was interrupted is recognised as ours and completed, and a directory
  // without it is never touched.
  const fs::path marker = dir / kMarkerFile;
  bool ours = fs::exists(marker, ec);
  bool has_db = fs::exists(dir / "CURRENT", ec);
  // A creation killed while it wrote the marker leaves only the marker's temporary file
  // (common/atomic_file.h): that directory is still an empty one, so creation starts over.
  const fs::path marker_tmp = dir / (std::string(kMarkerFile) + ".tmp");
  if (!ours && !has_db && !options_.read_only && fs::exists(marker_tmp, ec)) {
    bool only_tmp = true;
    for (const auto& e : fs::directory_iterator(dir, ec))
      only_tmp = only_tmp && e.path() == marker_tmp;
    if (only_tmp) fs::remove(marker_tmp, ec);
  }
  if (!ours && (has_db || !fs::is_empty(dir, ec))) {
    return Status::Corruption(dir_ + " is not an s1mple store: it holds other files (e.g. '" +
                              FirstEntryName(dir) + "') and no " + kMarkerFile +
                              " marker; use an empty or new directory");
  }
  if (!ours) {
    if (options_.read_only) return Status::NotFound("store " + dir_ + " does not exist");
    S1MPLE_RETURN_IF_ERROR(WriteMarker(marker));
  }

  std::shared_ptr<rocksdb::FileSystem> fs = rocksdb::FileSystem::Default();
  if (options_.disk_budget) fs = NewDiskBudgetFileSystem(std::move(fs), options_.disk_budget);
  // Outermost, so that it also sees the disk budget's failures (store/wal_guard.h).
  wal_guard_ = std::make_shared<WalGuard>(dir_);
  env_ = rocksdb::NewCompositeEnv(NewWalGuardFileSystem(std::move(fs), wal_guard_));
  block_cache_ = rocksdb::NewLRUCache(options_.memory_mib << 20);
  rocksdb::DBOptions dbo = DbOptions(options_, env_.get());
  // RocksDB's LOG written by us, so that a full disk cannot abort the process through it
  // (store/info_log.h). A read-only open appends to the writer's LOG and never rotates it.
  info_log_ = NewInfoLog(InfoLogOptions{(dir / "LOG").string(), dbo.info_log_level,
                                        options_.read_only ? std::size_t{0} : 4 << 20});
  dbo.info_log = info_log_;
  // Memtables of all column families together are charged to the block cache and flushed past
  // half of it: one memory bound for the whole store.
  dbo.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>((options_.memory_mib << 20) / 2, block_cache_);
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;  // completes an interrupted creation
  if (has_db) {
    std::vector<std::string> names;
    rocksdb::Status ls = rocksdb::DB::ListColumnFamilies(dbo, dir_, &names);
    if (!ls.ok()) {
      return Status::Corruption("store " + dir_ + " is damaged (" + ls.ToString() +
                                "); restore it from a backup or delete the directory");
    }
    std::set<std::string> known(kCfNames.begin(), kCfNames.end());
    for (const std::string& n : names) {
      if (!known.contains(n)) {
        return Status::Corruption("store " + dir_ + " has an unknown column family '" + n +
                                  "': not written by this format; use an empty or new directory");
      }
    }
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (std::size_t i = 0; i < kNumCf; ++i) {
    cfs.emplace_back(kCfNames[i], CfOptions(static_cast<Cf>(i), options_, block_cache_));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = options_.read_only
                           ? rocksdb::DB::OpenForReadOnly(dbo, dir_, cfs, &handles, &raw)
                           : rocksdb::DB::Open(dbo, dir_, cfs, &handles, &raw);
  if (!st.ok()) {
    if (IsLockError(st)) {
      return Status::FailedPrecondition(
          "store " + dir_ +
              " is in use by another process (its LOCK is held): stop the other s1mple broker or "
              "sweep using it, or point this one at a different store directory",
          Status::SubCode::kLockHeld);
    }
    if (st.IsCorruption()) {
      return Status::Corruption("store " + dir_ + " is damaged (" + st.ToString() +
                                "); restore it from a backup or delete the directory");
    }
    return FromRocks(st, "opening store " + dir_);
  }
  db_.reset(raw);
  for (std::size_t i = 0; i < kNumCf; ++i) handles_[i] = handles[i];

  // The format marker: written once when the store is created, checked on every open.
  std::string format;
  st = db_->Get(rocksdb::ReadOptions(), cf(kMeta), kFormatKey, &format);
  if (st.IsNotFound() && !options_.read_only) {  // new, or its creation was interrupted
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, cf(kMeta), kFormatKey, kFormatValue),
                     "writing the format marker of " + dir_);
  }
  if (st.IsNotFound()) {
    return Status::Corruption("store " + dir_ + " has no format marker (creation interrupted)");
  }
  S1MPLE_RETURN_IF_ERROR(FromRocks(st, "reading the format marker of " + dir_));
  if (format != kFormatValue) {
    return Status::Corruption("store " + dir_ + " has format '" + format + "', this build reads '" +
                              kFormatValue + "'");
  }
  return Status::Ok();
}

void JobStore::Impl::StartCommitter() {
  if (options_.read_only || options_.sync == SyncPolicy::kNone) return;
  committer_ = std::thread([this] {
    for (;;) {
      std::deque<std::function<void(Status)>> batch;
      {
        MutexLock lock(&sync_mu_);
        while (!stop_ && waiters_.empty()) sync_cv_.Wait();
        if (waiters_.empty()) return;  // stop_ and nothing left to sync
        batch.swap(waiters_);
      }
      // Every write made before its waiter was queued is in the WAL file: one fsync covers
      // all of them. Never after a failed WAL write (store/wal_guard.h): the waiters get that
      // failure, as their writes cannot be made durable any more.
      Status st = wal_guard_->BeginSync();
      if (st.ok()) {
        st = FromRocks(db_->SyncWAL(), "syncing the store's write-ahead log");
        wal_guard_->EndSync();
      }
      for (auto& fn : batch) fn(st);
    }
  });
}

void JobStore::Impl::AfterSync(std::function<void(Status)> fn) {
  if (!committer_.joinable()) {
    fn(Status::Ok());  // SyncPolicy::kNone: the write already reached the OS
    return;
  }
  {
    MutexLock lock(&sync_mu_);
    waiters_.push_back(std::move(fn));
  }
  sync_cv_.Signal();
}

Status JobStore::Impl::WaitDurable() {
  if (!committer_.joinable()) return Status::Ok();
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> done = promise->get_future();
  AfterSync([promise](Status st) { promise->set_value(std::move(st)); });
  return done.get();
}

namespace {

Status LoadSweeps(JobStore::Impl& s) REQUIRES(s.mu_) {
  std::unique_ptr<rocksdb::Iterator> it(s.db_->NewIterator(rocksdb::ReadOptions(), s.cf(kSweeps)));
  for (it->Seek(std::string(1, codec::kMetaTag)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.empty() || key[0] != codec::kMetaTag) break;
    JobStore::Impl::SweepMem mem;
    S1MPLE_RETURN_IF_ERROR(
        codec::DecodeSweepMeta(std::string_view(it->value().data(), it->value().size()), &mem.info)
            .WithContext(s.dir_));
    std::string counts;
    rocksdb::Status st = s.db_->Get(rocksdb::ReadOptions(), s.cf(kSweeps),
                                    codec::SweepCountsKey(mem.info.id), &counts);
    if (st.ok()) {
      S1MPLE_RETURN_IF_ERROR(codec::DecodeCounts(counts, &mem.info.counts)
                                 .WithContext(s.dir_ + ": sweep " + mem.info.id));
    } else if (!st.IsNotFound()) {
      return FromRocks(st, "reading counters of sweep " + mem.info.id);
    }
    s.sweeps_.emplace(mem.info.id, std::move(mem));
  }
  return FromRocks(it->status(), "loading sweeps of " + s.dir_);
}

Status LoadLeases(JobStore::Impl& s) REQUIRES(s.mu_) {
  std::unique_ptr<rocksdb::Iterator> it(s.db_->NewIterator(rocksdb::ReadOptions(), s.cf(kLeases)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::optional<JobIndex> index = codec::IndexOfJobKey(key);
    if (!index) return Status::Corruption(s.dir_ + ": malformed key in the lease index");
    Lease lease;
    S1MPLE_RETURN_IF_ERROR(
        codec::DecodeLease(std::string_view(it->value().data(), it->value().size()), &lease)
            .WithContext(s.dir_));
    SweepId sweep(key.substr(0, codec::kSweepIdLength));
    s.deadlines_.insert({lease.deadline_ms, sweep, *index});
    s.leases_.emplace(JobRef{sweep, *index}, std::move(lease));
  }
  return FromRocks(it->status(), "loading leases of " + s.dir_);
}

}  // namespace

Result<std::unique_ptr<JobStore>> JobStore::Open(const std::string& dir, Options options) {
  auto impl = std::make_unique<Impl>(dir, std::move(options));
  try {
    S1MPLE_RETURN_IF_ERROR(impl->OpenDb());
    // No other thread sees the store yet; the lock costs nothing and keeps one rule: the
    // in-memory index is only touched under mu_.
    MutexLock lock(&impl->mu_);
    S1MPLE_RETURN_IF_ERROR(LoadSweeps(*impl));
    S1MPLE_RETURN_IF_ERROR(LoadLeases(*impl));
  } catch (const std::exception& e) {  // std::filesystem, allocation
    return Status::Internal("opening store " + dir + ": " + e.what());
  }
  impl->StartCommitter();
  return std::unique_ptr<JobStore>(new JobStore(std::move(impl)));
}

}  // namespace s1mple::store
