// A full disk: a clear IOError, nothing committed damaged, and the store usable after reopen.
// The disk is simulated with Options::disk_budget (a RocksDB FileSystem wrapper that fails
// appends with ENOSPC once the budget is spent), so the test needs no root or tmpfs.
#include <gtest/gtest.h>

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
    // Further writes keep failing cleanly, also sweep-level ones.
    EXPECT_FALSE(store.AddJobs(sw, 20, testing::Overrides(1)).ok());
    EXPECT_FALSE(store.PutArtifact("blob").ok());
    budget->Set(std::int64_t{1} << 40);  // space freed; the store is reopened
  }
  Result<std::unique_ptr<JobStore>> reopened = JobStore::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  JobStore& store = **reopened;
  for (JobIndex i = 0; i < 5; ++i) EXPECT_EQ(*store.GetResult(sw, i), "ok" + std::to_string(i));
  EXPECT_TRUE(store.GetResult(sw, 5).status().IsNotFound());
  ExpectConsistent(store, sw);
  // Job 5 is still leased to "r" and can now be completed.
  EXPECT_EQ(*store.Complete(sw, 5, 1, "r", "ok5"), Outcome::kDone);
  ExpectConsistent(store, sw);
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

}  // namespace
}  // namespace s1mple::store
