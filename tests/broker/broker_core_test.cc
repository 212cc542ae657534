// BrokerCore without sockets: a real JobStore in a temp dir, a ManualClock, messages in, outbox
// out.
#include "broker/broker_core.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "common/sha256.h"
#include "protocol/codec.h"

namespace s1mple::broker {
namespace {

namespace pr = s1mple::protocol;
namespace fs = std::filesystem;

class BrokerCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-broker-core-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store::Options so;
    so.clock = clock_;
    so.sync = store::SyncPolicy::kNone;
    so.disk_budget = disk_;
    auto s = store::JobStore::Open(dir_.string(), so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    CoreOptions co;
    co.heartbeat_ms = 1000;
    co.liveness = 3;
    co.lease_grace_ms = 500;
    core_ = std::make_unique<BrokerCore>(*store_, *clock_, co);
  }
  void TearDown() override {
    core_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // A sealed diag sweep of n jobs; returns its id.
  std::string Sweep(size_t n, uint32_t max_workers = 0, uint64_t timeout_ms = 0,
                    uint32_t max_attempts = 0) {
    pr::SubmitBegin b;
    b.req = 1;
    b.spec.name = "t";
    b.spec.kind = "diag";
    b.spec.max_workers = max_workers;
    b.spec.timeout_ms = timeout_ms;
    b.spec.max_attempts = max_attempts;
    core_->OnMessage("client", b);
    auto r = TakeReply();
    EXPECT_TRUE(r.ok) << r.error;
    std::string id = std::get<pr::SubmitBeginReply>(r.payload).sweep;
    core_->OnMessage("client", pr::SubmitJobs{2, id, 0, std::vector<std::string>(n, "{}")});
    EXPECT_TRUE(TakeReply().ok);
    core_->OnMessage("client", pr::SubmitCommit{3, id, n});
    EXPECT_TRUE(TakeReply().ok);
    return id;
  }
  // Removes the first REPLY from the outbox (other messages stay) and returns it.
  pr::Reply TakeReply() {
    auto& out = core_->outbox();
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (auto* r = std::get_if<pr::Reply>(&it->message)) {
        pr::Reply reply = *r;
        out.erase(it);
        return reply;
      }
    }
    ADD_FAILURE() << "no reply in the outbox";
    return {};
  }
  std::vector<Outgoing> Take() {
    std::vector<Outgoing> out;
    out.swap(core_->outbox());
    return out;
  }
  template <typename T>
  static std::vector<T> Of(const std::vector<Outgoing>& out, const std::string& peer = "") {
    std::vector<T> v;
    for (const auto& o : out) {
      if (auto* m = std::get_if<T>(&o.message); m && (peer.empty() || o.peer == peer))
        v.push_back(*m);
    }
    return v;
  }
  void Ready(const std::string& peer, uint32_t slots, uint32_t credit) {
    core_->OnMessage(peer, pr::Ready{"runner-" + peer, slots, credit, 0});
  }
  // A READY as this repository's runner sends it: with its process instance and held jobs.
  void ReadyAs(const std::string& peer, const std::string& name, const std::string& instance,
               uint32_t slots, uint32_t credit, uint32_t queue = 0,
               std::vector<pr::JobRef> held = {}) {
    pr::Ready r{name, slots, credit, queue};
    r.instance = instance;
    r.held = std::move(held);
    core_->OnMessage(peer, r);
  }
  void Started(const std::string& peer, const std::vector<pr::Job>& jobs) {
    pr::Heartbeat hb{static_cast<uint32_t>(jobs.size())};
    for (const auto& j : jobs) hb.started.push_back(Ref(j));
    core_->OnMessage(peer, hb);
  }
  static pr::JobRef Ref(const pr::Job& j) { return {j.sweep, j.index, j.attempt}; }
  static pr::JobResult HandedBack(const pr::Job& j, uint32_t credit = 1) {
    pr::JobResult r = Failed(j, "handed back: runner is shutting down", true);
    r.handed_back = true;
    r.credit = credit;
    return r;
  }
  pr::RunnerStatus RunnerStatusOf(const std::string& name) {
    for (const auto& r : core_->BuildStatus("").runners)
      if (r.runner == name) return r;
    ADD_FAILURE() << "no runner " << name << " in STATUS";
    return {};
  }
  static pr::JobResult Done(const pr::Job& j, uint32_t credit = 1) {
    pr::JobResult r;
    r.sweep = j.sweep;
    r.index = j.index;
    r.attempt = j.attempt;
    r.result = R"({"ok":1})";
    r.credit = credit;
    return r;
  }
  static pr::JobResult Failed(const pr::Job& j, std::string why, bool retryable) {
    pr::JobResult r = Done(j);
    r.outcome = pr::Outcome::kFailed;
    r.result.clear();
    r.error = std::move(why);
    r.retryable = retryable;
    return r;
  }

  std::shared_ptr<store::ManualClock> clock_ = std::make_shared<store::ManualClock>();
  std::shared_ptr<store::DiskBudget> disk_ = std::make_shared<store::DiskBudget>(int64_t{1} << 40);
  fs::path dir_;
  std::unique_ptr<store::JobStore> store_;
  std::unique_ptr<BrokerCore> core_;
};

TEST_F(BrokerCoreTest, DispatchesOnlyAgainstCredit) {
  std::string id = Sweep(10);
  Ready("a", 4, 2);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take(), "a");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].kind, "diag");
  EXPECT_EQ(jobs[0].attempt, 1u);
  core_->Flush();
  EXPECT_TRUE(Of<pr::Job>(Take()).empty()) << "no credit left";
  core_->OnMessage("a", Done(jobs[0]));
  core_->Flush();
  auto out = Take();
  ASSERT_EQ(Of<pr::Ack>(out).size(), 1u);
  EXPECT_EQ(Of<pr::Ack>(out)[0].disposition, pr::AckDisposition::kRecorded);
  EXPECT_EQ(Of<pr::Job>(out).size(), 1u) << "the result's credit buys one more job";
  EXPECT_EQ(store_->Counts(id)->done, 1u);
}

TEST_F(BrokerCoreTest, AckFollowsTheDurableRecordAndDuplicatesAreDropped) {
  std::string id = Sweep(1);
  Ready("a", 1, 1);
  core_->Flush();
  auto job = Of<pr::Job>(Take()).at(0);
  core_->OnMessage("a", Done(job));
  EXPECT_TRUE(Of<pr::Ack>(core_->outbox()).empty()) << "no ACK before the batch is recorded";
  core_->OnMessage("a", Done(job, 0));  // the same result again in the same batch
  core_->Flush();
  auto acks = Of<pr::Ack>(Take());
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].disposition, pr::AckDisposition::kRecorded);
  EXPECT_EQ(acks[1].disposition, pr::AckDisposition::kDuplicate);
  EXPECT_EQ(core_->counters().at("results_duplicate"), 1u);
  EXPECT_EQ(*store_->GetResult(id, job.index), R"({"ok":1})");
}

TEST_F(BrokerCoreTest, CreditIsSharedFairlyBetweenSweeps) {
  std::string s1 = Sweep(100);
  std::string s2 = Sweep(100);
  Ready("a", 10, 10);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 10u);
  size_t from1 = 0;
  for (const auto& j : jobs) from1 += j.sweep == s1 ? 1 : 0;
  EXPECT_EQ(from1, 5u);
}

TEST_F(BrokerCoreTest, MaxWorkersCapsConcurrentLeases) {
  std::string capped = Sweep(50, /*max_workers=*/3);
  Ready("a", 8, 8);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  EXPECT_EQ(jobs.size(), 3u);
  std::string other = Sweep(50);
  core_->Flush();
  auto more = Of<pr::Job>(Take());
  EXPECT_EQ(more.size(), 5u);
  for (const auto& j : more) EXPECT_EQ(j.sweep, other);
  core_->OnMessage("a", Done(jobs[0]));
  core_->Flush();
  auto next = Of<pr::Job>(Take());
  ASSERT_EQ(next.size(), 1u);
}

TEST_F(BrokerCoreTest, SilentRunnerIsLostAndItsLeasesGoBack) {
  std::string id = Sweep(4);
  Ready("a", 2, 2);
  core_->Flush();
  ASSERT_EQ(Of<pr::Job>(Take()).size(), 2u);
  clock_->Advance(2000);
  core_->OnTick();
  EXPECT_EQ(core_->runner_count(), 1u) << "2 s of silence is under 3 beats";
  EXPECT_EQ(Of<pr::Heartbeat>(Take(), "a").size(), 1u) << "the broker heartbeats an idle runner";
  clock_->Advance(1500);
  core_->OnTick();
  EXPECT_EQ(core_->runner_count(), 0u);
  EXPECT_EQ(core_->counters().at("runners_lost"), 1u);
  auto counts = *store_->Counts(id);
  EXPECT_EQ(counts.pending, 4u);
  auto job = *store_->GetJob(id, 0);
  EXPECT_EQ(job.attempt, 1u);
  ASSERT_EQ(job.history.size(), 1u);
  // A new runner picks the jobs up as attempt 2.
  Ready("b", 4, 4);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take(), "b");
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].attempt, 2u);
}

TEST_F(BrokerCoreTest, ExpiredLeaseGoesBackWhileTheRunnerLives) {
  std::string id = Sweep(1, 0, /*timeout_ms=*/1000);
  Ready("a", 1, 1);
  core_->Flush();
  auto job = Of<pr::Job>(Take()).at(0);
  EXPECT_EQ(job.timeout_ms, 1000u);
  EXPECT_LE(core_->NextWakeMs(), 1000);
  clock_->Advance(1600);  // past timeout + grace
  core_->OnMessage("a", pr::Heartbeat{1});
  core_->OnTick();
  EXPECT_EQ(core_->counters().at("leases_expired"), 1u);
  EXPECT_EQ(store_->Counts(id)->pending + store_->Counts(id)->leased, 1u);
  // The late result still counts if it arrives before anyone else's.
  core_->OnMessage("a", Done(job));
  core_->Flush();
  EXPECT_EQ(store_->Counts(id)->done, 1u);
}

TEST_F(BrokerCoreTest, DeterministicFailureIsNotRetried) {
  std::string id = Sweep(2, 0, 0, /*max_attempts=*/2);
  Ready("a", 2, 2);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 2u);
  core_->OnMessage("a", Failed(jobs[0], "bad config: x", false));
  core_->OnMessage("a", Failed(jobs[1], "worker crashed (signal 11)", true));
  core_->Flush();
  auto out = Take();
  EXPECT_EQ(Of<pr::Ack>(out).size(), 2u);
  auto j0 = *store_->GetJob(id, jobs[0].index);
  EXPECT_EQ(j0.state, store::JobState::kFailed);
  EXPECT_EQ(j0.attempt, 1u);
  EXPECT_EQ(j0.failure_reason, "bad config: x");
  auto retry = Of<pr::Job>(out);
  ASSERT_EQ(retry.size(), 1u) << "the crashed job comes back";
  EXPECT_EQ(retry[0].attempt, 2u);
  core_->OnMessage("a", Failed(retry[0], "worker crashed (signal 11)", true));
  core_->Flush();
  Take();
  auto j1 = *store_->GetJob(id, jobs[1].index);
  EXPECT_EQ(j1.state, store::JobState::kFailed);
  EXPECT_EQ(j1.attempt, 2u);
}

TEST_F(BrokerCoreTest, ProtocolBreakersAreDisconnected) {
  pr::JobResult r;
  r.sweep = "sw-000000000000";
  core_->OnMessage("stranger", r);
  auto out = Take();
  ASSERT_EQ(Of<pr::Disconnect>(out, "stranger").size(), 1u);
  EXPECT_NE(Of<pr::Disconnect>(out)[0].reason.find("READY"), std::string::npos);
  core_->OnMessage("rogue", pr::Job{});
  EXPECT_EQ(Of<pr::Disconnect>(Take(), "rogue").size(), 1u);
  core_->OnBadMessage("garbage", Status::InvalidArgument("READY: field 'slots' is missing"));
  core_->OnBadMessage("future", Status::FailedPrecondition("unknown protocol version 's1mple/2'"));
  EXPECT_EQ(Of<pr::Disconnect>(Take()).size(), 2u);
  EXPECT_EQ(core_->counters().at("dropped_malformed"), 2u);
  EXPECT_EQ(core_->counters().at("dropped_version"), 1u);
}

TEST_F(BrokerCoreTest, ReconnectedRunnerKeepsItsName) {
  Sweep(3);
  Ready("a", 2, 2);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 2u);
  // Same runner name, new connection: the old peer is dropped, its result goes through.
  core_->OnMessage("a2", pr::Ready{"runner-a", 2, 0, 0});
  EXPECT_EQ(core_->runner_count(), 1u);
  core_->OnMessage("a2", Done(jobs[0], 1));
  core_->Flush();
  auto out = Take();
  ASSERT_EQ(Of<pr::Ack>(out, "a2").size(), 1u);
  EXPECT_EQ(Of<pr::Ack>(out, "a2")[0].disposition, pr::AckDisposition::kRecorded);
}

TEST_F(BrokerCoreTest, SubmissionIsChunkedAndResendable) {
  pr::SubmitBegin b;
  b.req = 7;
  b.spec.name = "chunks";
  b.spec.kind = "optimization";
  core_->OnMessage("c", b);
  auto r = TakeReply();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.req, 7u);
  std::string id = std::get<pr::SubmitBeginReply>(r.payload).sweep;
  core_->OnMessage("c", pr::SubmitJobs{8, id, 0, {"{}", "{}"}});
  EXPECT_TRUE(TakeReply().ok);
  core_->OnMessage("c", pr::SubmitJobs{9, id, 0, {"{}", "{}"}});
  EXPECT_TRUE(TakeReply().ok) << "a resent batch is accepted";
  core_->OnMessage("c", pr::SubmitJobs{10, id, 5, {"{}"}});
  auto gap = TakeReply();
  EXPECT_FALSE(gap.ok);
  EXPECT_NE(gap.error.find("first_index"), std::string::npos) << gap.error;
  core_->OnMessage("c", pr::SubmitCommit{11, id, 3});
  EXPECT_FALSE(TakeReply().ok) << "3 announced, 2 stored";
  core_->OnMessage("c", pr::SubmitCommit{12, id, 2});
  EXPECT_TRUE(TakeReply().ok);
  core_->OnMessage("c", pr::SubmitCommit{13, id, 2});
  EXPECT_TRUE(TakeReply().ok) << "a resent commit is accepted";
  b.spec.kind = "grid";
  core_->OnMessage("c", b);
  auto bad = TakeReply();
  EXPECT_NE(bad.error.find("field 'kind'"), std::string::npos);
}

// A producer cut off mid-submission submits the identical plan again: with resume_identical the
// broker hands back the open sweep and its stored job count instead of creating a second one;
// a committed sweep, another plan, or a request without the flag get a new sweep.
TEST_F(BrokerCoreTest, IdenticalSubmissionResumesTheOpenSweep) {
  auto begin = [&](const std::string& plan, bool resume) {
    pr::SubmitBegin b;
    b.req = 1;
    b.spec.name = "cut off";
    b.spec.kind = "optimization";
    b.spec.plan = plan;
    b.resume_identical = resume;
    core_->OnMessage("c", b);
    auto r = TakeReply();
    EXPECT_TRUE(r.ok) << r.error;
    return std::get<pr::SubmitBeginReply>(r.payload);
  };
  const auto first = begin("plan: a", true);
  EXPECT_FALSE(first.resumed);
  core_->OnMessage("c", pr::SubmitJobs{2, first.sweep, 0, {"{}", "{}", "{}"}});
  ASSERT_TRUE(TakeReply().ok);

  const auto again = begin("plan: a", true);
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.sweep, first.sweep);
  EXPECT_EQ(again.job_count, 3u);
  EXPECT_EQ(store_->ListSweeps().size(), 1u);

  const auto second = begin("plan: a", false);
  EXPECT_NE(second.sweep, first.sweep) << "without the flag: a new sweep";
  EXPECT_NE(begin("plan: b", true).sweep, first.sweep) << "another plan: a new sweep";
  core_->OnMessage("c", pr::SubmitCommit{3, first.sweep, 3});
  ASSERT_TRUE(TakeReply().ok);
  const auto after_commit = begin("plan: a", true);
  EXPECT_TRUE(after_commit.resumed);
  EXPECT_EQ(after_commit.sweep, second.sweep) << "the committed one is not reopened";
  EXPECT_EQ(after_commit.job_count, 0u);
}

TEST_F(BrokerCoreTest, StatusAndResultsReportTheSweep) {
  std::string id = Sweep(5);
  Ready("a", 2, 2);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  core_->OnMessage("a", Done(jobs[0]));
  core_->OnMessage("a", Failed(jobs[1], "bad config", false));
  core_->Flush();
  Take();
  core_->OnMessage("c", pr::StatusRequest{1, id});
  auto st = std::get<pr::StatusReply>(TakeReply().payload);
  ASSERT_EQ(st.sweeps.size(), 1u);
  EXPECT_EQ(st.sweeps[0].total, 5u);
  EXPECT_EQ(st.sweeps[0].done, 1u);
  EXPECT_EQ(st.sweeps[0].failed, 1u);
  EXPECT_EQ(st.sweeps[0].running, 2u);
  EXPECT_EQ(st.sweeps[0].state, "active");
  ASSERT_EQ(st.runners.size(), 1u);
  EXPECT_EQ(st.runners[0].runner, "runner-a");
  EXPECT_EQ(st.runners[0].slots, 2u);

  core_->OnMessage("c", pr::ResultsRequest{2, id, 0, 2, false});
  auto page = std::get<pr::ResultsReply>(TakeReply().payload);
  EXPECT_EQ(page.next, 2u);
  EXPECT_FALSE(page.end);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].state, "done");
  EXPECT_EQ(page.items[0].result, R"({"ok":1})");
  EXPECT_EQ(page.items[1].state, "failed");
  EXPECT_EQ(page.items[1].error, "bad config");
  core_->OnMessage("c", pr::ResultsRequest{3, id, 2, 100, true});
  auto rest = std::get<pr::ResultsReply>(TakeReply().payload);
  EXPECT_TRUE(rest.end);
  EXPECT_EQ(rest.items.size(), 3u);

  core_->OnMessage("c", pr::StatusRequest{4, "sw-ffffffffffff"});
  EXPECT_FALSE(TakeReply().ok);
}

TEST_F(BrokerCoreTest, PausedSweepGetsNoJobsUntilResumed) {
  std::string id = Sweep(5);
  core_->OnMessage("c", pr::SweepControl{1, pr::ControlAction::kPause, id});
  EXPECT_TRUE(TakeReply().ok);
  Ready("a", 2, 2);
  core_->Flush();
  EXPECT_TRUE(Of<pr::Job>(Take()).empty());
  core_->OnMessage("c", pr::SweepControl{2, pr::ControlAction::kResume, id});
  auto out = Take();
  EXPECT_EQ(Of<pr::Job>(out).size(), 2u);
}

TEST_F(BrokerCoreTest, ArtifactsAreVerifiedOnPut) {
  std::string data = "ts,close\n1,2\n";
  core_->OnMessage("c", pr::Put{1, Sha256Hex("something else"), data});
  auto bad = TakeReply();
  EXPECT_FALSE(bad.ok);
  core_->OnMessage("c", pr::Put{2, Sha256Hex(data), data});
  EXPECT_TRUE(TakeReply().ok);
  core_->OnMessage("c", pr::Get{3, Sha256Hex(data)});
  auto got = TakeReply();
  ASSERT_TRUE(got.ok);
  EXPECT_EQ(std::get<pr::GetReply>(got.payload).data, data);
  core_->OnMessage("c", pr::Get{4, Sha256Hex("missing")});
  EXPECT_FALSE(TakeReply().ok);
}

// ---- issue 15 --------------------------------------------------------------------------------

// Item 1: a hand-back (shutdown, revoke, killed by a shutdown) never uses up an attempt.
TEST_F(BrokerCoreTest, HandedBackJobIsNotCountedAndRunsAgain) {
  std::string id = Sweep(1, 0, 0, /*max_attempts=*/1);
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    ReadyAs("rr" + std::to_string(attempt), "rr", "inst" + std::to_string(attempt), 1, 1);
    core_->Flush();
    auto job = Of<pr::Job>(Take()).at(0);
    EXPECT_EQ(job.attempt, attempt);
    core_->OnMessage("rr" + std::to_string(attempt), HandedBack(job, 0));
    core_->OnMessage("rr" + std::to_string(attempt), pr::Disconnect{"stopped"});
    core_->Flush();
    EXPECT_EQ(store_->GetJob(id, 0)->state, store::JobState::kPending) << "attempt " << attempt;
  }
  EXPECT_EQ(store_->GetJob(id, 0)->uncounted_attempts, 3u);
  EXPECT_EQ(core_->counters().at("results_handed_back"), 3u);
  ReadyAs("rr4", "rr", "inst4", 1, 1);
  core_->Flush();
  auto job = Of<pr::Job>(Take()).at(0);
  core_->OnMessage("rr4", Done(job));
  core_->Flush();
  EXPECT_EQ(store_->GetJob(id, 0)->state, store::JobState::kDone);
}

// Item 1: a runner that leaves with DISCONNECT gives back what it did not finish, uncounted,
// after the results it sent before leaving are recorded.
TEST_F(BrokerCoreTest, RunnerThatLeavesReturnsItsJobsWithoutCountingThem) {
  std::string id = Sweep(3, 0, 0, /*max_attempts=*/1);
  ReadyAs("a", "rr", "inst", 3, 3);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 3u);
  core_->OnMessage("a", Done(jobs[0], 0));
  core_->OnMessage("a", pr::Disconnect{"runner rr shutting down"});  // jobs 1, 2 never reported
  EXPECT_EQ(store_->GetJob(id, 0)->state, store::JobState::kDone);
  EXPECT_TRUE(store_->GetJob(id, 0)->history.empty()) << "its result was not taken for a loss";
  EXPECT_EQ(store_->GetJob(id, 1)->state, store::JobState::kPending);
  EXPECT_EQ(store_->GetJob(id, 1)->uncounted_attempts, 1u);
}

// Item 2: with prefetch, a queued job's lease is extended while its runner lives and restarts
// when the job starts; no healthy job expires.
TEST_F(BrokerCoreTest, QueuedJobLeaseIsExtendedAndRestartsWhenTheJobStarts) {
  std::string id = Sweep(2, 0, /*timeout_ms=*/1000, /*max_attempts=*/1);  // lease 1500 ms
  ReadyAs("a", "rr", "inst", 1, 2, /*queue=*/1);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 2u);
  Started("a", {jobs[0]});  // job 1 waits in the runner's queue behind job 0
  for (int t = 0; t < 14; ++t) {
    clock_->Advance(100);
    core_->OnTick();
  }
  core_->OnMessage("a", Done(jobs[0], 0));  // at 1400 ms: job 1 starts now
  Started("a", {jobs[1]});
  core_->Flush();
  for (int t = 0; t < 14; ++t) {  // 1400 ms more: past the lease job 1 got at dispatch
    clock_->Advance(100);
    core_->OnMessage("a", pr::Heartbeat{1});
    core_->OnTick();
  }
  EXPECT_EQ(core_->counters().at("leases_expired"), 0u);
  EXPECT_EQ(store_->GetJob(id, 1)->state, store::JobState::kLeased);
  EXPECT_GE(store_->GetJob(id, 1)->lease->deadline_ms, 1400 + 1500);
  core_->OnMessage("a", Done(jobs[1], 1));
  core_->Flush();
  EXPECT_EQ(core_->counters().at("results_late"), 0u);
  EXPECT_EQ(store_->Counts(id)->done, 2u);
}

// Item 2: a runner with a free slot and nothing pending takes over a busy runner's queued job.
TEST_F(BrokerCoreTest, IdleRunnerGetsARevokedQueuedJobOfABusyRunner) {
  std::string id = Sweep(3);
  ReadyAs("a", "busy", "ia", 1, 3, /*queue=*/2);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take(), "a");
  ASSERT_EQ(jobs.size(), 3u);
  Started("a", {jobs[0]});
  ReadyAs("b", "idle", "ib", 1, 1);
  core_->Flush();
  auto out = Take();
  auto revokes = Of<pr::Revoke>(out, "a");
  ASSERT_EQ(revokes.size(), 1u) << "one free slot: one job revoked";
  ASSERT_EQ(revokes[0].jobs.size(), 1u);
  EXPECT_EQ(revokes[0].jobs[0], Ref(jobs[2])) << "the last in the busy runner's queue";
  EXPECT_TRUE(Of<pr::Job>(out).empty());
  core_->Flush();
  EXPECT_TRUE(Of<pr::Revoke>(Take()).empty()) << "not revoked twice";
  core_->OnMessage("a", HandedBack(jobs[2]));
  core_->Flush();
  out = Take();
  auto moved = Of<pr::Job>(out, "b");
  ASSERT_EQ(moved.size(), 1u) << "the idle runner gets it, not the busy one";
  EXPECT_EQ(moved[0].index, jobs[2].index);
  EXPECT_EQ(moved[0].attempt, 2u);
  EXPECT_TRUE(Of<pr::Job>(out, "a").empty());
  EXPECT_EQ(store_->GetJob(id, jobs[2].index)->uncounted_attempts, 1u);
  EXPECT_EQ(core_->counters().at("jobs_revoked"), 1u);
}

// Item 2: jobs go into free slots before they go into prefetch queues.
TEST_F(BrokerCoreTest, FreeSlotsAreFilledBeforePrefetchQueues) {
  ReadyAs("a", "ra", "ia", 1, 3, /*queue=*/2);
  ReadyAs("b", "rb", "ib", 1, 3, /*queue=*/2);
  Sweep(2);
  auto out = Take();
  EXPECT_EQ(Of<pr::Job>(out, "a").size(), 1u);
  EXPECT_EQ(Of<pr::Job>(out, "b").size(), 1u);
}

// Item 4: a runner that reconnects keeps the jobs it holds; those it does not hold (JOBs lost
// with its old connection) come back at once, not after the lease, and uncounted.
TEST_F(BrokerCoreTest, ReconnectKeepsHeldJobsAndReturnsTheOthersAtOnce) {
  std::string id = Sweep(3, 0, 0, /*max_attempts=*/1);
  ReadyAs("a", "rr", "inst", 3, 3);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 3u);
  Started("a", {jobs[0]});
  // New connection, same process; it got jobs 0 and 2, job 1 was lost in flight.
  ReadyAs("a2", "rr", "inst", 3, 1, 0, {Ref(jobs[0]), Ref(jobs[2])});
  EXPECT_EQ(core_->runner_count(), 1u);
  EXPECT_EQ(store_->GetJob(id, 0)->state, store::JobState::kLeased);
  EXPECT_EQ(store_->GetJob(id, 2)->state, store::JobState::kLeased);
  EXPECT_EQ(store_->GetJob(id, 1)->state, store::JobState::kPending);
  EXPECT_EQ(store_->GetJob(id, 1)->uncounted_attempts, 1u) << "never received: not counted";
  EXPECT_EQ(RunnerStatusOf("rr").running, 2u);
  core_->Flush();
  auto again = Of<pr::Job>(Take(), "a2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].index, 1u);
  core_->OnMessage("a2", Done(jobs[0]));
  core_->Flush();
  EXPECT_EQ(Of<pr::Ack>(Take()).at(0).disposition, pr::AckDisposition::kRecorded);
  EXPECT_EQ(core_->counters().at("results_late"), 0u) << "its lease was its own all along";
}

// Item 4: a held job that is no longer the runner's lease is revoked, not reclaimed.
TEST_F(BrokerCoreTest, HeldJobThatIsNoLongerItsLeaseIsRevoked) {
  std::string id = Sweep(1, 0, /*timeout_ms=*/100);
  ReadyAs("a", "rr", "inst", 1, 1);
  core_->Flush();
  auto job = Of<pr::Job>(Take()).at(0);
  Started("a", {job});
  clock_->Advance(700);
  core_->OnMessage("a", pr::Heartbeat{});
  core_->OnTick();  // the lease expired meanwhile (it ran past its timeout + grace)
  ASSERT_EQ(core_->counters().at("leases_expired"), 1u);
  ReadyAs("b", "other", "io", 1, 1);
  core_->Flush();
  Take();  // leased to "other"
  ReadyAs("a2", "rr", "inst", 1, 0, 0, {Ref(job)});
  auto revokes = Of<pr::Revoke>(Take(), "a2");
  ASSERT_EQ(revokes.size(), 1u);
  EXPECT_EQ(revokes[0].jobs.at(0), Ref(job));
  EXPECT_EQ(store_->GetJob(id, 0)->lease->runner, "other");
}

// Smaller item + item 4: a new process under a connected name whose connection is gone is a
// restart: its dead process's leases come back at once (a lost runner: counted).
TEST_F(BrokerCoreTest, RestartedRunnerGetsItsDeadProcessLeasesBackAtOnce) {
  std::string id = Sweep(2, 0, 0, /*max_attempts=*/3);
  ReadyAs("old", "rr", "first-process", 2, 2);
  core_->Flush();
  ASSERT_EQ(Of<pr::Job>(Take()).size(), 2u);
  core_->SetPeerProbe([](const std::string& peer) { return peer != "old"; });
  ReadyAs("new", "rr", "second-process", 2, 2, 0, {});
  EXPECT_EQ(core_->runner_count(), 1u);
  auto job = *store_->GetJob(id, 0);
  ASSERT_EQ(job.history.size(), 1u);
  EXPECT_NE(job.history[0].reason.find("restarted"), std::string::npos) << job.history[0].reason;
  EXPECT_EQ(job.uncounted_attempts, 0u);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take(), "new");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].attempt, 2u);
  EXPECT_EQ(core_->counters().at("leases_expired"), 0u);
  EXPECT_EQ(core_->counters().at("runners_lost"), 0u);
}

// Smaller item: two live runners with one name are both kept, the second under "name~2".
TEST_F(BrokerCoreTest, TwoLiveRunnersWithOneNameGetUniqueNames) {
  std::string id = Sweep(4);
  core_->SetPeerProbe([](const std::string&) { return true; });
  ReadyAs("p1", "twin", "process-1", 1, 1);
  ReadyAs("p2", "twin", "process-2", 1, 1);
  EXPECT_EQ(core_->runner_count(), 2u);
  EXPECT_EQ(core_->counters().at("runners_renamed"), 1u);
  RunnerStatusOf("twin");
  RunnerStatusOf("twin~2");
  core_->Flush();
  auto out = Take();
  auto j1 = Of<pr::Job>(out, "p1");
  auto j2 = Of<pr::Job>(out, "p2");
  ASSERT_EQ(j1.size(), 1u);
  ASSERT_EQ(j2.size(), 1u);
  EXPECT_EQ(store_->GetJob(id, j2[0].index)->lease->runner, "twin~2");
  // Neither knocks the other off: both keep talking without a DISCONNECT.
  core_->OnMessage("p1", pr::Heartbeat{1});
  core_->OnMessage("p2", pr::Heartbeat{1});
  core_->OnMessage("p1", Done(j1[0]));
  core_->OnMessage("p2", Done(j2[0]));
  core_->Flush();
  out = Take();
  EXPECT_TRUE(Of<pr::Disconnect>(out).empty());
  EXPECT_EQ(Of<pr::Ack>(out, "p2").at(0).disposition, pr::AckDisposition::kRecorded);
  // The second one reconnects: it is twin~2 again, with its lease.
  auto next2 = Of<pr::Job>(out, "p2").at(0);
  ReadyAs("p2b", "twin", "process-2", 1, 0, 0, {Ref(next2)});
  EXPECT_EQ(core_->runner_count(), 2u);
  EXPECT_EQ(store_->GetJob(id, next2.index)->lease->runner, "twin~2");
  EXPECT_EQ(RunnerStatusOf("twin~2").running, 1u);
}

// Item 5: a result is accepted only from a runner that held that attempt's lease.
TEST_F(BrokerCoreTest, ResultFromARunnerThatNeverHeldTheJobIsRejected) {
  std::string id = Sweep(2);
  Ready("a", 1, 1);
  Ready("b", 1, 0);
  core_->Flush();
  auto job = Of<pr::Job>(Take(), "a").at(0);
  core_->OnMessage("b", Done(job, 0));                                     // a's job
  core_->OnMessage("b", Done(pr::Job{id, 1, 1, 0, "diag", {}, "{}"}, 0));  // nobody's job
  core_->Flush();
  auto acks = Of<pr::Ack>(Take(), "b");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].disposition, pr::AckDisposition::kRejected);
  EXPECT_EQ(acks[1].disposition, pr::AckDisposition::kRejected);
  EXPECT_EQ(store_->Counts(id)->done, 0u);
  core_->OnMessage("a", Done(job));
  core_->Flush();
  EXPECT_EQ(Of<pr::Ack>(Take(), "a").at(0).disposition, pr::AckDisposition::kRecorded);
}

// Item 5: cancel is final; a result that arrives after it is rejected.
TEST_F(BrokerCoreTest, ResultForACancelledSweepIsRejected) {
  std::string id = Sweep(2);
  ReadyAs("a", "rr", "inst", 1, 2, /*queue=*/1);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 2u);
  Started("a", {jobs[0]});
  core_->OnMessage("c", pr::SweepControl{9, pr::ControlAction::kCancel, id});
  EXPECT_TRUE(TakeReply().ok);
  auto revokes = Of<pr::Revoke>(Take(), "a");
  ASSERT_EQ(revokes.size(), 1u) << "its queued job is not worth running";
  EXPECT_EQ(revokes[0].jobs.at(0), Ref(jobs[1]));
  core_->OnMessage("a", Done(jobs[0]));
  core_->Flush();
  EXPECT_EQ(Of<pr::Ack>(Take()).at(0).disposition, pr::AckDisposition::kRejected);
  EXPECT_FALSE(store_->GetResult(id, 0).ok());
}

// Item 6: a failed RESULT for a job already DONE is ACKed `duplicate`.
TEST_F(BrokerCoreTest, FailedResultForADoneJobIsAckedDuplicate) {
  Sweep(1);
  Ready("a", 1, 1);
  core_->Flush();
  auto job = Of<pr::Job>(Take()).at(0);
  core_->OnMessage("a", Done(job));
  core_->OnMessage("a", Failed(job, "worker crashed", true));
  core_->Flush();
  auto acks = Of<pr::Ack>(Take());
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].disposition, pr::AckDisposition::kRecorded);
  EXPECT_EQ(acks[1].disposition, pr::AckDisposition::kDuplicate);
}

// Item 6: STATUS `running` is the jobs leased to the runner without a result, not slots-credit.
TEST_F(BrokerCoreTest, StatusRunningCountsLeasedJobsNotSlotsMinusCredit) {
  Ready("a", 2, 0);  // idle, taking nothing for now
  EXPECT_EQ(RunnerStatusOf("runner-a").running, 0u);
  Sweep(5);
  Ready("a", 2, 2);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(RunnerStatusOf("runner-a").running, 2u);
  core_->OnMessage("a", Done(jobs[0], 0));
  EXPECT_EQ(RunnerStatusOf("runner-a").running, 1u);
}

// Item 6: credit never gives a runner more outstanding jobs than slots + queue.
TEST_F(BrokerCoreTest, DuplicateResultCannotGiveARunnerMoreJobsThanItsSlots) {
  Sweep(5);
  Ready("a", 1, 1);
  core_->Flush();
  auto first = Of<pr::Job>(Take()).at(0);
  core_->OnMessage("a", Done(first, 1));
  core_->Flush();
  auto out = Take();
  ASSERT_EQ(Of<pr::Job>(out).size(), 1u);
  core_->OnMessage("a", Done(first, 1));  // the same result again, credit 1 again
  core_->Flush();
  out = Take();
  EXPECT_EQ(Of<pr::Ack>(out).at(0).disposition, pr::AckDisposition::kDuplicate);
  EXPECT_TRUE(Of<pr::Job>(out).empty()) << "a 1-slot runner never holds 2 jobs";
  EXPECT_EQ(RunnerStatusOf("runner-a").running, 1u);
}

// Lost runner: the jobs it had started count an attempt, those still queued do not.
TEST_F(BrokerCoreTest, LostRunnerQueuedJobsComeBackUncounted) {
  std::string id = Sweep(2, 0, 0, /*max_attempts=*/1);
  ReadyAs("a", "rr", "inst", 1, 2, /*queue=*/1);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 2u);
  Started("a", {jobs[0]});
  clock_->Advance(3500);  // silent past 3 beats
  core_->OnTick();
  EXPECT_EQ(core_->counters().at("runners_lost"), 1u);
  EXPECT_EQ(store_->GetJob(id, 0)->state, store::JobState::kFailed) << "it ran: counted";
  EXPECT_EQ(store_->GetJob(id, 1)->state, store::JobState::kPending) << "it never ran";
  EXPECT_EQ(store_->GetJob(id, 1)->uncounted_attempts, 1u);
}

// Smaller item: a full disk does not flood the log; one line per distinct error per 10 s.
TEST_F(BrokerCoreTest, RepeatedStoreErrorsAreLoggedOncePerWindow) {
  Sweep(50);
  Ready("a", 1, 1);
  core_->Flush();
  auto job = Of<pr::Job>(Take()).at(0);
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  disk_->Set(0);                    // the disk is full from now on
  for (int i = 0; i < 1000; ++i) {  // 20 s of a busy loop: a result, a batch, a tick
    clock_->Advance(20);
    core_->OnMessage("a", Done(job, i == 0 ? 1 : 0));
    core_->Flush();
    core_->OnTick();
    Take();
  }
  spdlog::set_default_logger(previous);
  std::string text = log.str();
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_GE(core_->counters().at("store_errors"), 1000u) << "every error is still counted";
  EXPECT_LE(lines, 12u) << text;
  EXPECT_GE(lines, 2u) << text;
  EXPECT_NE(text.find("more like it since the last such line"), std::string::npos) << text;
}

}  // namespace
}  // namespace s1mple::broker

namespace s1mple::broker {
namespace {

// Issue 14: a RESULTS page is bounded by bytes as well as by count. Six results of 3 MiB need
// three pages under the 8 MiB budget; `next` says where each continues; `fields` returns only
// the named members of each result.
TEST_F(BrokerCoreTest, ResultsPagesAreBoundedByBytes) {
  std::string id = Sweep(6);
  Ready("a", 6, 6);
  core_->Flush();
  auto jobs = Of<pr::Job>(Take());
  ASSERT_EQ(jobs.size(), 6u);
  const std::string pad(3u << 20, 'x');
  for (const auto& j : jobs) {
    pr::JobResult r = Done(j);
    r.result = R"({"metrics":{"sharpe_ratio":)" + std::to_string(j.index) + R"(},"equity":")" +
               pad + R"(","bars":7})";
    core_->OnMessage("a", r);
  }
  core_->Flush();
  Take();

  std::vector<size_t> page_sizes;
  uint64_t after = 0;
  std::set<uint64_t> seen;
  for (int pages = 0; pages < 10; ++pages) {
    core_->OnMessage("c", pr::ResultsRequest{10, id, after, 1000, false});
    pr::Reply reply = TakeReply();
    ASSERT_TRUE(reply.ok) << reply.error;
    auto page = std::get<pr::ResultsReply>(reply.payload);
    size_t bytes = 0;
    for (const auto& item : page.items) {
      bytes += item.result.size();
      EXPECT_TRUE(seen.insert(item.index).second) << "index " << item.index << " twice";
    }
    EXPECT_LE(bytes, pr::kReplyBudgetBytes);
    EXPECT_LT(pr::Encode(pr::Message(reply))[2].size(), pr::kMaxMessageBytes);
    page_sizes.push_back(page.items.size());
    after = page.next;
    if (page.end) break;
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{2, 2, 2}));
  EXPECT_EQ(seen.size(), 6u);

  // A smaller budget asked for by the client: one item per page, never none.
  pr::ResultsRequest small{11, id, 0, 1000, false};
  small.max_bytes = 1;
  core_->OnMessage("c", small);
  auto one = std::get<pr::ResultsReply>(TakeReply().payload);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.next, 1u);

  // Only the members asked for: every result in one page.
  pr::ResultsRequest slim{12, id, 0, 1000, false};
  slim.fields = {"metrics", "bars"};
  core_->OnMessage("c", slim);
  auto all = std::get<pr::ResultsReply>(TakeReply().payload);
  ASSERT_EQ(all.items.size(), 6u);
  EXPECT_TRUE(all.end);
  EXPECT_EQ(all.items[2].result, R"({"metrics":{"sharpe_ratio":2},"bars":7})");
}

// GET returns an artifact range by range (at most kArtifactChunkBytes each) with its total size.
TEST_F(BrokerCoreTest, GetReturnsArtifactRanges) {
  std::string data(10u << 20, 'a');
  for (size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>('a' + i % 26);
  const std::string hash = Sha256Hex(data);
  core_->OnMessage("c", pr::Put{1, hash, data});
  ASSERT_TRUE(TakeReply().ok);

  std::string got;
  for (int i = 0; i < 5 && got.size() < data.size(); ++i) {
    pr::Get get;
    get.req = 2;
    get.hash = hash;
    get.offset = got.size();
    core_->OnMessage("c", get);
    pr::Reply reply = TakeReply();
    ASSERT_TRUE(reply.ok) << reply.error;
    auto g = std::get<pr::GetReply>(reply.payload);
    EXPECT_EQ(g.total, data.size());
    EXPECT_EQ(g.offset, got.size());
    EXPECT_LE(g.data.size(), pr::kArtifactChunkBytes);
    got += g.data;
  }
  EXPECT_EQ(got, data);

  pr::Get tail;
  tail.req = 3;
  tail.hash = hash;
  tail.offset = data.size() - 10;
  tail.length = 100;
  core_->OnMessage("c", tail);
  EXPECT_EQ(std::get<pr::GetReply>(TakeReply().payload).data.size(), 10u);

  pr::Get beyond;
  beyond.req = 4;
  beyond.hash = hash;
  beyond.offset = data.size() + 1;
  core_->OnMessage("c", beyond);
  pr::Reply refused = TakeReply();
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("field 'offset'"), std::string::npos) << refused.error;
}

// STATUS of every sweep is paged by bytes: `next` continues the list, which ends empty.
TEST_F(BrokerCoreTest, StatusOfAllSweepsIsPaged) {
  CoreOptions co;
  co.reply_budget_bytes = 1000;  // about six sweeps a page
  core_ = std::make_unique<BrokerCore>(*store_, *clock_, co);
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.insert(Sweep(1));
    clock_->Advance(1);
  }
  std::set<std::string> listed;
  std::string after;
  int pages = 0;
  for (; pages < 30; ++pages) {
    pr::StatusRequest q;
    q.req = 5;
    q.after = after;
    core_->OnMessage("c", q);
    auto st = std::get<pr::StatusReply>(TakeReply().payload);
    EXPECT_FALSE(st.sweeps.empty());
    for (const auto& s : st.sweeps) EXPECT_TRUE(listed.insert(s.sweep).second) << s.sweep;
    after = st.next;
    if (after.empty()) break;
  }
  EXPECT_EQ(listed, ids);
  EXPECT_GE(pages, 2);
}

}  // namespace
}  // namespace s1mple::broker

namespace s1mple::broker {
namespace {

// Issue 16: options are validated once. --liveness 0 used to be accepted and made every runner
// lost at the next tick; now it is refused, naming the flag, before the broker starts.
TEST(BrokerOptions, ValuesTheBrokerCannotWorkWithAreRefusedNamingTheFlag) {
  EXPECT_TRUE(Validate(CoreOptions{}).ok());
  CoreOptions o;
  o.liveness = 0;
  Status s = Validate(o);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("--liveness 0"), std::string::npos) << s.ToString();
  o = {};
  o.heartbeat_ms = 0;
  EXPECT_NE(Validate(o).message().find("--heartbeat-ms"), std::string::npos);
  o = {};
  o.default_timeout_ms = -5;
  EXPECT_NE(Validate(o).message().find("--default-timeout-ms -5"), std::string::npos);
  o = {};
  o.lease_grace_ms = -1;
  EXPECT_NE(Validate(o).message().find("--lease-grace-ms"), std::string::npos);
  o = {};
  o.lease_grace_ms = 0;  // no grace is allowed
  EXPECT_TRUE(Validate(o).ok());
}

}  // namespace
}  // namespace s1mple::broker
