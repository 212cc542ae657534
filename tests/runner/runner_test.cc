// The runner daemon against a scripted fake broker (a real ROUTER socket on loopback).
#include "runner/runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>

#include "common/sha256.h"
#include "protocol/codec.h"
#include "runner/runner_metrics.h"
#include "transport/security.h"
#include "transport/sockets.h"
#include "transport/zap_handler.h"

namespace s1mple::runner {
namespace {

namespace pr = s1mple::protocol;
using namespace std::chrono_literals;

struct Received {
  std::string from;
  pr::Message message;
};

// A ROUTER socket the test drives by hand.
class FakeBroker {
 public:
  FakeBroker() : router_(ctx_, zmq::socket_type::router) {
    EXPECT_TRUE(transport::ConfigureCommon(router_).ok());
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }

  // The next message whose command is `command` (others are kept in `skipped`), or nullopt.
  std::optional<Received> Expect(std::string_view command,
                                 std::chrono::milliseconds within = 5000ms) {
    auto end = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < end) {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 20ms);
      while (auto parts = transport::RecvParts(router_)) {
        std::vector<std::string_view> views;
        for (size_t i = 1; i < parts->size(); ++i)
          views.emplace_back(static_cast<const char*>((*parts)[i].data()), (*parts)[i].size());
        auto m = pr::Decode(views);
        EXPECT_TRUE(m.ok()) << m.status().ToString();
        if (!m.ok()) continue;
        Received r{(*parts)[0].to_string(), std::move(*m)};
        if (pr::CommandName(r.message) == command) return r;
        skipped.push_back(std::move(r));
      }
    }
    return std::nullopt;
  }
  void Send(const std::string& to, const pr::Message& m) {
    ASSERT_TRUE(transport::SendMessage(router_, m, &to).ok());
  }

  std::vector<Received> skipped;

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::string endpoint_;
};

class RunnerTest : public ::testing::Test {
 protected:
  void StartRunner(uint32_t slots, int heartbeat_ms = 200,
                   const std::function<void(RunnerOptions&)>& tweak = {}) {
    RunnerOptions o;
    o.endpoint = broker_.endpoint();
    o.slots = slots;
    o.name = "test-runner";
    o.worker_argv = {S1MPLE_TEST_WORKER};
    o.heartbeat_ms = heartbeat_ms;
    o.liveness = 3;
    o.reconnect_min_ms = 50;
    o.shutdown_grace_ms = 5000;
    if (tweak) tweak(o);
    runner_ = std::make_unique<Runner>(o);
    thread_ = std::thread([this] { status_ = runner_->Run(); });
  }
  void TearDown() override {
    if (runner_) runner_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  static pr::Job DiagJob(uint64_t index, std::string overrides = "{}") {
    return pr::Job{"sw-000000000001", index, 1, 10000, "diag", {}, std::move(overrides)};
  }

  FakeBroker broker_;
  std::unique_ptr<Runner> runner_;
  std::thread thread_;
  Status status_;
};

TEST_F(RunnerTest, ResultIsKeptUntilAckedAndResentAfterReconnect) {
  StartRunner(2);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  const auto& r = std::get<pr::Ready>(ready->message);
  EXPECT_EQ(r.runner, "test-runner");
  EXPECT_EQ(r.slots, 2u);
  EXPECT_EQ(r.credit, 2u);
  broker_.Send(ready->from, DiagJob(5));
  auto result = broker_.Expect("RESULT");
  ASSERT_TRUE(result);
  const auto& res = std::get<pr::JobResult>(result->message);
  EXPECT_EQ(res.index, 5u);
  EXPECT_EQ(res.outcome, pr::Outcome::kDone);
  EXPECT_EQ(res.credit, 1u);
  // No ACK: the broker "forgets" the runner, which must come back and resend.
  broker_.Send(ready->from, pr::Disconnect{"who are you"});
  auto again = broker_.Expect("READY");
  ASSERT_TRUE(again);
  auto resent = broker_.Expect("RESULT");
  ASSERT_TRUE(resent);
  EXPECT_EQ(std::get<pr::JobResult>(resent->message).index, 5u);
  EXPECT_EQ(std::get<pr::JobResult>(resent->message).credit, 0u) << "its slot is in READY's credit";
  broker_.Send(resent->from, pr::Ack{"sw-000000000001", 5, 1, pr::AckDisposition::kRecorded});
  runner_->Stop();
  EXPECT_TRUE(broker_.Expect("DISCONNECT"));
  thread_.join();
  EXPECT_TRUE(status_.ok()) << status_.ToString();
  EXPECT_EQ(runner_->stats().results_acked, 1u);
}

// Like the broker's, the runner's loop lets no exception out: one thrown inside an iteration
// (here by the test probe: first a std::exception, then a socket error that is not ETERM) is
// logged and counted, and the runner goes on receiving, running and reporting jobs.
TEST_F(RunnerTest, AnExceptionInTheLoopIsCountedAndTheRunnerCarriesOn) {
  std::atomic<int> iteration{0};
  std::atomic<bool> armed{false};
  std::atomic<int> thrown{0};
  StartRunner(1, 200, [&](RunnerOptions& o) {
    o.liveness = 50;  // the fake broker sends no heartbeats: stay connected while we wait
    o.loop_probe_for_testing = [&] {
      ++iteration;
      if (!armed.load()) return;
      const int n = thrown++;
      if (n == 0) throw std::runtime_error("probe: a bug in the loop");
      if (n == 1) {
        errno = EFAULT;  // a socket error, not the context's termination (ETERM)
        throw zmq::error_t();
      }
    };
  });
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  armed = true;
  const int before = iteration.load();
  for (int i = 0; i < 200 && iteration.load() < before + 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(runner_->stats().loop_exceptions, 2u);
  broker_.Send(ready->from, DiagJob(7));
  auto result = broker_.Expect("RESULT");
  ASSERT_TRUE(result) << "the runner stopped working after the exceptions";
  EXPECT_EQ(std::get<pr::JobResult>(result->message).index, 7u);
  EXPECT_EQ(std::get<pr::JobResult>(result->message).outcome, pr::Outcome::kDone);
  runner_->Stop();
  EXPECT_TRUE(broker_.Expect("DISCONNECT"));
  thread_.join();
  EXPECT_TRUE(status_.ok()) << status_.ToString();
  EXPECT_EQ(runner_->stats().loop_exceptions, 2u);
}

TEST_F(RunnerTest, ArtifactIsFetchedOnceAndVerified) {
  StartRunner(2);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  std::string data = "close\n1\n2\n";
  std::string hash = Sha256Hex(data);
  auto j1 = DiagJob(1);
  j1.artifacts["data"] = hash;
  auto j2 = DiagJob(2);
  j2.artifacts["data"] = hash;
  broker_.Send(ready->from, j1);
  broker_.Send(ready->from, j2);
  auto get = broker_.Expect("GET");
  ASSERT_TRUE(get);
  EXPECT_EQ(std::get<pr::Get>(get->message).hash, hash);
  pr::Reply reply;
  reply.req = std::get<pr::Get>(get->message).req;
  reply.command = "GET";
  reply.payload = pr::GetReply{hash, data, 0, data.size()};
  broker_.Send(get->from, reply);
  ASSERT_TRUE(broker_.Expect("RESULT"));
  ASSERT_TRUE(broker_.Expect("RESULT"));
  for (const auto& s : broker_.skipped) EXPECT_NE(pr::CommandName(s.message), "GET");
  EXPECT_EQ(runner_->stats().artifacts_fetched, 1u);
}

// A GET reply carries at most kArtifactChunkBytes: the runner asks for the rest from the
// offset it has, and verifies the hash of the whole.
TEST_F(RunnerTest, ArtifactIsFetchedRangeByRange) {
  StartRunner(1);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  std::string data = "close\n1\n2\n3\n";
  std::string hash = Sha256Hex(data);
  auto job = DiagJob(1);
  job.artifacts["data"] = hash;
  broker_.Send(ready->from, job);
  for (size_t offset : {size_t{0}, size_t{5}, size_t{10}}) {
    auto get = broker_.Expect("GET");
    ASSERT_TRUE(get);
    const auto& g = std::get<pr::Get>(get->message);
    EXPECT_EQ(g.offset, offset);
    pr::Reply reply;
    reply.req = g.req;
    reply.command = "GET";
    reply.payload = pr::GetReply{hash, data.substr(offset, 5), offset, data.size()};
    broker_.Send(get->from, reply);
  }
  auto result = broker_.Expect("RESULT");
  ASSERT_TRUE(result);
  EXPECT_EQ(std::get<pr::JobResult>(result->message).outcome, pr::Outcome::kDone)
      << std::get<pr::JobResult>(result->message).error;
  EXPECT_EQ(runner_->stats().artifacts_fetched, 1u);
}

// A GET whose reply never comes (e.g. dropped) is asked again on the same connection, so the
// job neither stalls nor holds its credit forever.
TEST_F(RunnerTest, UnansweredArtifactRequestIsAskedAgain) {
  StartRunner(1, /*heartbeat_ms=*/2000,
              [](RunnerOptions& o) { o.artifact_reply_timeout_ms = 300; });
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  std::string data = "close\n1\n";
  std::string hash = Sha256Hex(data);
  auto job = DiagJob(1);
  job.artifacts["data"] = hash;
  broker_.Send(ready->from, job);
  auto first = broker_.Expect("GET");
  ASSERT_TRUE(first);  // not answered
  auto second = broker_.Expect("GET", 2000ms);
  ASSERT_TRUE(second) << "the runner asks again after its reply timeout";
  EXPECT_EQ(second->from, first->from) << "on the same connection";
  pr::Reply reply;
  reply.req = std::get<pr::Get>(second->message).req;
  reply.command = "GET";
  reply.payload = pr::GetReply{hash, data, 0, data.size()};
  broker_.Send(second->from, reply);
  auto result = broker_.Expect("RESULT");
  ASSERT_TRUE(result);
  EXPECT_EQ(std::get<pr::JobResult>(result->message).outcome, pr::Outcome::kDone);
}

// A result the broker could not take (over the 16 MiB text bound) fails the job with the reason
// instead of being sent and dropped.
TEST_F(RunnerTest, OversizedResultFailsTheJobWithItsSize) {
  StartRunner(1);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  broker_.Send(ready->from, DiagJob(1, R"({"pad_bytes":16777300})"));
  auto result = broker_.Expect("RESULT", 10000ms);
  ASSERT_TRUE(result);
  const auto& res = std::get<pr::JobResult>(result->message);
  EXPECT_EQ(res.outcome, pr::Outcome::kFailed);
  EXPECT_FALSE(res.retryable);
  EXPECT_NE(res.error.find("exceeds the limit"), std::string::npos) << res.error;
}

TEST_F(RunnerTest, CorruptArtifactFailsTheJobNotTheRunner) {
  StartRunner(1);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  std::string hash = Sha256Hex("the real bytes");
  auto job = DiagJob(1);
  job.artifacts["blueprint"] = hash;
  broker_.Send(ready->from, job);
  // Every try gets the tampered bytes: the runner asks three times, then fails the job.
  for (int tries = 0; tries < 3; ++tries) {
    auto get = broker_.Expect("GET");
    ASSERT_TRUE(get) << "try " << tries + 1;
    pr::Reply reply;
    reply.req = std::get<pr::Get>(get->message).req;
    reply.command = "GET";
    reply.payload = pr::GetReply{hash, "tampered bytes", 0, 14};
    broker_.Send(get->from, reply);
  }
  auto result = broker_.Expect("RESULT");
  ASSERT_TRUE(result);
  const auto& res = std::get<pr::JobResult>(result->message);
  EXPECT_EQ(res.outcome, pr::Outcome::kFailed);
  EXPECT_NE(res.error.find("artifact " + hash + " unavailable"), std::string::npos) << res.error;
  broker_.Send(ready->from, DiagJob(2));
  auto next = broker_.Expect("RESULT");
  ASSERT_TRUE(next);
  EXPECT_EQ(std::get<pr::JobResult>(next->message).outcome, pr::Outcome::kDone);
}

TEST_F(RunnerTest, ReconnectsWhenTheBrokerIsSilent) {
  StartRunner(1, /*heartbeat_ms=*/100);
  auto first = broker_.Expect("READY");
  ASSERT_TRUE(first);
  auto hb = broker_.Expect("HEARTBEAT", 1000ms);
  ASSERT_TRUE(hb) << "an idle runner heartbeats";
  auto second = broker_.Expect("READY", 3000ms);
  ASSERT_TRUE(second) << "after 3 silent beats the runner reconnects";
  EXPECT_NE(second->from, first->from) << "a new connection";
  EXPECT_GE(runner_->stats().reconnects, 1u);
}

TEST_F(RunnerTest, StopHandsBackQueuedJobsAndFinishesRunningOnes) {
  StartRunner(1);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  broker_.Send(ready->from, DiagJob(1, R"({"sleep_ms":300})"));
  broker_.Send(ready->from, DiagJob(2, R"({"sleep_ms":300})"));
  std::this_thread::sleep_for(100ms);
  runner_->Stop();
  std::map<uint64_t, pr::JobResult> results;
  while (results.size() < 2) {
    auto r = broker_.Expect("RESULT");
    ASSERT_TRUE(r);
    auto res = std::get<pr::JobResult>(r->message);
    EXPECT_EQ(res.credit, 0u) << "a stopping runner takes no more work";
    broker_.Send(r->from,
                 pr::Ack{res.sweep, res.index, res.attempt, pr::AckDisposition::kRecorded});
    results[res.index] = res;
  }
  EXPECT_EQ(results[1].outcome, pr::Outcome::kDone) << "the running job finishes";
  EXPECT_FALSE(results[1].handed_back);
  EXPECT_EQ(results[2].outcome, pr::Outcome::kFailed);
  EXPECT_TRUE(results[2].retryable);
  EXPECT_TRUE(results[2].handed_back) << "a queued job handed back uses no attempt";
  EXPECT_NE(results[2].error.find("handed back"), std::string::npos);
  EXPECT_TRUE(broker_.Expect("DISCONNECT"));
  thread_.join();
  EXPECT_TRUE(status_.ok());
}

// Issue 15, item 1: a job killed because the runner shuts down (grace over) did not fail.
TEST_F(RunnerTest, JobKilledByTheShutdownIsHandedBack) {
  StartRunner(1, 200, [](RunnerOptions& o) { o.shutdown_grace_ms = 200; });
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  broker_.Send(ready->from, DiagJob(1, R"({"sleep_ms":10000})"));
  ASSERT_TRUE(broker_.Expect("HEARTBEAT"));
  runner_->Stop();
  auto r = broker_.Expect("RESULT");
  ASSERT_TRUE(r);
  const auto& res = std::get<pr::JobResult>(r->message);
  EXPECT_EQ(res.outcome, pr::Outcome::kFailed);
  EXPECT_TRUE(res.handed_back);
  EXPECT_NE(res.error.find("shut down before the job finished"), std::string::npos) << res.error;
  EXPECT_TRUE(broker_.Expect("DISCONNECT"));
  thread_.join();
}

// Issue 15, items 2 and 4: starts are reported; after a reconnect READY names this process and
// every job it holds (queued, running, result not acknowledged).
TEST_F(RunnerTest, ReportsStartsAndListsHeldJobsWhenItReconnects) {
  StartRunner(1, 200, [](RunnerOptions& o) { o.prefetch = 2; });
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  const auto& first = std::get<pr::Ready>(ready->message);
  EXPECT_EQ(first.queue, 2u);
  EXPECT_EQ(first.instance.size(), 16u);
  ASSERT_TRUE(first.held.has_value());
  EXPECT_TRUE(first.held->empty());
  broker_.Send(ready->from, DiagJob(1));                          // finishes at once
  broker_.Send(ready->from, DiagJob(2, R"({"sleep_ms":3000})"));  // then runs
  broker_.Send(ready->from, DiagJob(3));                          // waits behind job 2
  std::vector<uint64_t> started;
  while (started.size() < 2) {
    auto hb = broker_.Expect("HEARTBEAT");
    ASSERT_TRUE(hb);
    for (const auto& s : std::get<pr::Heartbeat>(hb->message).started) started.push_back(s.index);
  }
  EXPECT_EQ(started, (std::vector<uint64_t>{1, 2}));
  ASSERT_TRUE(broker_.Expect("RESULT"));  // job 1, not acknowledged
  broker_.Send(ready->from, pr::Disconnect{"who are you"});
  auto again = broker_.Expect("READY");
  ASSERT_TRUE(again);
  const auto& second = std::get<pr::Ready>(again->message);
  EXPECT_EQ(second.instance, first.instance) << "the same process";
  ASSERT_TRUE(second.held.has_value());
  std::set<uint64_t> held;
  for (const auto& h : *second.held) held.insert(h.index);
  EXPECT_EQ(held, (std::set<uint64_t>{1, 2, 3}));
  // And it says again which job is running.
  auto hb = broker_.Expect("HEARTBEAT");
  ASSERT_TRUE(hb);
  ASSERT_EQ(std::get<pr::Heartbeat>(hb->message).started.size(), 1u);
  EXPECT_EQ(std::get<pr::Heartbeat>(hb->message).started[0].index, 2u);
}

// Issue 15, item 2: REVOKE hands back queued jobs only; a running job runs on.
TEST_F(RunnerTest, RevokeHandsBackQueuedJobsOnly) {
  StartRunner(1, 200, [](RunnerOptions& o) { o.prefetch = 1; });
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  broker_.Send(ready->from, DiagJob(1, R"({"sleep_ms":400})"));
  broker_.Send(ready->from, DiagJob(2));
  ASSERT_TRUE(broker_.Expect("HEARTBEAT"));  // job 1 started
  broker_.Send(ready->from, pr::Revoke{{{"sw-000000000001", 1, 1}, {"sw-000000000001", 2, 1}}});
  auto back = broker_.Expect("RESULT");
  ASSERT_TRUE(back);
  const auto& b = std::get<pr::JobResult>(back->message);
  EXPECT_EQ(b.index, 2u);
  EXPECT_TRUE(b.handed_back);
  EXPECT_EQ(b.credit, 1u) << "its queue place is free again";
  auto done = broker_.Expect("RESULT");
  ASSERT_TRUE(done);
  EXPECT_EQ(std::get<pr::JobResult>(done->message).index, 1u);
  EXPECT_EQ(std::get<pr::JobResult>(done->message).outcome, pr::Outcome::kDone);
}

// Issue 21: the runner's metrics count each attempt by outcome and each failure by class, and a
// pool process started again after a crash or a timeout is a restart.
TEST_F(RunnerTest, MetricsCountFailuresByClassAndPoolRestarts) {
  StartRunner(1);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  auto job = [](uint64_t i, std::string overrides, uint64_t timeout_ms = 10000) {
    return pr::Job{"sw-000000000001", i, 1, timeout_ms, "diag", {}, std::move(overrides)};
  };
  const std::vector<pr::Job> jobs = {job(1, "{}"), job(2, R"({"crash":true})"),
                                     job(3, R"({"fail":"bad parameter"})"),
                                     job(4, R"({"hang":true})", 300), job(5, "{}")};
  for (const auto& j : jobs) {
    broker_.Send(ready->from, j);
    auto r = broker_.Expect("RESULT", 10000ms);
    ASSERT_TRUE(r) << "job " << j.index;
    const auto& res = std::get<pr::JobResult>(r->message);
    broker_.Send(r->from,
                 pr::Ack{res.sweep, res.index, res.attempt, pr::AckDisposition::kRecorded});
  }
  const RunnerStats s = runner_->stats();
  EXPECT_EQ(s.jobs_succeeded, 2u);
  EXPECT_EQ(s.jobs_failed, 3u);
  EXPECT_EQ(s.jobs_handed_back, 0u);
  auto failures = [&](FailureClass c) { return s.failures[static_cast<size_t>(c)]; };
  EXPECT_EQ(failures(FailureClass::kCrash), 1u);
  EXPECT_EQ(failures(FailureClass::kDeterministic), 1u);
  EXPECT_EQ(failures(FailureClass::kTimeout), 1u);
  EXPECT_EQ(failures(FailureClass::kError), 0u);
  EXPECT_EQ(s.worker_restarts, 2u) << "after the crash and after the timeout";
  EXPECT_EQ(s.workers_spawned, 3u);

  metrics::TextWriter w;
  WriteRunnerMetrics(w, s, 1);
  EXPECT_TRUE(w.errors().empty()) << w.errors().front();
  const std::string text = w.text();
  EXPECT_NE(text.find("s1mple_runner_jobs_total{outcome=\"succeeded\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("s1mple_runner_failures_total{class=\"crash\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("s1mple_runner_failures_total{class=\"timeout\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("s1mple_runner_failures_total{class=\"deterministic\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("s1mple_runner_pool_restarts_total 2\n"), std::string::npos);
}

// A job's artifacts are looked up in the cache when it arrives: the first job misses, the
// following ones hit.
TEST_F(RunnerTest, MetricsCountArtifactCacheHitsAndMisses) {
  StartRunner(1);
  auto ready = broker_.Expect("READY");
  ASSERT_TRUE(ready);
  const std::string bytes = "blueprint bytes";
  const std::string hash = Sha256Hex(bytes);
  for (uint64_t i = 1; i <= 3; ++i) {
    auto j = DiagJob(i);
    j.artifacts["blueprint"] = hash;
    broker_.Send(ready->from, j);
    if (i == 1) {
      auto get = broker_.Expect("GET");
      ASSERT_TRUE(get);
      pr::Reply reply;
      reply.req = std::get<pr::Get>(get->message).req;
      reply.command = "GET";
      reply.payload = pr::GetReply{hash, bytes, 0, bytes.size()};
      broker_.Send(get->from, reply);
    }
    auto r = broker_.Expect("RESULT");
    ASSERT_TRUE(r) << "job " << i;
    EXPECT_EQ(std::get<pr::JobResult>(r->message).outcome, pr::Outcome::kDone);
  }
  EXPECT_EQ(runner_->stats().artifact_cache_misses, 1u);
  EXPECT_EQ(runner_->stats().artifact_cache_hits, 2u);
  EXPECT_EQ(runner_->stats().artifacts_fetched, 1u);
}

// Issue 16: options are validated once: --liveness 0 (give up on the broker at the next tick)
// and other values the runner cannot work with are refused, naming the flag, before it starts.
TEST(RunnerOptionsTest, ValuesTheRunnerCannotWorkWithAreRefusedNamingTheFlag) {
  RunnerOptions o;
  o.endpoint = "tcp://127.0.0.1:5555";
  EXPECT_TRUE(Validate(o).ok());
  RunnerOptions bad = o;
  bad.liveness = 0;
  Status s = Validate(bad);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("--liveness 0"), std::string::npos) << s.ToString();
  bad = o;
  bad.heartbeat_ms = -1;
  EXPECT_NE(Validate(bad).message().find("--heartbeat-ms -1"), std::string::npos);
  bad = o;
  bad.shutdown_grace_ms = -1;
  EXPECT_NE(Validate(bad).message().find("--grace-ms"), std::string::npos);
  bad = o;
  bad.endpoint.clear();
  EXPECT_NE(Validate(bad).message().find("--connect"), std::string::npos);
  // Run() refuses them too (a library user who skips the CLI).
  bad = o;
  bad.liveness = 0;
  Runner r(bad);
  EXPECT_TRUE(r.Run().IsInvalidArgument());
}

}  // namespace
}  // namespace s1mple::runner
