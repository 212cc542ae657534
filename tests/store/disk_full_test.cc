// A full disk: a clear IOError, nothing committed damaged, and the store usable after reopen.
// Mostly simulated with Options::disk_budget (a RocksDB FileSystem wrapper that fails appends
// with ENOSPC once the budget is spent), which needs no privileges; the RealTmpfs tests fill a
// real 2-3 MiB tmpfs when the test runs as root and may mount (skipped otherwise).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "store/job_store.h"
#include "tests/store/store_test_util.h"

namespace s1mple::store {
namespace {

using testing::ExpectConsistent;
using testing::TempDir;

TEST(StoreDiskFull, WriteOnFullDiskFailsClearlyAndCommittedDataSurvives) {
  TempDir dir;
  auto budget = std::make_shared<DiskBudget>(std::int64_t{1} << 40);
  SweepId sw;
  {
    Options o;
    o.disk_budget = budget;
    Result<std::unique_ptr<JobStore>> opened = JobStore::Open(dir.str(), o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    JobStore& store = **opened;
    sw = testing::MakeSweep(store, 20);
    Result<std::vector<LeasedJob>> jobs = store.LeaseNext(sw, "r", 10, 60'000);
    ASSERT_EQ(jobs->size(), 10u);
    for (JobIndex i = 0; i < 5; ++i) {
      ASSERT_EQ(*store.Complete(sw, i, 1, "r", "ok" + std::to_string(i)), Outcome::kDone);
    }

    EXPECT_TRUE(store.WriteStatus().ok());
    budget->Set(0);  // the disk is full
    Result<Outcome> full = store.Complete(sw, 5, 1, "r", "lost");
    ASSERT_FALSE(full.ok());
    EXPECT_TRUE(full.status().IsIOError()) << full.status().ToString();
    EXPECT_NE(full.status().message().find("No space left on device"), std::string::npos)
        << full.status().ToString();
    // Reads still work and show nothing of the failed write.
    EXPECT_EQ(*store.GetResult(sw, 4), "ok4");
    EXPECT_TRUE(store.GetResult(sw, 5).status().IsNotFound());
    EXPECT_EQ(store.Counts(sw)->done, 5u);
    // The store says why it stopped writing (a progress line shows it).
    EXPECT_TRUE(store.WriteStatus().IsIOError()) << store.WriteStatus().ToString();
    EXPECT_NE(store.WriteStatus().message().find("No space left on device"), std::string::npos)
        << store.WriteStatus().ToString();
    // Further writes keep failing cleanly, also sweep-level ones.
    EXPECT_FALSE(store.AddJobs(sw, 20, testing::Overrides(1)).ok());
    EXPECT_FALSE(store.PutArtifact("blob").ok());
    // Space is freed. RocksDB stays stopped after the failed WAL write (its background error),
    // so the store keeps refusing writes -- clearly -- until it is reopened.
    budget->Set(std::int64_t{1} << 40);
    Result<Outcome> after = store.Complete(sw, 6, 1, "r", "still refused");
    std::cout << "after freeing space: " << after.status().ToString() << std::endl;
    EXPECT_FALSE(after.ok());
    EXPECT_TRUE(after.status().IsIOError()) << after.status().ToString();
  }
  {
    // RocksDB's warnings go to the store's LOG through the store's own logger (info_log.h).
    std::ifstream log(dir.path() / "store" / "LOG");
    std::string all((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(all.find("[WARN]"), std::string::npos) << all;
    EXPECT_NE(all.find("No space left on device"), std::string::npos) << all;
  }
  Result<std::unique_ptr<JobStore>> reopened = JobStore::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  JobStore& store = **reopened;
  EXPECT_TRUE(store.WriteStatus().ok()) << "reopened after space was freed";
  for (JobIndex i = 0; i < 5; ++i) EXPECT_EQ(*store.GetResult(sw, i), "ok" + std::to_string(i));
  EXPECT_TRUE(store.GetResult(sw, 5).status().IsNotFound());
  ExpectConsistent(store, sw);
  // Job 5 is still leased to "r" and can now be completed.
  EXPECT_EQ(*store.Complete(sw, 5, 1, "r", "ok5"), Outcome::kDone);
  ExpectConsistent(store, sw);
}

// The group-commit race on a full disk, made deterministic: batch 1 is written and waits for
// the committer's sync, then another write fails on the full disk, then the committer gets to
// batch 1. RocksDB's SyncWAL() on the WAL whose append just failed aborts the process (an
// assertion in Debian's librocksdb); the store must instead hand batch 1 the failure
// (store/wal_guard.h). The committer is held up by batch 0's callback, which runs on it.
TEST(StoreDiskFull, SyncAfterAFailedWalWriteReportsTheFailureInsteadOfAborting) {
  TempDir dir;
  auto budget = std::make_shared<DiskBudget>(std::int64_t{1} << 40);
  SweepId sw;
  {
    Options o;
    o.disk_budget = budget;
    Result<std::unique_ptr<JobStore>> opened = JobStore::Open(dir.str(), o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    JobStore& store = **opened;
    sw = testing::MakeSweep(store, 4);
    ASSERT_EQ(store.LeaseNext(sw, "r", 4, 60'000)->size(), 4u);

    std::promise<void> committer_held, release_committer;
    std::promise<Result<std::vector<Outcome>>> batch0, batch1;
    std::vector<Transition> t0{CompleteOp{sw, 0, 1, "r", "ok0"}};
    ASSERT_TRUE(store
                    .ApplyAsync(t0,
                                [&](Result<std::vector<Outcome>> r) {
                                  committer_held.set_value();
                                  release_committer.get_future().wait();
                                  batch0.set_value(std::move(r));
                                })
                    .ok());
    committer_held.get_future().wait();  // batch 0 is synced; the committer waits in its callback
    std::vector<Transition> t1{CompleteOp{sw, 1, 1, "r", "ok1"}};
    ASSERT_TRUE(
        store
            .ApplyAsync(t1, [&](Result<std::vector<Outcome>> r) { batch1.set_value(std::move(r)); })
            .ok());
    budget->Set(0);  // the disk is full
    Result<Outcome> failed = store.Complete(sw, 2, 1, "r", "lost");
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.status().message().find("No space left on device"), std::string::npos)
        << failed.status().ToString();
    release_committer.set_value();
    EXPECT_TRUE(batch0.get_future().get().ok());
    Result<std::vector<Outcome>> one = batch1.get_future().get();
    ASSERT_FALSE(one.ok()) << "batch 1 cannot be made durable after the failed WAL write";
    EXPECT_TRUE(one.status().IsIOError()) << one.status().ToString();
    EXPECT_NE(one.status().message().find("No space left on device"), std::string::npos)
        << one.status().ToString();
    // Every further mutation is refused with the same clear error, also after space is freed,
    // until the store is reopened.
    budget->Set(std::int64_t{1} << 40);
    Result<std::vector<LeasedJob>> lease = store.LeaseNext(sw, "r2", 1, 1000);
    ASSERT_FALSE(lease.ok());
    EXPECT_NE(lease.status().message().find("stopped writing after a failed write"),
              std::string::npos)
        << lease.status().ToString();
    EXPECT_FALSE(store.CompactAll().ok());
  }
  Result<std::unique_ptr<JobStore>> reopened = JobStore::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  JobStore& store = **reopened;
  EXPECT_EQ(*store.GetResult(sw, 0), "ok0");
  // Batch 1 reached the WAL in the OS (not synced): it survives a reopen without power loss.
  EXPECT_EQ(*store.GetResult(sw, 1), "ok1");
  EXPECT_TRUE(store.GetResult(sw, 2).status().IsNotFound());
  ExpectConsistent(store, sw);
  EXPECT_EQ(*store.Complete(sw, 2, 1, "r", "ok2"), Outcome::kDone);
}

TEST(StoreDiskFull, FullDiskDuringSubmissionLeavesAConsistentPrefix) {
  TempDir dir;
  auto budget = std::make_shared<DiskBudget>(std::int64_t{1} << 40);
  SweepId sw;
  std::uint64_t added = 0;
  {
    Options o;
    o.disk_budget = budget;
    o.sync = SyncPolicy::kNone;
    auto store = JobStore::Open(dir.str(), o).value();
    SweepSpec spec;
    spec.name = "big";
    sw = *store->CreateSweep(spec);
    budget->Set(200'000);  // room for a few chunks only
    for (int chunk = 0; chunk < 100; ++chunk) {
      Status st = store->AddJobs(sw, added, testing::Overrides(500, added));
      if (!st.ok()) {
        EXPECT_TRUE(st.IsIOError()) << st.ToString();
        break;
      }
      added += 500;
    }
    EXPECT_GT(added, 0u);
    EXPECT_LT(added, 50'000u);
    budget->Set(std::int64_t{1} << 40);
  }
  auto store = JobStore::Open(dir.str()).value();
  Result<SweepInfo> info = store->GetSweep(sw);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->job_count, added);  // whole chunks only
  EXPECT_EQ(info->state, SweepState::kSubmitting);
  ExpectConsistent(*store, sw);
  ASSERT_TRUE(store->AddJobs(sw, added, testing::Overrides(10, added)).ok());
  ASSERT_TRUE(store->SealSweep(sw, added + 10).ok());
}

// A tmpfs of a given size, unmounted at scope end. ok() is false when mounting is not allowed.
class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& at, std::size_t bytes) : at_(at) {
    std::filesystem::create_directories(at_);
    if (::geteuid() != 0) return;
    ok_ = ::mount("tmpfs", at_.c_str(), "tmpfs", 0, ("size=" + std::to_string(bytes)).c_str()) == 0;
  }
  ~Tmpfs() {
    if (ok_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  bool Resize(std::size_t bytes) {
    return ::mount("tmpfs", at_.c_str(), "tmpfs", MS_REMOUNT,
                   ("size=" + std::to_string(bytes)).c_str()) == 0;
  }

 private:
  std::filesystem::path at_;
  bool ok_ = false;
};

TEST(StoreDiskFull, RealTmpfsFillsUp) {
  // This used to abort the process about every second run: RocksDB's own info logger wrote its
  // LOG file onto the full tmpfs, and its next log line tripped an assertion compiled into
  // Debian's librocksdb (store/info_log.h has the story). It is why the store writes LOG itself.
  TempDir dir;
  Tmpfs fs(dir.path() / "mnt", 2 << 20);
  if (!fs.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and mount rights)";
  const std::string store_dir = (dir.path() / "mnt" / "store").string();
  SweepId sw;
  std::uint64_t added = 0;
  Status full;
  {
    Options o;
    o.write_buffer_mib = 1;
    Result<std::unique_ptr<JobStore>> opened = JobStore::Open(store_dir, o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    JobStore& store = **opened;
    SweepSpec spec;
    spec.name = "fills the disk";
    sw = *store.CreateSweep(spec);
    std::string pad(400, 'x');
    for (int chunk = 0; chunk < 200 && full.ok(); ++chunk) {
      std::vector<std::string> ov(200, pad);
      for (std::size_t i = 0; i < ov.size(); ++i) ov[i] += std::to_string(added + i);  // distinct
      full = store.AddJobs(sw, added, ov);
      if (full.ok()) added += ov.size();
    }
    ASSERT_FALSE(full.ok()) << "2 MiB never filled up";
    EXPECT_TRUE(full.IsIOError()) << full.ToString();
    EXPECT_NE(full.message().find("No space left on device"), std::string::npos) << full.ToString();
    EXPECT_EQ(store.GetSweep(sw)->job_count, added);  // memory did not move past the disk
  }
  ASSERT_TRUE(fs.Resize(64 << 20)) << std::strerror(errno);
  Result<std::unique_ptr<JobStore>> reopened = JobStore::Open(store_dir);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Result<SweepInfo> info = (*reopened)->GetSweep(sw);
  ASSERT_TRUE(info.ok());
  EXPECT_GE(info->job_count, added);  // every chunk reported committed is there
  EXPECT_LE(info->job_count, added + 200);
  ExpectConsistent(**reopened, sw);
  std::cout << "tmpfs filled after " << added << " jobs: " << full.ToString() << std::endl;
}

// result bytes of job `index`: ~1 KiB, distinct per job.
std::string ResultBytes(JobIndex index) {
  std::string r = testing::Named("result-", index) + ":";
  r.resize(1000, static_cast<char>('a' + index % 26));
  return r;
}

// A broker-like load when the real disk fills up: three threads complete results one by one
// (each waits for the group-commit sync, so a sync is often pending for one thread while
// another one's write fails) and one thread applies batches with ApplyAsync. Every thread stops
// at its first error, which must be the clear IOError; the process must not abort; every result
// reported durable is stored after space was freed.
TEST(StoreDiskFull, RealTmpfsFillsUpUnderConcurrentWriters) {
  TempDir dir;
  Tmpfs fs(dir.path() / "mnt", 3 << 20);
  if (!fs.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and mount rights)";
  const std::string store_dir = (dir.path() / "mnt" / "store").string();
  SweepId sw;
  std::mutex mu;
  std::vector<JobIndex> durable;  // results reported durable
  std::vector<Status> errors;     // the first error of each thread / async batch
  auto record_error = [&](const Status& st) {
    std::lock_guard lock(mu);
    errors.push_back(st);
  };
  {
    Options o;
    o.write_buffer_mib = 1;
    Result<std::unique_ptr<JobStore>> opened = JobStore::Open(store_dir, o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    JobStore& store = **opened;
    sw = testing::MakeSweep(store, 6000);
    ASSERT_FALSE(sw.empty());
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        const RunnerId runner = testing::Named("sync-", t);
        for (;;) {
          Result<std::vector<LeasedJob>> jobs = store.LeaseNext(sw, runner, 4, 600'000);
          if (!jobs.ok()) return record_error(jobs.status());
          if (jobs->empty()) return;
          for (const LeasedJob& j : *jobs) {
            Result<Outcome> out =
                store.Complete(sw, j.index, j.attempt, runner, ResultBytes(j.index));
            if (!out.ok()) return record_error(out.status());
            std::lock_guard lock(mu);
            durable.push_back(j.index);
          }
        }
      });
    }
    std::atomic<int> outstanding{0};
    threads.emplace_back([&] {
      for (;;) {
        Result<std::vector<LeasedJob>> jobs = store.LeaseNext(sw, "async", 8, 600'000);
        if (!jobs.ok()) return record_error(jobs.status());
        if (jobs->empty()) return;
        std::vector<Transition> batch;
        std::vector<JobIndex> indexes;
        for (const LeasedJob& j : *jobs) {
          batch.push_back(CompleteOp{sw, j.index, j.attempt, "async", ResultBytes(j.index)});
          indexes.push_back(j.index);
        }
        ++outstanding;
        Status st = store.ApplyAsync(batch, [&, indexes](Result<std::vector<Outcome>> r) {
          if (r.ok()) {
            std::lock_guard lock(mu);
            durable.insert(durable.end(), indexes.begin(), indexes.end());
          } else {
            record_error(r.status());
          }
          --outstanding;
        });
        if (!st.ok()) {
          --outstanding;
          return record_error(st);
        }
      }
    });
    for (auto& th : threads) th.join();
    while (outstanding.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_FALSE(errors.empty()) << "3 MiB never filled up";
    for (const Status& st : errors) {
      EXPECT_TRUE(st.IsIOError()) << st.ToString();
      EXPECT_NE(st.message().find("No space left on device"), std::string::npos) << st.ToString();
    }
    std::cout << durable.size() << " results durable before the tmpfs was full; first error: "
              << errors.front().ToString() << std::endl;
  }
  ASSERT_TRUE(fs.Resize(64 << 20)) << std::strerror(errno);
  Result<std::unique_ptr<JobStore>> reopened = JobStore::Open(store_dir);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  for (JobIndex index : durable) {
    Result<std::string> r = (*reopened)->GetResult(sw, index);
    ASSERT_TRUE(r.ok()) << "job " << index << " was reported durable: " << r.status().ToString();
    EXPECT_EQ(*r, ResultBytes(index));
  }
  ExpectConsistent(**reopened, sw);
}

}  // namespace
}  // namespace s1mple::store
