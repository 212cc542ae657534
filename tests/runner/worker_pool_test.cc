// The worker pool isolates crashes, aborts, exceptions and hangs, and enforces timeouts.
#include "runner/worker_pool.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <nlohmann/json.hpp>

#include "common/sha256.h"

namespace s1mple::runner {
namespace {

class WorkerPoolTest : public ::testing::Test {
 protected:
  WorkerPool MakePool(size_t workers) {
    return WorkerPool(PoolOptions{{S1MPLE_TEST_WORKER}, workers},
                      [this](const std::string& h) -> const std::string* {
                        auto it = blobs_.find(h);
                        return it == blobs_.end() ? nullptr : &it->second;
                      });
  }
  static JobInput Diag(uint64_t index, const std::string& overrides, uint32_t attempt = 1) {
    return JobInput{"sw-test", index, attempt, "diag", {}, overrides};
  }
  // Polls until `n` jobs have finished (or 10 s pass).
  static std::vector<PoolCompletion> WaitFor(WorkerPool& pool, size_t n) {
    std::vector<PoolCompletion> all;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (all.size() < n && std::chrono::steady_clock::now() < end) {
      std::vector<pollfd> fds;
      for (int fd : pool.Fds()) fds.push_back({fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 20);
      for (auto& c : pool.Collect(std::chrono::steady_clock::now())) all.push_back(std::move(c));
    }
    return all;
  }
  std::map<std::string, std::string> blobs_;
};

TEST_F(WorkerPoolTest, DiagJobSucceeds) {
  auto pool = MakePool(1);
  ASSERT_TRUE(pool.Start(Diag(21, R"({"sleep_ms":5})"), 0).ok());
  auto done = WaitFor(pool, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].output.ok) << done[0].output.error;
  auto j = nlohmann::json::parse(done[0].output.result);
  EXPECT_EQ(j["index"], 21);
  EXPECT_EQ(j["value"], 42);
}

TEST_F(WorkerPoolTest, CrashIsRetryableAndPoolSurvives) {
  auto pool = MakePool(1);
  ASSERT_TRUE(pool.Start(Diag(1, R"({"crash":true})"), 0).ok());
  auto done = WaitFor(pool, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].output.ok);
  EXPECT_TRUE(done[0].output.retryable);
  EXPECT_NE(done[0].output.error.find("worker crashed (signal 11"), std::string::npos)
      << done[0].output.error;
  ASSERT_TRUE(pool.Start(Diag(2, "{}"), 0).ok());
  done = WaitFor(pool, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].output.ok);
  EXPECT_EQ(pool.spawned(), 2u);
}

TEST_F(WorkerPoolTest, AbortAndExitAreReported) {
  auto pool = MakePool(2);
  ASSERT_TRUE(pool.Start(Diag(1, R"({"abort":true})"), 0).ok());
  ASSERT_TRUE(pool.Start(Diag(2, R"({"exit":7})"), 0).ok());
  auto done = WaitFor(pool, 2);
  ASSERT_EQ(done.size(), 2u);
  for (const auto& c : done) {
    EXPECT_TRUE(c.output.retryable);
    if (c.job.index == 1) {
      EXPECT_NE(c.output.error.find("signal 6"), std::string::npos) << c.output.error;
    }
    if (c.job.index == 2) {
      EXPECT_EQ(c.output.error, "worker exited with code 7");
    }
  }
}

TEST_F(WorkerPoolTest, HangIsKilledAtTimeout) {
  auto pool = MakePool(1);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(pool.Start(Diag(1, R"({"hang":true})"), 300).ok());
  auto done = WaitFor(pool, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].output.error, "timeout after 300 ms (killed)");
  EXPECT_TRUE(done[0].output.retryable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(pool.busy(), 0u);
}

TEST_F(WorkerPoolTest, ExceptionAndFailureAreDeterministic) {
  auto pool = MakePool(2);
  ASSERT_TRUE(pool.Start(Diag(1, R"({"throw":"plugin exploded"})"), 0).ok());
  ASSERT_TRUE(pool.Start(Diag(2, R"({"fail":"bad config: fast_period < 1"})"), 0).ok());
  auto done = WaitFor(pool, 2);
  ASSERT_EQ(done.size(), 2u);
  for (const auto& c : done) {
    EXPECT_FALSE(c.output.ok);
    EXPECT_FALSE(c.output.retryable);
    if (c.job.index == 1) {
      EXPECT_EQ(c.output.error, "exception: plugin exploded");
    }
    if (c.job.index == 2) {
      EXPECT_EQ(c.output.error, "bad config: fast_period < 1");
    }
  }
  EXPECT_EQ(pool.spawned(), 2u) << "a caught exception must not cost a worker";
}

TEST_F(WorkerPoolTest, BusyPoolRefusesMoreWork) {
  auto pool = MakePool(1);
  ASSERT_TRUE(pool.Start(Diag(1, R"({"sleep_ms":200})"), 0).ok());
  EXPECT_TRUE(pool.Start(Diag(2, "{}"), 0).IsFailedPrecondition());
  EXPECT_EQ(WaitFor(pool, 1).size(), 1u);
}

TEST_F(WorkerPoolTest, MissingArtifactIsNotFound) {
  auto pool = MakePool(1);
  JobInput job = Diag(1, "{}");
  job.artifacts["data"] = Sha256Hex("absent");
  EXPECT_TRUE(pool.Start(job, 0).IsNotFound());
  blobs_[Sha256Hex("absent")] = "absent";
  EXPECT_TRUE(pool.Start(job, 0).ok());
  EXPECT_EQ(WaitFor(pool, 1).size(), 1u);
}

TEST_F(WorkerPoolTest, UnknownKindFailsDeterministically) {
  auto pool = MakePool(1);
  JobInput job = Diag(1, "{}");
  job.kind = "backtest";
  ASSERT_TRUE(pool.Start(job, 0).ok());
  auto done = WaitFor(pool, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].output.retryable);
  EXPECT_NE(done[0].output.error.find("cannot run backtests"), std::string::npos);
}

}  // namespace
}  // namespace s1mple::runner
