// Opening, sweeps (chunked submission, pause/resume/cancel/delete), reads and artifacts.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "common/sha256.h"
#include "store/job_store.h"
#include "tests/store/store_test_util.h"
#include "tests/support/process.h"

#ifndef STORE_CRASH_WRITER
#error "STORE_CRASH_WRITER (path of the store_crash_writer helper) must be defined"
#endif

namespace s1mple::store {
namespace {

using s1mple::Sha256Hex;
using testing::ExpectConsistent;
using testing::MakeSweep;
using testing::Overrides;
using testing::TempDir;

std::unique_ptr<JobStore> OpenOrDie(const std::string& dir, Options o = {}) {
  Result<std::unique_ptr<JobStore>> s = JobStore::Open(dir, std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(JobStoreOpen, CreatesAndReopensWithSweeps) {
  TempDir dir;
  SweepId sw;
  {
    auto store = OpenOrDie(dir.str());
    ASSERT_TRUE(store);
    sw = MakeSweep(*store, 5);
  }
  auto store = OpenOrDie(dir.str());
  ASSERT_TRUE(store);
  Result<SweepInfo> info = store->GetSweep(sw);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->job_count, 5u);
  EXPECT_EQ(info->counts.pending, 5u);
  EXPECT_EQ(info->state, SweepState::kActive);
  EXPECT_EQ(*store->GetPlan(sw), "plan: test");
}

TEST(JobStoreOpen, SecondOpenInSameProcessIsRefusedClearly) {
  TempDir dir;
  auto first = OpenOrDie(dir.str());
  Result<std::unique_ptr<JobStore>> second = JobStore::Open(dir.str());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsFailedPrecondition()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos);
}

TEST(JobStoreOpen, SecondProcessOpeningTheStoreGetsAClearError) {
  TempDir dir;
  auto first = OpenOrDie(dir.str());
  ASSERT_TRUE(first);
  s1mple::testing::CommandResult r = s1mple::testing::Run({STORE_CRASH_WRITER, "open", dir.str()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("in use by another process"), std::string::npos) << r.err;
  first.reset();
  r = s1mple::testing::Run({STORE_CRASH_WRITER, "open", dir.str()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(JobStoreOpen, ForeignDirectoryIsRefused) {
  TempDir dir;
  std::filesystem::create_directories(dir.str());
  std::ofstream(dir.str() + "/notes.txt") << "my thesis";
  Result<std::unique_ptr<JobStore>> s = JobStore::Open(dir.str());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("not an s1mple store"), std::string::npos);
  EXPECT_NE(s.status().message().find("notes.txt"), std::string::npos);
  // Nothing was written into it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.str()),
                          std::filesystem::directory_iterator()),
            1);
}

// kill -9 while the marker was being written leaves only S1MPLE_STORE.tmp: still an empty
// directory to us, so the store is created (StoreCrash found this). With anything else beside
// it the directory stays foreign.
TEST(JobStoreOpen, CreationKilledWhileWritingTheMarkerStartsOver) {
  TempDir dir;
  std::filesystem::create_directories(dir.str());
  std::ofstream(dir.str() + "/S1MPLE_STORE.tmp") << "s1mple";
  auto store = OpenOrDie(dir.str());
  ASSERT_TRUE(store);
  EXPECT_TRUE(std::filesystem::exists(dir.str() + "/S1MPLE_STORE"));
  EXPECT_FALSE(std::filesystem::exists(dir.str() + "/S1MPLE_STORE.tmp"));

  TempDir other;
  std::filesystem::create_directories(other.str());
  std::ofstream(other.str() + "/S1MPLE_STORE.tmp") << "s1mple";
  std::ofstream(other.str() + "/notes.txt") << "my thesis";
  Result<std::unique_ptr<JobStore>> s = JobStore::Open(other.str());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(other.str() + "/S1MPLE_STORE.tmp"));
}

TEST(JobStoreOpen, GarbageDatabaseFilesAreRefused) {
  TempDir dir;
  std::filesystem::create_directories(dir.str());
  std::ofstream(dir.str() + "/CURRENT") << "MANIFEST-000001\n";
  std::ofstream(dir.str() + "/MANIFEST-000001") << "this is not a manifest";
  Result<std::unique_ptr<JobStore>> s = JobStore::Open(dir.str());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
}

TEST(JobStoreOpen, DamagedManifestIsReportedAsDamage) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.str());
    ASSERT_TRUE(store);
    MakeSweep(*store, 10);
    ASSERT_TRUE(store->CompactAll().ok());
  }
  std::string manifest;
  for (const auto& e : std::filesystem::directory_iterator(dir.str())) {
    if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) manifest = e.path().string();
  }
  ASSERT_FALSE(manifest.empty());
  {
    std::fstream f(manifest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << std::string(64, '\x5a');
  }
  Result<std::unique_ptr<JobStore>> s = JobStore::Open(dir.str());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_NE(s.status().message().find(dir.str()), std::string::npos) << s.status().ToString();
}

TEST(JobStoreOpen, MissingStoreWithoutCreateIsNotFound) {
  TempDir dir;
  Options o;
  o.create_if_missing = false;
  EXPECT_TRUE(JobStore::Open(dir.str("nope"), o).status().IsNotFound());
}

TEST(JobStoreOpen, ReadOnlyOpenWorksNextToAWriterAndRefusesWrites) {
  TempDir dir;
  auto writer = OpenOrDie(dir.str());
  ASSERT_TRUE(writer);
  SweepId sw = MakeSweep(*writer, 3);
  ASSERT_TRUE(writer->CompactAll().ok());
  Options o;
  o.read_only = true;
  auto reader = OpenOrDie(dir.str(), o);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->GetSweep(sw)->job_count, 3u);
  EXPECT_EQ(reader->GetJob(sw, 2)->overrides, "{\"fast\":2}");
  EXPECT_TRUE(reader->LeaseNext(sw, "r", 1, 100).status().IsFailedPrecondition());
  EXPECT_TRUE(reader->PauseSweep(sw).IsFailedPrecondition());
}

TEST(JobStoreSweeps, ChunkedSubmissionContinuesAfterReopen) {
  TempDir dir;
  SweepId sw;
  {
    auto store = OpenOrDie(dir.str());
    SweepSpec spec;
    spec.name = "chunked";
    spec.plan_text = "plan";
    Result<SweepId> id = store->CreateSweep(spec);
    ASSERT_TRUE(id.ok());
    sw = *id;
    ASSERT_TRUE(store->AddJobs(sw, 0, Overrides(100)).ok());
    ASSERT_TRUE(store->AddJobs(sw, 100, Overrides(50, 100)).ok());
    // A chunk that does not continue where the sweep stands is refused.
    Status gap = store->AddJobs(sw, 200, Overrides(10, 200));
    EXPECT_TRUE(gap.IsFailedPrecondition());
    EXPECT_NE(gap.message().find("continue at index 150"), std::string::npos) << gap.message();
    EXPECT_TRUE(store->LeaseNext(sw, "r", 1, 10).status().IsFailedPrecondition());
  }  // "crash" before sealing
  auto store = OpenOrDie(dir.str());
  Result<SweepInfo> info = store->GetSweep(sw);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, SweepState::kSubmitting);
  EXPECT_EQ(info->job_count, 150u);
  ASSERT_TRUE(store->AddJobs(sw, 150, Overrides(50, 150)).ok());
  EXPECT_TRUE(store->SealSweep(sw, 150).IsFailedPrecondition());  // a chunk is missing
  ASSERT_TRUE(store->SealSweep(sw, 200).ok());
  EXPECT_EQ(store->GetSweep(sw)->state, SweepState::kActive);
  EXPECT_TRUE(store->AddJobs(sw, 200, Overrides(1, 200)).IsFailedPrecondition());
  EXPECT_EQ(store->GetJob(sw, 199)->overrides, "{\"fast\":199}");
  ExpectConsistent(*store, sw);
}

TEST(JobStoreSweeps, SweepIdsAreShortUniqueAndWellFormed) {
  TempDir dir;
  auto store = OpenOrDie(dir.str());
  std::set<SweepId> ids;
  for (int i = 0; i < 20; ++i) {
    SweepSpec spec;
    spec.name = testing::Named("s", i);
    Result<SweepId> id = store->CreateSweep(spec);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id->size(), 15u);
    EXPECT_EQ(id->str().substr(0, 3), "sw-");
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 20u);
}

TEST(JobStoreSweeps, EmptySweepIsDoneWhenSealed) {
  TempDir dir;
  auto store = OpenOrDie(dir.str());
  SweepId sw = MakeSweep(*store, 0);
  EXPECT_EQ(store->GetSweep(sw)->state, SweepState::kDone);
}

TEST(JobStoreSweeps, PauseResumeCancelFollowTheLifecycle) {
  TempDir dir;
  auto store = OpenOrDie(dir.str());
  SweepId sw = MakeSweep(*store, 4);
  EXPECT_TRUE(store->ResumeSweep(sw).IsFailedPrecondition());  // not paused
  ASSERT_TRUE(store->PauseSweep(sw).ok());
  EXPECT_EQ(store->GetSweep(sw)->state, SweepState::kPaused);
  EXPECT_TRUE(store->LeaseNext(sw, "r", 1, 100).status().IsFailedPrecondition());
  EXPECT_TRUE(store->Dispatchable().empty());
  ASSERT_TRUE(store->ResumeSweep(sw).ok());
  ASSERT_EQ(store->Dispatchable().size(), 1u);
  EXPECT_EQ(store->Dispatchable()[0].pending, 4u);
  Result<std::vector<LeasedJob>> leased = store->LeaseNext(sw, "r", 1, 100);
  ASSERT_EQ(leased->size(), 1u);
  ASSERT_TRUE(store->CancelSweep(sw).ok());
  EXPECT_EQ(store->GetSweep(sw)->state, SweepState::kCancelled);
  EXPECT_TRUE(store->ResumeSweep(sw).IsFailedPrecondition());
  EXPECT_TRUE(store->PauseSweep(sw).IsFailedPrecondition());
  EXPECT_TRUE(store->CancelSweep(sw).IsFailedPrecondition());
  EXPECT_TRUE(store->LeaseNext(sw, "r", 1, 100).status().IsFailedPrecondition());
  // Cancel is final: the job that was running when the sweep was cancelled delivers nothing.
  EXPECT_EQ(*store->Complete(sw, 0, 1, "r", "x"), Outcome::kRejected);
  EXPECT_FALSE(store->GetResult(sw, 0).ok());
  EXPECT_EQ(store->GetSweep(sw)->state, SweepState::kCancelled);
  EXPECT_TRUE(store->PauseSweep("sw-123456789abc").IsNotFound());
  ExpectConsistent(*store, sw);
}

TEST(JobStoreSweeps, ListFindAndDispatchable) {
  TempDir dir;
  auto clock = std::make_shared<ManualClock>();
  Options o;
  o.clock = clock;
  auto store = OpenOrDie(dir.str(), o);
  SweepId a = MakeSweep(*store, 2, 3, "plan A");
  clock->Advance(10);
  SweepId b = MakeSweep(*store, 2, 3, "plan B");
  clock->Advance(10);
  SweepId a2 = MakeSweep(*store, 2, 3, "plan A");
  std::vector<SweepInfo> all = store->ListSweeps();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, a);
  EXPECT_EQ(all[2].id, a2);
  std::vector<SweepInfo> same = store->FindSweepsByPlanHash(Sha256Hex("plan A"));
  ASSERT_EQ(same.size(), 2u);
  EXPECT_EQ(same[0].id, a2);  // newest first
  EXPECT_EQ(same[1].id, a);
  ASSERT_TRUE(store->PauseSweep(b).ok());
  std::vector<DispatchableSweep> d = store->Dispatchable();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, a);
  EXPECT_EQ(d[1].id, a2);
}

TEST(JobStoreSweeps, ScanResultsIsARangeScanInIndexOrder) {
  TempDir dir;
  auto store = OpenOrDie(dir.str());
  SweepId other = MakeSweep(*store, 5);
  SweepId sw = MakeSweep(*store, 10);
  Result<std::vector<LeasedJob>> jobs = store->LeaseNext(sw, "r", 10, 1000);
  std::vector<Transition> done;
  for (const LeasedJob& j : *jobs) {
    if (j.index % 2 == 0)
      done.push_back(CompleteOp{sw, j.index, j.attempt, "r", "res" + std::to_string(j.index)});
  }
  ASSERT_TRUE(store->Apply(done).ok());
  ASSERT_EQ(store->LeaseNext(other, "r", 5, 1000)->size(), 5u);
  ASSERT_EQ(*store->Complete(other, 3, 1, "r", "other"), Outcome::kDone);
  std::vector<JobIndex> seen;
  ASSERT_TRUE(store
                  ->ScanResults(sw, 3, 0,
                                [&](JobIndex i, std::string_view r) {
                                  EXPECT_EQ(r, "res" + std::to_string(i));
                                  seen.push_back(i);
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(seen, (std::vector<JobIndex>{4, 6, 8}));
  seen.clear();
  ASSERT_TRUE(store
                  ->ScanResults(sw, 0, 2,
                                [&](JobIndex i, std::string_view) {
                                  seen.push_back(i);
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(seen, (std::vector<JobIndex>{0, 2}));
  std::size_t jobs_seen = 0;
  ASSERT_TRUE(store
                  ->ScanJobs(sw, 0, 0,
                             [&](const JobInfo& j) {
                               EXPECT_EQ(j.state,
                                         j.index % 2 == 0 ? JobState::kDone : JobState::kLeased);
                               ++jobs_seen;
                               return true;
                             })
                  .ok());
  EXPECT_EQ(jobs_seen, 10u);
  EXPECT_TRUE(store->GetResult(sw, 1).status().IsNotFound());
}

TEST(JobStoreArtifacts, ContentAddressedPutGetHas) {
  TempDir dir;
  auto store = OpenOrDie(dir.str());
  const std::string bytes = "timestamp,open,high,low,close\n1,2,3,1,2\n";
  Result<ArtifactHash> h = store->PutArtifact(bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, Sha256Hex(bytes));
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(store->HasArtifact(*h));
  EXPECT_EQ(*store->GetArtifact(*h), bytes);
  EXPECT_EQ(*store->PutArtifact(bytes, *h), *h);  // idempotent, verified
  Result<ArtifactHash> bad = store->PutArtifact("other bytes", *h);
  EXPECT_TRUE(bad.status().IsCorruption()) << bad.status().ToString();
  EXPECT_FALSE(store->HasArtifact(Sha256Hex("never stored")));
  EXPECT_TRUE(store->GetArtifact(Sha256Hex("never stored")).status().IsNotFound());
  EXPECT_TRUE(store->GetArtifact("../etc/passwd").status().IsInvalidArgument());
}

TEST(JobStoreArtifacts, SweepNeedsItsBaseArtifactsStored) {
  TempDir dir;
  auto store = OpenOrDie(dir.str());
  SweepSpec spec;
  spec.name = "needs data";
  spec.base_artifacts["data"] = Sha256Hex("missing");
  Result<SweepId> id = store->CreateSweep(spec);
  EXPECT_TRUE(id.status().IsNotFound());
  EXPECT_NE(id.status().message().find("'data'"), std::string::npos);
  ASSERT_TRUE(store->PutArtifact("missing").ok());
  EXPECT_TRUE(store->CreateSweep(spec).ok());
}

TEST(JobStoreDelete, DeletingASweepFreesItsSpaceAndUnsharedArtifacts) {
  TempDir dir;
  Options o;
  o.sync = SyncPolicy::kNone;
  auto store = OpenOrDie(dir.str(), o);
  ArtifactHash shared = *store->PutArtifact("shared blueprint");
  ArtifactHash own = *store->PutArtifact("own data");
  SweepSpec spec;
  spec.name = "big";
  spec.base_artifacts = {{"blueprint", shared}, {"data", own}};
  SweepId big = *store->CreateSweep(spec);
  spec.name = "keeper";
  spec.base_artifacts = {{"blueprint", shared}};
  SweepId keeper = *store->CreateSweep(spec);
  std::mt19937_64 rng(7);
  for (JobIndex first = 0; first < 20'000; first += 1000) {
    std::vector<std::string> chunk;
    for (int i = 0; i < 1000; ++i) {
      std::string s(1000, ' ');
      for (char& c : s) c = static_cast<char>(rng());  // incompressible
      chunk.push_back(std::move(s));
    }
    ASSERT_TRUE(store->AddJobs(big, first, chunk).ok());
  }
  ASSERT_TRUE(store->SealSweep(big, 20'000).ok());
  ASSERT_TRUE(store->CompactAll().ok());
  const std::uint64_t before = store->ApproximateDiskBytes();
  EXPECT_GT(before, 19'000'000u);
  ASSERT_TRUE(store->DeleteSweep(big).ok());
  ASSERT_TRUE(store->CompactAll().ok());
  const std::uint64_t after = store->ApproximateDiskBytes();
  EXPECT_LT(after, before / 2) << "before " << before << " after " << after;
  EXPECT_TRUE(store->GetSweep(big).status().IsNotFound());
  EXPECT_TRUE(store->GetJob(big, 5).status().IsNotFound());
  EXPECT_FALSE(store->HasArtifact(own));
  EXPECT_TRUE(store->HasArtifact(shared));
  EXPECT_TRUE(store->GetSweep(keeper).ok());
  EXPECT_TRUE(store->DeleteSweep(big).IsNotFound());
}

}  // namespace
}  // namespace s1mple::store

namespace s1mple::store {
namespace {
// A sweep deleted while its jobs, leases and results are still in the memtable (never flushed):
// nothing of it is left, and the store carries on.
TEST(JobStoreDelete, ASweepDeletedBeforeAnyFlushLeavesNothing) {
  testing::TempDir dir;
  auto opened = JobStore::Open(dir.str(), Options{});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& store = *opened;
  SweepId sw = testing::MakeSweep(*store, 300);
  auto leased = store->LeaseNext(sw, "r1", 200, 10000);
  ASSERT_TRUE(leased.ok());
  for (const auto& job : *leased) {
    ASSERT_TRUE(store->Complete(sw, job.index, job.attempt, "r1", "{\"metrics\":{}}").ok());
  }
  ASSERT_TRUE(store->DeleteSweep(sw).ok());
  EXPECT_TRUE(store->GetSweep(sw).status().IsNotFound());
  SweepId next = testing::MakeSweep(*store, 10);
  EXPECT_TRUE(store->LeaseNext(next, "r1", 5, 1000).ok());
}
}  // namespace
}  // namespace s1mple::store
