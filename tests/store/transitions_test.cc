// Job transitions: every legal one, every illegal one, late results, leases and their expiry.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <random>
#include <thread>

#include "store/job_store.h"
#include "tests/store/store_test_util.h"

namespace s1mple::store {
namespace {

using testing::ExpectConsistent;
using testing::MakeSweep;
using testing::TempDir;

class Transitions : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    Options o;
    o.clock = clock_;
    Result<std::unique_ptr<JobStore>> s = JobStore::Open(dir_.str(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  LeasedJob LeaseOne(const SweepId& sweep, const RunnerId& runner, std::int64_t lease_ms = 1000) {
    Result<std::vector<LeasedJob>> got = store_->LeaseNext(sweep, runner, 1, lease_ms);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got.ok() ? got->size() : 0u, 1u);
    return got.ok() && !got->empty() ? got->front() : LeasedJob{};
  }

  JobState StateOf(const SweepId& sweep, JobIndex index) {
    Result<JobInfo> j = store_->GetJob(sweep, index);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    return j.ok() ? j->state : JobState::kPending;
  }

  TempDir dir_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::unique_ptr<JobStore> store_;
};

TEST_F(Transitions, LeaseNextHandsOutPendingJobsInIndexOrder) {
  SweepId sw = MakeSweep(*store_, 10);
  Result<std::vector<LeasedJob>> a = store_->LeaseNext(sw, "r1", 3, 500);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*a)[i].index, i);
    EXPECT_EQ((*a)[i].attempt, 1u);
    EXPECT_EQ((*a)[i].deadline_ms, clock_->NowMs() + 500);
    EXPECT_EQ((*a)[i].overrides, "{\"fast\":" + std::to_string(i) + "}");
  }
  Result<std::vector<LeasedJob>> b = store_->LeaseNext(sw, "r2", 100, 500);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 7u);
  EXPECT_EQ(b->front().index, 3u);
  Result<std::vector<LeasedJob>> c = store_->LeaseNext(sw, "r2", 5, 500);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->empty());
  EXPECT_EQ(store_->Counts(sw)->leased, 10u);
  Result<JobInfo> j = store_->GetJob(sw, 4);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kLeased);
  ASSERT_TRUE(j->lease.has_value());
  EXPECT_EQ(j->lease->runner, "r2");
  ExpectConsistent(*store_, sw);
}

// Adaptive search (SweepSpec::dispatch_open): jobs are leased while the sweep is still
// SUBMITTING, it is not DONE when every job so far is, and the flag survives a reopen. Without
// the flag a SUBMITTING sweep leases nothing.
TEST_F(Transitions, ADispatchOpenSweepLeasesWhileSubmittingAndIsDoneOnlyOnceSealed) {
  SweepSpec spec;
  spec.name = "tpe";
  spec.kind = SweepKind::kDiag;
  spec.plan_text = "plan: open";
  spec.dispatch_open = true;
  Result<SweepId> open = store_->CreateSweep(spec);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  spec.dispatch_open = false;
  spec.plan_text = "plan: closed";
  Result<SweepId> closed = store_->CreateSweep(spec);
  ASSERT_TRUE(closed.ok());
  ASSERT_TRUE(store_->AddJobs(*open, 0, testing::Overrides(2)).ok());
  ASSERT_TRUE(store_->AddJobs(*closed, 0, testing::Overrides(2)).ok());
  EXPECT_FALSE(store_->LeaseNext(*closed, "r1", 1, 500).ok()) << "a closed submission leased";
  std::vector<SweepId> dispatchable;
  for (const auto& d : store_->Dispatchable()) dispatchable.push_back(d.id);
  EXPECT_EQ(dispatchable, std::vector<SweepId>{*open});
  for (int i = 0; i < 2; ++i) {
    LeasedJob job = LeaseOne(*open, "r1");
    ASSERT_TRUE(store_->Complete(*open, job.index, job.attempt, "r1", "r").ok());
  }
  EXPECT_EQ(store_->GetSweep(*open)->state, SweepState::kSubmitting) << "done before sealed";
  Reopen();
  EXPECT_TRUE(store_->GetSweep(*open)->dispatch_open);
  EXPECT_FALSE(store_->GetSweep(*closed)->dispatch_open);
  ASSERT_TRUE(store_->AddJobs(*open, 2, testing::Overrides(1, 2)).ok());
  LeasedJob job = LeaseOne(*open, "r2");
  EXPECT_EQ(job.index, 2u);
  ASSERT_TRUE(store_->Complete(*open, job.index, job.attempt, "r2", "r").ok());
  ASSERT_TRUE(store_->SealSweep(*open, 3).ok());
  EXPECT_EQ(store_->GetSweep(*open)->state, SweepState::kDone);
  ExpectConsistent(*store_, *open);
}

TEST_F(Transitions, CompleteRecordsResultAndDoneInOneStep) {
  SweepId sw = MakeSweep(*store_, 2);
  LeasedJob job = LeaseOne(sw, "r1");
  Result<Outcome> o = store_->Complete(sw, job.index, job.attempt, "r1", "metrics-0");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(*o, Outcome::kDone);
  EXPECT_EQ(StateOf(sw, 0), JobState::kDone);
  EXPECT_EQ(*store_->GetResult(sw, 0), "metrics-0");
  JobCounts c = *store_->Counts(sw);
  EXPECT_EQ(c.done, 1u);
  EXPECT_EQ(c.pending, 1u);
  EXPECT_EQ(c.leased, 0u);
  EXPECT_FALSE(store_->NextLeaseDeadline().has_value());
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ResultForDoneJobIsDuplicate) {
  SweepId sw = MakeSweep(*store_, 1);
  LeasedJob job = LeaseOne(sw, "r1");
  ASSERT_EQ(*store_->Complete(sw, 0, job.attempt, "r1", "first"), Outcome::kDone);
  EXPECT_EQ(*store_->Complete(sw, 0, job.attempt, "r1", "second"), Outcome::kDuplicate);
  EXPECT_EQ(*store_->Complete(sw, 0, 7, "other", "third"), Outcome::kDuplicate);
  EXPECT_EQ(*store_->GetResult(sw, 0), "first");
  EXPECT_EQ(store_->Counts(sw)->done, 1u);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, DoneJobIsNeverLeasedAgain) {
  SweepId sw = MakeSweep(*store_, 2);
  LeasedJob job = LeaseOne(sw, "r1");
  ASSERT_EQ(*store_->Complete(sw, 0, job.attempt, "r1", "x"), Outcome::kDone);
  Result<std::vector<LeasedJob>> next = store_->LeaseNext(sw, "r1", 10, 1000);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ(next->front().index, 1u);
  // Neither a reclaim nor an extension can turn DONE back into LEASED.
  std::vector<HeldLease> held = {{{sw, 0, job.attempt}, clock_->NowMs() + 10'000}};
  EXPECT_EQ(store_->Reclaim("r1", held, "not held", false)->reclaimed, std::vector<bool>{false});
  EXPECT_FALSE(*store_->ExtendLease(sw, 0, job.attempt, "r1", clock_->NowMs() + 10'000));
  EXPECT_EQ(StateOf(sw, 0), JobState::kDone);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, DeterministicFailureFailsAtOnce) {
  SweepId sw = MakeSweep(*store_, 1, /*max_attempts=*/5);
  LeasedJob job = LeaseOne(sw, "r1");
  EXPECT_EQ(*store_->Fail(sw, 0, job.attempt, "r1", "bad config: fast > slow", false),
            Outcome::kFailed);
  Result<JobInfo> j = store_->GetJob(sw, 0);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kFailed);
  EXPECT_EQ(j->failure_reason, "bad config: fast > slow");
  ASSERT_EQ(j->history.size(), 1u);
  EXPECT_EQ(j->history[0].runner, "r1");
  EXPECT_EQ(store_->Counts(sw)->failed, 1u);
  Result<SweepInfo> info = store_->GetSweep(sw);
  EXPECT_EQ(info->state, SweepState::kDone);  // nothing pending or leased is left
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, RetryableFailureRetriesUntilMaxAttemptsThenFailsWithHistory) {
  SweepId sw = MakeSweep(*store_, 1, /*max_attempts=*/3);
  for (Attempt a = 1; a <= 3; ++a) {
    LeasedJob job = LeaseOne(sw, testing::Named("r", a));
    ASSERT_EQ(job.attempt, a);
    Outcome want = a < 3 ? Outcome::kRetry : Outcome::kFailed;
    EXPECT_EQ(*store_->Fail(sw, 0, a, testing::Named("r", a), "worker crashed", true), want);
    ExpectConsistent(*store_, sw);
  }
  Result<JobInfo> j = store_->GetJob(sw, 0);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kFailed);
  EXPECT_EQ(j->attempt, 3u);
  ASSERT_EQ(j->history.size(), 3u);
  EXPECT_EQ(j->history[2].attempt, 3u);
  EXPECT_NE(j->failure_reason.find("3 attempts"), std::string::npos) << j->failure_reason;
  Result<std::vector<LeasedJob>> none = store_->LeaseNext(sw, "r9", 1, 100);
  EXPECT_FALSE(none.ok());  // the sweep is DONE: nothing to lease
}

TEST_F(Transitions, FailForALeaseThatIsNotCurrentWritesNothing) {
  SweepId sw = MakeSweep(*store_, 2, /*max_attempts=*/5);
  LeasedJob job = LeaseOne(sw, "r1", 100);
  // Never held by the sender: rejected.
  EXPECT_EQ(*store_->Fail(sw, 0, job.attempt + 1, "r1", "x", true), Outcome::kRejected);
  EXPECT_EQ(*store_->Fail(sw, 0, job.attempt, "r2", "x", true), Outcome::kRejected);
  EXPECT_EQ(*store_->Fail(sw, 1, 0, "r1", "x", true), Outcome::kRejected);  // PENDING
  // An attempt of r1 that already ended (its lease expired): stale.
  clock_->Advance(101);
  ASSERT_EQ(store_->ExpireLeases(clock_->NowMs())->size(), 1u);
  EXPECT_EQ(*store_->Fail(sw, 0, job.attempt, "r1", "x", true), Outcome::kStale);
  LeasedJob again = LeaseOne(sw, "r1");
  ASSERT_EQ(*store_->Complete(sw, 0, again.attempt, "r1", "ok"), Outcome::kDone);
  // A failure report for a job that is already DONE is a duplicate (issue 15, item 6).
  EXPECT_EQ(*store_->Fail(sw, 0, again.attempt, "r1", "x", false), Outcome::kDuplicate);
  EXPECT_EQ(StateOf(sw, 0), JobState::kDone);
  EXPECT_EQ(StateOf(sw, 1), JobState::kPending);
  ExpectConsistent(*store_, sw);
}

// Issue 15, item 5: a runner may record a result only for an attempt it held.
TEST_F(Transitions, ResultFromARunnerThatNeverHeldTheAttemptIsRejected) {
  SweepId sw = MakeSweep(*store_, 3, /*max_attempts=*/5);
  // A pending job nobody was ever given.
  EXPECT_EQ(*store_->Complete(sw, 2, 1, "stranger", "forged"), Outcome::kRejected);
  EXPECT_EQ(StateOf(sw, 2), JobState::kPending);
  // A job leased to r1: neither another runner nor another attempt number records it.
  LeasedJob job = LeaseOne(sw, "r1", 100);
  EXPECT_EQ(*store_->Complete(sw, 0, job.attempt, "stranger", "forged"), Outcome::kRejected);
  EXPECT_EQ(*store_->Complete(sw, 0, job.attempt + 1, "r1", "forged"), Outcome::kRejected);
  EXPECT_EQ(StateOf(sw, 0), JobState::kLeased);
  EXPECT_FALSE(store_->GetResult(sw, 0).ok());
  // r1's lease expires and r2 gets attempt 2: r1's late result of attempt 1 still wins (the
  // attempt history says r1 held it), a stranger's still does not.
  clock_->Advance(101);
  ASSERT_EQ(store_->ExpireLeases(clock_->NowMs())->size(), 1u);
  LeasedJob second = LeaseOne(sw, "r2");
  ASSERT_EQ(second.attempt, 2u);
  EXPECT_EQ(*store_->Complete(sw, 0, 1, "r2", "forged"), Outcome::kRejected);
  EXPECT_EQ(*store_->Complete(sw, 0, 1, "r1", "r1-late"), Outcome::kDoneLate);
  EXPECT_EQ(*store_->GetResult(sw, 0), "r1-late");
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ResultsForACancelledSweepAreRejected) {
  SweepId sw = MakeSweep(*store_, 3);
  Result<std::vector<LeasedJob>> got = store_->LeaseNext(sw, "r1", 2, 1000);
  ASSERT_EQ(got->size(), 2u);
  ASSERT_TRUE(store_->CancelSweep(sw).ok());
  EXPECT_EQ(*store_->Complete(sw, 0, 1, "r1", "after cancel"), Outcome::kRejected);
  EXPECT_FALSE(store_->GetResult(sw, 0).ok());
  // The holder's lease ended with it (not counted): the job no longer shows as running.
  EXPECT_EQ(StateOf(sw, 0), JobState::kPending);
  EXPECT_EQ(store_->GetJob(sw, 0)->uncounted_attempts, 1u);
  EXPECT_EQ(*store_->Counts(sw), (JobCounts{2, 1, 0, 0}));
  EXPECT_EQ(store_->GetSweep(sw)->state, SweepState::kCancelled);
  EXPECT_FALSE(store_->LeaseNext(sw, "r1", 1, 1000).ok());
  ExpectConsistent(*store_, sw);
}

// Issue 15, item 1: a hand-back (shutdown, revoke) never uses up an attempt.
TEST_F(Transitions, HandedBackAttemptsAreNotCounted) {
  SweepId sw = MakeSweep(*store_, 1, /*max_attempts=*/1);
  for (Attempt a = 1; a <= 4; ++a) {
    LeasedJob job = LeaseOne(sw, "rr");
    ASSERT_EQ(job.attempt, a);
    FailOp back{sw, 0, a, "rr", "handed back: runner rr is shutting down", true, true};
    std::vector<Transition> batch = {back};
    EXPECT_EQ(store_->Apply(batch)->front(), Outcome::kRetry);
    EXPECT_EQ(StateOf(sw, 0), JobState::kPending);
    ExpectConsistent(*store_, sw);
  }
  Result<JobInfo> j = store_->GetJob(sw, 0);
  EXPECT_EQ(j->uncounted_attempts, 4u);
  ASSERT_EQ(j->history.size(), 4u);
  EXPECT_EQ(j->history[3].reason, "handed back: runner rr is shutting down");
  LeasedJob last = LeaseOne(sw, "rr");
  EXPECT_EQ(*store_->Complete(sw, 0, last.attempt, "rr", "ran at last"), Outcome::kDone);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, EndLeasesEndsOnlyTheListedCurrentLeasesOfThatRunner) {
  SweepId sw = MakeSweep(*store_, 4, /*max_attempts=*/1);
  ASSERT_EQ(store_->LeaseNext(sw, "a", 3, 1000)->size(), 3u);
  ASSERT_EQ(store_->LeaseNext(sw, "b", 1, 1000)->size(), 1u);
  std::vector<JobAttempt> jobs = {{sw, 0, 1}, {sw, 1, 2}, {sw, 3, 1}};  // 1: wrong attempt, 3: b's
  Result<std::vector<EndedLease>> ended = store_->EndLeases("a", jobs, "never started", false);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ(ended->front().index, 0u);
  EXPECT_EQ(StateOf(sw, 0), JobState::kPending) << "uncounted: max_attempts 1 is not used up";
  EXPECT_EQ(*store_->Counts(sw), (JobCounts{1, 3, 0, 0}));
  // Counted, the same end exhausts max_attempts 1.
  std::vector<JobAttempt> two = {{sw, 2, 1}};
  EXPECT_EQ(store_->EndLeases("a", two, "lost", true)->front().outcome, Outcome::kFailed);
  // ReleaseLeases without counting (a runner that left).
  ASSERT_EQ(store_->ReleaseLeases("a", "runner left", /*counted=*/false)->size(), 1u);
  EXPECT_EQ(StateOf(sw, 1), JobState::kPending);
  ExpectConsistent(*store_, sw);
}

// Issue 15, item 4: a runner that (re)registers keeps what it holds and gives back the rest.
TEST_F(Transitions, ReclaimKeepsHeldLeasesAndReturnsTheRunnersOthers) {
  SweepId sw = MakeSweep(*store_, 5, /*max_attempts=*/1);
  ASSERT_EQ(store_->LeaseNext(sw, "r1", 3, 1000)->size(), 3u);
  ASSERT_EQ(store_->LeaseNext(sw, "r2", 1, 1000)->size(), 1u);
  const UnixMillis later = clock_->NowMs() + 60'000;
  std::vector<HeldLease> held = {{{sw, 1, 1}, later},   // held and current: kept
                                 {{sw, 3, 1}, later},   // r2's: not r1's to reclaim
                                 {{sw, 4, 1}, later}};  // never leased
  Result<ReclaimResult> r = store_->Reclaim("r1", held, "lost in transit", /*counted=*/false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->reclaimed, (std::vector<bool>{true, false, false}));
  ASSERT_EQ(r->returned.size(), 2u);  // jobs 0 and 2: r1 does not hold them
  EXPECT_EQ(r->returned[0].index, 0u);
  EXPECT_EQ(r->returned[1].index, 2u);
  EXPECT_EQ(StateOf(sw, 0), JobState::kPending) << "not counted: max_attempts 1 is not used up";
  EXPECT_EQ(store_->GetJob(sw, 1)->lease->deadline_ms, later);
  EXPECT_EQ(store_->GetJob(sw, 3)->lease->runner, "r2");
  // A restart (counted): r2's new process holds nothing, its lease ends as a lost attempt.
  Result<ReclaimResult> restart = store_->Reclaim("r2", {}, "runner restarted", true);
  ASSERT_EQ(restart->returned.size(), 1u);
  EXPECT_EQ(restart->returned[0].outcome, Outcome::kFailed);
  EXPECT_EQ(*store_->Counts(sw), (JobCounts{3, 1, 0, 1}));
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ResultForFailedOrUnknownJobIsRejected) {
  SweepId sw = MakeSweep(*store_, 1);
  LeasedJob job = LeaseOne(sw, "r1");
  ASSERT_EQ(*store_->Fail(sw, 0, job.attempt, "r1", "plugin error", false), Outcome::kFailed);
  EXPECT_EQ(*store_->Complete(sw, 0, job.attempt, "r1", "late"), Outcome::kRejected);
  EXPECT_FALSE(store_->GetResult(sw, 0).ok());
  EXPECT_EQ(*store_->Complete(sw, 5, 1, "r1", "x"), Outcome::kRejected);
  EXPECT_EQ(*store_->Complete("sw-000000000000", 0, 1, "r1", "x"), Outcome::kRejected);
  EXPECT_EQ(*store_->Complete("garbage\xff", 0, 1, "r1", "x"), Outcome::kRejected);
  EXPECT_EQ(*store_->Fail("garbage", 0, 1, "r1", "x", true), Outcome::kRejected);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, LateResultAfterExpiryIsAcceptedOnce) {
  SweepId sw = MakeSweep(*store_, 1, /*max_attempts=*/5);
  LeasedJob first = LeaseOne(sw, "r1", 100);
  clock_->Advance(101);
  Result<std::vector<EndedLease>> ended = store_->ExpireLeases(clock_->NowMs());
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ(ended->front().outcome, Outcome::kRetry);
  EXPECT_EQ(StateOf(sw, 0), JobState::kPending);
  // The late result of the expired lease arrives while the job is PENDING: first result wins.
  EXPECT_EQ(*store_->Complete(sw, 0, first.attempt, "r1", "r1-result"), Outcome::kDoneLate);
  EXPECT_EQ(*store_->GetResult(sw, 0), "r1-result");
  Result<JobInfo> j = store_->GetJob(sw, 0);
  EXPECT_EQ(j->history.size(), 1u);
  EXPECT_EQ(j->history[0].reason, "lease expired");
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, LateResultWhileReleasedToAnotherRunnerWinsAndTheOtherIsDuplicate) {
  SweepId sw = MakeSweep(*store_, 1, /*max_attempts=*/5);
  LeasedJob first = LeaseOne(sw, "r1", 100);
  clock_->Advance(200);
  ASSERT_TRUE(store_->ExpireLeases(clock_->NowMs()).ok());
  LeasedJob second = LeaseOne(sw, "r2", 100);
  ASSERT_EQ(second.attempt, 2u);
  EXPECT_EQ(*store_->Complete(sw, 0, first.attempt, "r1", "r1-result"), Outcome::kDoneLate);
  EXPECT_FALSE(store_->NextLeaseDeadline().has_value());  // r2's lease is gone with it
  EXPECT_EQ(*store_->Complete(sw, 0, second.attempt, "r2", "r2-result"), Outcome::kDuplicate);
  EXPECT_EQ(*store_->Fail(sw, 0, second.attempt, "r2", "timeout", true), Outcome::kDuplicate);
  EXPECT_EQ(*store_->GetResult(sw, 0), "r1-result");
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ExpireLeasesEndsOnlyPastDeadlinesOldestFirst) {
  SweepId sw = MakeSweep(*store_, 3, /*max_attempts=*/2);
  LeasedJob a = LeaseOne(sw, "r1", 300);
  LeasedJob b = LeaseOne(sw, "r1", 100);
  LeasedJob c = LeaseOne(sw, "r1", 200);
  EXPECT_EQ(*store_->NextLeaseDeadline(), b.deadline_ms);
  Result<std::vector<EndedLease>> none = store_->ExpireLeases(clock_->NowMs() + 99);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  Result<std::vector<EndedLease>> two = store_->ExpireLeases(clock_->NowMs() + 200);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].index, b.index);
  EXPECT_EQ((*two)[1].index, c.index);
  EXPECT_EQ(*store_->NextLeaseDeadline(), a.deadline_ms);
  EXPECT_EQ(store_->Counts(sw)->pending, 2u);
  // Leasing again starts attempt 2; expiring that one exhausts max_attempts = 2.
  Result<std::vector<LeasedJob>> again = store_->LeaseNext(sw, "r2", 5, 50);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ(again->front().attempt, 2u);
  Result<std::vector<EndedLease>> failed = store_->ExpireLeases(clock_->NowMs() + 60);
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].outcome, Outcome::kFailed);
  EXPECT_EQ(store_->Counts(sw)->failed, 2u);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ReleaseLeasesReturnsOnlyThatRunnersJobs) {
  SweepId sw = MakeSweep(*store_, 4);
  ASSERT_EQ(store_->LeaseNext(sw, "lost", 2, 1000)->size(), 2u);
  ASSERT_EQ(store_->LeaseNext(sw, "alive", 2, 1000)->size(), 2u);
  Result<std::vector<EndedLease>> ended = store_->ReleaseLeases("lost", "runner lost");
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 2u);
  EXPECT_EQ((*ended)[0].runner, "lost");
  JobCounts c = *store_->Counts(sw);
  EXPECT_EQ(c.pending, 2u);
  EXPECT_EQ(c.leased, 2u);
  EXPECT_EQ(store_->GetJob(sw, 0)->history.at(0).reason, "runner lost");
  // The released jobs come back first (index order), with the attempt counted.
  Result<std::vector<LeasedJob>> again = store_->LeaseNext(sw, "alive", 5, 1000);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ(again->front().index, 0u);
  EXPECT_EQ(again->front().attempt, 2u);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ExtendAndReclaimMoveOnlyTheCurrentLease) {
  SweepId sw = MakeSweep(*store_, 1);
  LeasedJob job = LeaseOne(sw, "r1", 100);
  UnixMillis later = clock_->NowMs() + 5000;
  EXPECT_FALSE(*store_->ExtendLease(sw, 0, job.attempt, "r2", later));  // wrong runner
  EXPECT_TRUE(*store_->ExtendLease(sw, 0, job.attempt, "r1", later));
  EXPECT_EQ(*store_->NextLeaseDeadline(), later);
  // After a broker restart the runner reconnects under its name and reclaims its job; another
  // runner cannot take it over by naming it.
  std::vector<HeldLease> held = {{{sw, 0, job.attempt}, later + 1}};
  EXPECT_EQ(store_->Reclaim("r1-other", held, "x", false)->reclaimed, std::vector<bool>{false});
  EXPECT_EQ(store_->Reclaim("r1", held, "x", false)->reclaimed, std::vector<bool>{true});
  EXPECT_EQ(*store_->NextLeaseDeadline(), later + 1);
  std::vector<HeldLease> wrong = {{{sw, 0, job.attempt + 1}, later}};
  EXPECT_EQ(store_->Reclaim("r1", wrong, "x", false)->reclaimed, std::vector<bool>{false});
  // ... and that returned the lease it did not name (attempt 1), uncounted.
  EXPECT_EQ(StateOf(sw, 0), JobState::kPending);
  EXPECT_EQ(*store_->Complete(sw, 0, job.attempt, "r1", "ok"), Outcome::kDoneLate);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, LeasesSurviveReopenAndExpireAfterTheirDeadline) {
  SweepId sw = MakeSweep(*store_, 3);
  ASSERT_EQ(store_->LeaseNext(sw, "r1", 2, 1000)->size(), 2u);
  const UnixMillis deadline = clock_->NowMs() + 1000;
  Reopen();
  EXPECT_EQ(store_->NextLeaseDeadline(), deadline);
  EXPECT_EQ(store_->Counts(sw)->leased, 2u);
  // Job 1's runner reconnects before the deadline and keeps it; job 0's runner never does.
  ASSERT_TRUE(store_->ExtendLease(sw, 1, 1, "r1", deadline + 10'000).ok());
  clock_->Advance(1000);
  Result<std::vector<EndedLease>> ended = store_->ExpireLeases(clock_->NowMs());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ(ended->front().index, 0u);
  Result<std::vector<LeasedJob>> next = store_->LeaseNext(sw, "r2", 5, 1000);
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ(next->front().index, 0u);
  EXPECT_EQ(next->front().attempt, 2u);  // the attempt lost in the crash is counted
  EXPECT_EQ((*next)[1].index, 2u);
  ExpectConsistent(*store_, sw);
}

// ReturnOrphanLeases (the embedded session's crash recovery): the attempt keeps its number but
// is not counted against max_attempts.
TEST_F(Transitions, ReturnedOrphanLeaseKeepsTheJobsAttempts) {
  SweepId sw = MakeSweep(*store_, 2, /*max_attempts=*/1);
  ASSERT_EQ(store_->LeaseNext(sw, "local", 2, 60'000)->size(), 2u);
  Reopen();  // the session that held the leases crashed
  Result<std::vector<EndedLease>> returned = store_->ReturnOrphanLeases("session crashed");
  ASSERT_TRUE(returned.ok()) << returned.status().ToString();
  ASSERT_EQ(returned->size(), 2u);
  EXPECT_EQ((*returned)[0].outcome, Outcome::kRetry);
  EXPECT_EQ((*returned)[0].attempt, 1u);
  EXPECT_EQ((*returned)[0].runner, "local");
  EXPECT_FALSE(store_->NextLeaseDeadline().has_value());
  EXPECT_EQ(*store_->Counts(sw), (JobCounts{2, 0, 0, 0}));
  ExpectConsistent(*store_, sw);
  Result<JobInfo> j = store_->GetJob(sw, 0);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kPending);
  EXPECT_EQ(j->attempt, 1u);
  EXPECT_EQ(j->uncounted_attempts, 1u);
  ASSERT_EQ(j->history.size(), 1u);
  EXPECT_EQ(j->history[0].attempt, 1u);
  EXPECT_EQ(j->history[0].reason, "session crashed");
  Reopen();  // the uncounted attempt is stored, not only in memory
  EXPECT_EQ(store_->GetJob(sw, 0)->uncounted_attempts, 1u);

  // max_attempts 1 and one attempt started: both jobs may still run (attempt 2) and finish.
  Result<std::vector<LeasedJob>> again = store_->LeaseNext(sw, "local", 2, 60'000);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].attempt, 2u);
  EXPECT_EQ(*store_->Complete(sw, 0, 2, "local", "ok"), Outcome::kDone);
  // ... and the one counted attempt is still the only one: its retryable failure is final.
  EXPECT_EQ(*store_->Fail(sw, 1, 2, "local", "worker crashed", true), Outcome::kFailed);
  Result<JobInfo> failed = store_->GetJob(sw, 1);
  EXPECT_NE(failed->failure_reason.find("gave up after 1 attempts"), std::string::npos)
      << failed->failure_reason;
  EXPECT_EQ(failed->history.size(), 2u);
  EXPECT_EQ(store_->GetSweep(sw)->state, SweepState::kDone);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, RepeatedCrashesNeverUseUpAttemptsButFailuresStillDo) {
  SweepId sw = MakeSweep(*store_, 1, /*max_attempts=*/3);
  for (Attempt a = 1; a <= 5; ++a) {  // five sessions crash while the job runs
    ASSERT_EQ(LeaseOne(sw, "local").attempt, a);
    Reopen();
    ASSERT_EQ(store_->ReturnOrphanLeases("session crashed")->size(), 1u);
    ExpectConsistent(*store_, sw);
  }
  // Expiry (a broker's timeout) still counts: attempts 6 and 7 retry, 8 is the third counted.
  for (Attempt a = 6; a <= 8; ++a) {
    LeasedJob job = LeaseOne(sw, "r1", 100);
    ASSERT_EQ(job.attempt, a);
    clock_->Advance(101);
    Result<std::vector<EndedLease>> ended = store_->ExpireLeases(clock_->NowMs());
    ASSERT_EQ(ended->size(), 1u);
    EXPECT_EQ(ended->front().outcome, a < 8 ? Outcome::kRetry : Outcome::kFailed);
    ExpectConsistent(*store_, sw);
  }
  Result<JobInfo> j = store_->GetJob(sw, 0);
  EXPECT_EQ(j->state, JobState::kFailed);
  EXPECT_EQ(j->attempt, 8u);
  EXPECT_EQ(j->uncounted_attempts, 5u);
  EXPECT_EQ(j->history.size(), 8u);
  EXPECT_NE(j->failure_reason.find("gave up after 3 attempts"), std::string::npos)
      << j->failure_reason;
}

TEST_F(Transitions, LateResultOfAReturnedAttemptFollowsTheLateResultRule) {
  SweepId sw = MakeSweep(*store_, 2, /*max_attempts=*/1);
  ASSERT_EQ(store_->LeaseNext(sw, "old", 2, 60'000)->size(), 2u);
  ASSERT_EQ(store_->ReturnOrphanLeases("session crashed")->size(), 2u);
  // Job 0: the returned attempt's Fail is stale, its result (while PENDING) wins.
  EXPECT_EQ(*store_->Fail(sw, 0, 1, "old", "x", true), Outcome::kStale);
  EXPECT_EQ(*store_->Complete(sw, 0, 1, "old", "old-0"), Outcome::kDoneLate);
  // Job 1: leased again (attempt 2); the returned attempt's result still wins, the new lease
  // is dropped and its own result is a duplicate.
  LeasedJob second = LeaseOne(sw, "new");
  ASSERT_EQ(second.index, 1u);
  ASSERT_EQ(second.attempt, 2u);
  EXPECT_EQ(*store_->Complete(sw, 1, 1, "old", "old-1"), Outcome::kDoneLate);
  EXPECT_FALSE(store_->NextLeaseDeadline().has_value());
  EXPECT_EQ(*store_->Complete(sw, 1, 2, "new", "new-1"), Outcome::kDuplicate);
  EXPECT_EQ(*store_->GetResult(sw, 0), "old-0");
  EXPECT_EQ(*store_->GetResult(sw, 1), "old-1");
  EXPECT_EQ(store_->GetSweep(sw)->state, SweepState::kDone);
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ReturnOrphanLeasesTakesEveryLeaseOfEverySweepInChunks) {
  SweepId a = MakeSweep(*store_, 10, /*max_attempts=*/2);
  SweepId b = MakeSweep(*store_, 5, /*max_attempts=*/2);
  ASSERT_EQ(store_->LeaseNext(a, "r1", 7, 100)->size(), 7u);
  ASSERT_EQ(store_->LeaseNext(b, "r2", 5, 999'999)->size(), 5u);  // deadlines do not matter
  ASSERT_EQ(*store_->Complete(b, 4, 1, "r2", "ok"), Outcome::kDone);
  Reopen();
  Result<std::vector<EndedLease>> returned = store_->ReturnOrphanLeases("crash", /*chunk=*/3);
  ASSERT_TRUE(returned.ok()) << returned.status().ToString();
  EXPECT_EQ(returned->size(), 11u);
  EXPECT_FALSE(store_->NextLeaseDeadline().has_value());
  EXPECT_EQ(*store_->Counts(a), (JobCounts{10, 0, 0, 0}));
  EXPECT_EQ(*store_->Counts(b), (JobCounts{4, 0, 1, 0}));
  ExpectConsistent(*store_, a);
  ExpectConsistent(*store_, b);
  EXPECT_TRUE(store_->ReturnOrphanLeases("crash")->empty());  // nothing left
  // The returned jobs are leased again first, in index order, with new attempt numbers.
  Result<std::vector<LeasedJob>> next = store_->LeaseNext(a, "r1", 10, 100);
  ASSERT_EQ(next->size(), 10u);
  EXPECT_EQ((*next)[0].index, 0u);
  EXPECT_EQ((*next)[0].attempt, 2u);
  EXPECT_EQ((*next)[7].attempt, 1u);  // job 7 was never leased
  ExpectConsistent(*store_, a);
}

TEST_F(Transitions, ApplyBatchSeesEarlierTransitionsOfTheSameBatch) {
  SweepId sw = MakeSweep(*store_, 3, /*max_attempts=*/2);
  Result<std::vector<LeasedJob>> got = store_->LeaseNext(sw, "r1", 3, 1000);
  ASSERT_EQ(got->size(), 3u);
  std::vector<Transition> batch = {
      CompleteOp{sw, 0, 1, "r1", "a"},       CompleteOp{sw, 0, 1, "r1", "a-again"},
      FailOp{sw, 1, 1, "r1", "crash", true}, FailOp{sw, 1, 1, "r1", "crash", true},
      FailOp{sw, 2, 1, "r1", "bad", false},  CompleteOp{sw, 2, 1, "r1", "too late"},
  };
  Result<std::vector<Outcome>> out = store_->Apply(batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, (std::vector<Outcome>{Outcome::kDone, Outcome::kDuplicate, Outcome::kRetry,
                                        Outcome::kStale, Outcome::kFailed, Outcome::kRejected}));
  JobCounts c = *store_->Counts(sw);
  EXPECT_EQ(c, (JobCounts{1, 0, 1, 1}));
  ExpectConsistent(*store_, sw);
}

TEST_F(Transitions, ApplyAsyncCallsBackOnceDurable) {
  SweepId sw = MakeSweep(*store_, 2);
  ASSERT_EQ(store_->LeaseNext(sw, "r1", 2, 1000)->size(), 2u);
  std::vector<Transition> batch = {CompleteOp{sw, 0, 1, "r1", "a"},
                                   CompleteOp{sw, 1, 1, "r1", "b"}};
  std::promise<Result<std::vector<Outcome>>> done;
  ASSERT_TRUE(
      store_
          ->ApplyAsync(batch, [&](Result<std::vector<Outcome>> r) { done.set_value(std::move(r)); })
          .ok());
  Result<std::vector<Outcome>> r = done.get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<Outcome>{Outcome::kDone, Outcome::kDone}));
  EXPECT_EQ(store_->GetSweep(sw)->state, SweepState::kDone);
}

TEST_F(Transitions, LeaseNextRejectsBadArguments) {
  SweepId sw = MakeSweep(*store_, 1);
  EXPECT_TRUE(store_->LeaseNext(sw, "r1", 1, 0).status().IsInvalidArgument());
  EXPECT_TRUE(store_->LeaseNext("sw-ffffffffffff", "r1", 1, 10).status().IsNotFound());
  Result<std::vector<LeasedJob>> zero = store_->LeaseNext(sw, "r1", 0, 10);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->empty());
}

// Group commit from many threads: every job's result is accepted exactly once even when
// several threads deliver it at the same time, while a reader scans results concurrently.
TEST_F(Transitions, ConcurrentCompletesAcceptExactlyOneResultPerJob) {
  constexpr int kJobs = 300, kThreads = 8;
  SweepId sw = MakeSweep(*store_, kJobs);
  ASSERT_EQ(store_->LeaseNext(sw, "r", kJobs, 60'000)->size(), std::size_t{kJobs});
  std::atomic<int> done{0}, duplicate{0}, other{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      JobIndex last = 0;
      bool first = true;
      Status st = store_->ScanResults(sw, 0, 0, [&](JobIndex i, std::string_view) {
        EXPECT_TRUE(first || i > last);
        first = false;
        last = i;
        return true;
      });
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kJobs; ++i) {
        JobIndex index = static_cast<JobIndex>((i + t * 37) % kJobs);
        Result<Outcome> o = store_->Complete(sw, index, 1, "r", testing::Named("by", t));
        if (!o.ok()) {
          ++other;
        } else if (*o == Outcome::kDone) {
          ++done;
        } else if (*o == Outcome::kDuplicate) {
          ++duplicate;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(done.load(), kJobs);
  EXPECT_EQ(duplicate.load(), kJobs * (kThreads - 1));
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store_->GetSweep(sw)->state, SweepState::kDone);
  ExpectConsistent(*store_, sw);
}

// Random operations against a model-free check: after every step the counters equal a full
// recount and every invariant holds.
TEST_F(Transitions, RandomOperationsKeepCountersEqualToRecount) {
  SweepId sw = MakeSweep(*store_, 60, /*max_attempts=*/3);
  std::mt19937 rng(12345);
  std::vector<LeasedJob> out;
  for (int step = 0; step < 400; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op == 0 || out.empty()) {
      Result<std::vector<LeasedJob>> got =
          store_->LeaseNext(sw, testing::Named("r", rng() % 3), rng() % 4 + 1, 50 + rng() % 100);
      if (got.ok()) out.insert(out.end(), got->begin(), got->end());
    } else {
      std::size_t k = rng() % out.size();
      LeasedJob j = out[k];
      Result<JobInfo> cur = store_->GetJob(sw, j.index);
      ASSERT_TRUE(cur.ok());
      RunnerId runner = cur->lease ? cur->lease->runner : "gone";
      if (op == 1 || op == 2) {
        ASSERT_TRUE(store_->Complete(sw, j.index, j.attempt, runner, "res").ok());
      } else if (op == 3) {
        ASSERT_TRUE(store_->Fail(sw, j.index, j.attempt, runner, "x", rng() % 4 != 0).ok());
      } else if (op == 4) {
        clock_->Advance(40);
        ASSERT_TRUE(store_->ExpireLeases(clock_->NowMs()).ok());
      } else if (op == 5) {
        ASSERT_TRUE(store_->ReturnOrphanLeases("crash", 1 + rng() % 3).ok());
      } else if (op == 6) {
        ASSERT_TRUE(store_->ReleaseLeases(runner, "lost", rng() % 2 == 0).ok());
      } else if (op == 7) {
        FailOp back{sw, j.index, j.attempt, runner, "handed back", true, true};
        std::vector<Transition> batch = {back};
        ASSERT_TRUE(store_->Apply(batch).ok());
      } else if (op == 8) {
        std::vector<HeldLease> held;
        for (const LeasedJob& o : out)
          if (rng() % 2) held.push_back({{sw, o.index, o.attempt}, clock_->NowMs() + 100});
        ASSERT_TRUE(store_->Reclaim(runner, held, "not held", rng() % 2 == 0).ok());
      } else {
        std::vector<JobAttempt> some = {{sw, j.index, j.attempt}};
        ASSERT_TRUE(store_->EndLeases(runner, some, "never started", rng() % 2 == 0).ok());
      }
      if (rng() % 2) out.erase(out.begin() + static_cast<std::ptrdiff_t>(k));
    }
    if (step % 50 == 0) Reopen();
    ExpectConsistent(*store_, sw);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace s1mple::store
