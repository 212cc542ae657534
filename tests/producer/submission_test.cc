// Streaming submission (producer/submission.h) against a real broker (broker::Broker on a
// loopback TCP socket) and a real RocksDB store: every job comes from the lazy job space in
// bounded batches, a cut-off submission of the identical plan is finished instead of starting a
// second sweep, a broker that dies mid-submission and comes back gets the unanswered batch again,
// and an interruption stops between batches.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "common/sha256.h"
#include "producer/submission.h"
#include "store/job_store.h"
#include "tests/producer/plan_test_util.h"

namespace s1mple::producer {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// 6 x 50 = 300 jobs.
constexpr const char* kPlan = R"(optimization_config:
  name: submission test
  base_operation: b.yaml
  parameter_space:
    - worker_category: opportunity_workers
      worker_plugin: trend_follower
      parameters:
        fast_period: {start: 5, end: 10, step: 1}
        slow_period: {start: 30, end: 79, step: 1}
)";

// A broker serving `store` on a loopback port on its own thread; Restart() replaces it with a
// new broker on the same endpoint (what a restarted `s1mple broker` is to its clients).
class BrokerThread {
 public:
  explicit BrokerThread(store::JobStore& store) : store_(store) { Start("tcp://127.0.0.1:*"); }
  ~BrokerThread() { Stop(); }
  void Start(const std::string& bind) {
    broker::BrokerOptions o;
    o.bind = {bind};
    auto b = broker::Broker::Create(o, store_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(b).value();
    endpoint_ = broker_->endpoints().at(0);
    thread_ = std::thread([b = broker_.get()] { (void)b->Run(); });
  }
  void Stop() {
    if (!broker_) return;
    broker_->Stop();
    thread_.join();
    broker_.reset();  // closes the socket: requests in flight are lost
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  store::JobStore& store_;
  std::unique_ptr<broker::Broker> broker_;
  std::thread thread_;
  std::string endpoint_;
};

class SubmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-submit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store::Options o;
    o.sync = store::SyncPolicy::kNone;
    auto s = store::JobStore::Open(dir_.string(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    broker_ = std::make_unique<BrokerThread>(*store_);
    spec_.name = "submission test";
    spec_.kind = "optimization";
    spec_.plan = kPlan;
    spec_.artifacts = {{"operation", Sha256Hex(artifact_)}};
  }
  void TearDown() override {
    broker_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // A channel whose tries wait `try_ms` for a reply.
  BrokerChannel Channel(int try_ms = 2000, std::function<bool()> interrupted = {}) {
    transport::ClientOptions o;
    o.endpoint = broker_->endpoint();
    o.timeout_ms = try_ms;
    ChannelOptions co;
    co.give_up_after_ms = 20'000;
    co.interrupted = std::move(interrupted);
    return BrokerChannel([o] { return transport::Client::Connect(o); }, o.endpoint, co);
  }

  void ExpectEveryJobStored(const std::string& sweep) {
    auto info = store_->GetSweep(sweep);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->job_count, space_.size());
    EXPECT_EQ(info->state, store::SweepState::kActive);
    uint64_t n = 0;
    Status st = store_->ScanJobs(sweep, 0, 0, [&](const store::JobInfo& j) {
      EXPECT_EQ(j.index, n);
      EXPECT_EQ(j.overrides, space_.Overrides(j.index).dump()) << j.index;
      ++n;
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(n, space_.size());
  }

  fs::path dir_;
  std::unique_ptr<store::JobStore> store_;
  std::unique_ptr<BrokerThread> broker_;
  JobSpace space_ = testing::SpaceOfText(kPlan);
  std::string artifact_ = "name: base operation\n";
  protocol::SweepSpec spec_;
};

TEST_F(SubmissionTest, StreamsEveryJobFromTheJobSpaceInBoundedBatches) {
  ASSERT_EQ(space_.size(), 300u);
  auto channel = Channel();
  SubmitOptions o;
  o.batch_jobs = 64;
  std::vector<uint64_t> stored;
  o.on_batch = [&](uint64_t n, uint64_t total) {
    EXPECT_EQ(total, 300u);
    stored.push_back(n);
  };
  Submission sub;
  Status s = SubmitSweep(channel, spec_, {artifact_}, space_, o, &sub);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(sub.committed);
  EXPECT_FALSE(sub.resumed);
  EXPECT_EQ(stored, (std::vector<uint64_t>{64, 128, 192, 256, 300}));
  ExpectEveryJobStored(sub.sweep);
  EXPECT_TRUE(store_->HasArtifact(Sha256Hex(artifact_)));

  // A byte bound cuts batches too (each override is ~70 bytes here).
  o.batch_jobs = 1000;
  o.batch_bytes = 1000;
  stored.clear();
  spec_.name = "by bytes";
  spec_.plan = std::string(kPlan) + "# another plan text: another sweep\n";
  ASSERT_TRUE(SubmitSweep(channel, spec_, {artifact_}, space_, o, &sub).ok());
  ASSERT_GT(stored.size(), 10u);
  for (size_t i = 1; i < stored.size(); ++i) EXPECT_LT(stored[i] - stored[i - 1], 20u);
  ExpectEveryJobStored(sub.sweep);
}

// Issue 15: a producer cut off mid-submission (killed, or its broker died) left an open sweep;
// the identical plan submitted again finishes that sweep instead of creating a second one.
TEST_F(SubmissionTest, IdenticalPlanFinishesACutOffSubmission) {
  auto channel = Channel();
  protocol::SubmitBegin begin;
  begin.spec = spec_;
  ASSERT_TRUE(channel.Call(protocol::Put{0, Sha256Hex(artifact_), artifact_}).ok());
  auto r = channel.Call(begin);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string cut_off = std::get<protocol::SubmitBeginReply>(r->payload).sweep;
  protocol::SubmitJobs jobs;
  jobs.sweep = cut_off;
  for (uint64_t i = 0; i < 120; ++i) jobs.overrides.push_back(space_.Overrides(i).dump());
  ASSERT_TRUE(channel.Call(jobs).ok());

  Submission sub;
  SubmitOptions o;
  o.batch_jobs = 50;
  Status s = SubmitSweep(channel, spec_, {artifact_}, space_, o, &sub);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(sub.resumed);
  EXPECT_EQ(sub.sweep, cut_off);
  EXPECT_EQ(sub.resumed_at, 120u);
  EXPECT_EQ(store_->ListSweeps().size(), 1u);
  ExpectEveryJobStored(cut_off);
}

// Issue 15: "a producer whose broker dies during submission does not retry". The broker goes
// away after a few batches are stored (requests in flight are lost with its socket) and comes
// back on the same endpoint 800 ms later: the unanswered batch is sent again on a new
// connection and the submission completes, one sweep, every job once.
TEST_F(SubmissionTest, BrokerThatDiesMidSubmissionGetsTheUnansweredBatchAgain) {
  auto channel = Channel(/*try_ms=*/300);
  std::atomic<bool> restarted{false};
  std::thread chaos([&] {
    // Wait until some jobs are stored, then kill and restart the broker.
    for (int i = 0; i < 2000 && !restarted.load(); ++i) {
      auto sweeps = store_->ListSweeps();
      if (!sweeps.empty() && sweeps.front().job_count >= 60) {
        const std::string endpoint = broker_->endpoint();
        broker_->Stop();
        std::this_thread::sleep_for(milliseconds(800));
        broker_->Start(endpoint);
        restarted = true;
        return;
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  SubmitOptions o;
  o.batch_jobs = 20;
  // Slow the producer down a little so the broker dies mid-submission, not after it.
  o.on_batch = [](uint64_t, uint64_t) { std::this_thread::sleep_for(milliseconds(30)); };
  Submission sub;
  Status s = SubmitSweep(channel, spec_, {artifact_}, space_, o, &sub);
  chaos.join();
  ASSERT_TRUE(restarted.load()) << "the broker was not restarted mid-submission";
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(channel.retries(), 1u) << "no request went unanswered: the test did not test";
  EXPECT_EQ(store_->ListSweeps().size(), 1u);
  ExpectEveryJobStored(sub.sweep);
}

TEST_F(SubmissionTest, GivesUpAfterTheBoundedWaitNamingTheBroker) {
  transport::ClientOptions co;
  co.endpoint = broker_->endpoint();
  co.timeout_ms = 200;
  broker_->Stop();  // nobody answers
  ChannelOptions o;
  o.give_up_after_ms = 1000;
  BrokerChannel channel([co] { return transport::Client::Connect(co); }, co.endpoint, o);
  const auto start = std::chrono::steady_clock::now();
  Submission sub;
  Status s = SubmitSweep(channel, spec_, {artifact_}, space_, {}, &sub);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find(co.endpoint), std::string::npos) << s.ToString();
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_TRUE(sub.sweep.empty());
}

TEST_F(SubmissionTest, InterruptStopsBetweenBatchesAndKeepsWhatIsStored) {
  std::atomic<bool> stop{false};
  auto channel = Channel(2000, [&] { return stop.load(); });
  SubmitOptions o;
  o.batch_jobs = 25;
  bool asked = false;
  o.on_batch = [&](uint64_t n, uint64_t) {
    if (n >= 100 && !asked) stop = asked = true;  // Ctrl-C once
  };
  Submission sub;
  Status s = SubmitSweep(channel, spec_, {artifact_}, space_, o, &sub);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(channel.interrupted());
  EXPECT_FALSE(sub.committed);
  ASSERT_FALSE(sub.sweep.empty());
  auto info = store_->GetSweep(sub.sweep);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, store::SweepState::kSubmitting);
  EXPECT_EQ(info->job_count, 100u);
  // Finishing it later sends only the rest.
  stop = false;
  ASSERT_TRUE(SendJobsAndCommit(channel, sub.sweep, space_, info->job_count, o).ok());
  ExpectEveryJobStored(sub.sweep);
}

}  // namespace
}  // namespace s1mple::producer
