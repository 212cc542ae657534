// System tests of issue 6 with real processes on loopback: `s1mple broker` and `s1mple runner`
// daemons, killed, stopped and continued mid-sweep; a client library in this process submits
// and checks. Every wait is bounded; every child is killed when its test ends.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "producer/submission.h"
#include "tests/support/process.h"
#include "tests/system/daemon_process.h"
#include "transport/client.h"
#include "transport/keys.h"

namespace s1mple {
namespace {

namespace pr = s1mple::protocol;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::DaemonProcess;

class BrokerSystem : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-sys-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (HasFailure()) {
      if (broker_) std::cerr << "---- broker log\n" << broker_->Log();
      for (size_t i = 0; i < runners_.size(); ++i)
        std::cerr << "---- runner " << i << " log\n" << runners_[i]->Log();
    }
    runners_.clear();
    broker_.reset();
    fs::remove_all(dir_);
  }

  void StartBroker(std::vector<std::string> extra = {}, int liveness = 5) {
    fs::path ep = dir_ / "endpoint";
    std::vector<std::string> argv = {testing::S1mpleBin(),
                                     "broker",
                                     "--bind",
                                     "tcp://127.0.0.1:*",
                                     "--store",
                                     (dir_ / "store").string(),
                                     "--endpoint-file",
                                     ep.string(),
                                     "--heartbeat-ms",
                                     "200",
                                     "--liveness",
                                     std::to_string(liveness),
                                     "--lease-grace-ms",
                                     "1000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    broker_ = std::make_unique<DaemonProcess>(argv, dir_ / "broker.log");
    auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end && !fs::exists(ep))
      std::this_thread::sleep_for(20ms);
    std::ifstream f(ep);
    std::string listening, on;
    f >> listening >> on >> endpoint_;
    ASSERT_FALSE(endpoint_.empty()) << "broker did not start:\n" << broker_->Log();
  }
  DaemonProcess& StartRunner(const std::string& name, int slots,
                             std::vector<std::string> extra = {}, int grace_ms = 5000) {
    std::vector<std::string> argv = {testing::S1mpleBin(),
                                     "runner",
                                     "--connect",
                                     endpoint_,
                                     "--slots",
                                     std::to_string(slots),
                                     "--name",
                                     name,
                                     "--heartbeat-ms",
                                     "200",
                                     "--liveness",
                                     "5",
                                     "--grace-ms",
                                     std::to_string(grace_ms)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    fs::path log = dir_ / (name + ".log");
    for (int i = 2; fs::exists(log); ++i) log = dir_ / (name + "." + std::to_string(i) + ".log");
    runners_.push_back(std::make_unique<DaemonProcess>(argv, log));
    return *runners_.back();
  }
  std::unique_ptr<transport::Client> Connect(transport::ClientSecurity sec = {},
                                             int timeout_ms = 5000) {
    transport::ClientOptions co;
    co.endpoint = endpoint_;
    co.security = sec;
    co.timeout_ms = timeout_ms;
    return std::move(transport::Client::Connect(co).value());
  }
  // The runner named `name` in a STATUS reply (a default entry if it is not connected).
  static pr::RunnerStatus RunnerIn(const pr::StatusReply& s, const std::string& name) {
    for (const auto& r : s.runners)
      if (r.runner == name) return r;
    return {};
  }
  static std::string Submit(transport::Client& c, const std::vector<std::string>& overrides,
                            uint64_t timeout_ms = 0, uint32_t max_attempts = 0) {
    pr::SweepSpec spec;
    spec.name = "system";
    spec.kind = "diag";
    spec.timeout_ms = timeout_ms;
    spec.max_attempts = max_attempts;
    auto id = producer::SubmitOverrides(c.options(), spec, overrides);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }
  // Polls STATUS until `pred` holds (true) or `limit` passes (false).
  static bool WaitFor(transport::Client& c, const std::string& sweep,
                      const std::function<bool(const pr::StatusReply&)>& pred,
                      std::chrono::seconds limit = 60s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto st = c.GetStatus(sweep);
      if (st.ok() && pred(*st)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  static bool Complete(const pr::StatusReply& s) {
    return !s.sweeps.empty() && s.sweeps[0].state == "done";
  }
  static std::vector<pr::ResultItem> AllResults(transport::Client& c, const std::string& sweep) {
    std::vector<pr::ResultItem> all;
    uint64_t after = 0;
    while (true) {
      auto page = c.GetResults(sweep, after, 97, true);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (auto& i : page->items) all.push_back(std::move(i));
      after = page->next;
      if (page->end) break;
    }
    return all;
  }
  static uint64_t Counter(transport::Client& c, const std::string& name) {
    auto st = c.GetStatus();
    return st.ok() && st->counters.count(name) ? st->counters.at(name) : 0;
  }

  fs::path dir_;
  std::unique_ptr<DaemonProcess> broker_;
  std::vector<std::unique_ptr<DaemonProcess>> runners_;
  std::string endpoint_;
};

// Issue 16: options are validated once, when the command line is parsed: a daemon given
// --liveness 0 (or another value it cannot work with) exits 2 at once with one line naming the
// flag, instead of starting and losing every peer at the next tick.
TEST(DaemonOptions, BadValuesAreRejectedAtParseTimeNamingTheFlag) {
  const fs::path store = fs::temp_directory_path() / ("s1mple-opts-" + std::to_string(::getpid()));
  struct Case {
    std::vector<std::string> argv;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"broker", "--store", store.string(), "--bind", "tcp://127.0.0.1:*", "--liveness", "0"},
       "--liveness 0"},
      {{"broker", "--store", store.string(), "--bind", "tcp://127.0.0.1:*", "--heartbeat-ms", "0"},
       "--heartbeat-ms 0"},
      {{"broker", "--store", store.string(), "--bind", "tcp://127.0.0.1:*", "--default-timeout-ms",
        "-1"},
       "--default-timeout-ms -1"},
      {{"runner", "--connect", "tcp://127.0.0.1:1", "--liveness", "0"}, "--liveness 0"},
      {{"runner", "--connect", "tcp://127.0.0.1:1", "--grace-ms", "-5"}, "--grace-ms -5"},
      {{"runner", "--connect", "tcp://127.0.0.1:1", "--column-cache-mib", "-1"},
       "--column-cache-mib"},
      {{"broker", "--store", store.string(), "--bind", "tcp://127.0.0.1:*", "--store-memory-mib",
        "2"},
       "--store-memory-mib"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {testing::S1mpleBin()};
    argv.insert(argv.end(), c.argv.begin(), c.argv.end());
    auto r = testing::Run(argv);
    EXPECT_EQ(r.exit_code, 2) << c.names << "\n" << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out.find("listening on"), std::string::npos) << r.out;
  }
  // Nothing was started: the broker never opened (created) its store.
  EXPECT_FALSE(fs::exists(store));
}

TEST_F(BrokerSystem, RunnerKilledMidSweepLosesNoResultAndDuplicatesNone) {
  StartBroker();
  auto& a = StartRunner("a", 2);
  StartRunner("b", 2);
  auto c = Connect();
  const size_t n = 300;
  std::vector<std::string> jobs;
  for (size_t i = 0; i < n; ++i) jobs.push_back(R"({"sleep_ms":15})");
  std::string sweep = Submit(*c, jobs);
  ASSERT_TRUE(WaitFor(*c, sweep, [](const pr::StatusReply& s) { return s.sweeps[0].done >= 60; }));
  a.Signal(SIGKILL);
  ASSERT_TRUE(WaitFor(*c, sweep, Complete)) << "the sweep finishes on the surviving runner";
  auto results = AllResults(*c, sweep);
  ASSERT_EQ(results.size(), n);
  std::set<uint64_t> seen;
  for (const auto& r : results) {
    EXPECT_EQ(r.state, "done") << "job " << r.index << ": " << r.error;
    EXPECT_EQ(nlohmann::json::parse(r.result)["index"], r.index);
    seen.insert(r.index);
  }
  EXPECT_EQ(seen.size(), n);
  EXPECT_EQ(Counter(*c, "results_recorded"), n) << "each job's result recorded exactly once";
  EXPECT_EQ(Counter(*c, "runners_lost"), 1u);
}

TEST_F(BrokerSystem, RunnerAddedMidSweepGetsWorkAndLeavesCleanlyOnSigterm) {
  StartBroker();
  StartRunner("first", 1);
  auto c = Connect();
  std::string sweep = Submit(*c, std::vector<std::string>(120, R"({"sleep_ms":20})"));
  ASSERT_TRUE(WaitFor(*c, sweep, [](const pr::StatusReply& s) { return s.sweeps[0].done >= 10; }));
  auto& late = StartRunner("late", 2);
  ASSERT_TRUE(WaitFor(*c, "", [](const pr::StatusReply& s) {
    for (const auto& r : s.runners)
      if (r.runner == "late" && r.done >= 5) return true;
    return false;
  })) << "the runner that joined mid-sweep got work";
  ASSERT_TRUE(WaitFor(*c, sweep, Complete));
  late.Signal(SIGTERM);
  EXPECT_EQ(late.Wait(10s), 0) << "SIGTERM: clean exit";
  EXPECT_EQ(AllResults(*c, sweep).size(), 120u);
  broker_->Signal(SIGTERM);
  EXPECT_EQ(broker_->Wait(10s), 0);
}

TEST_F(BrokerSystem, StoppedRunnerLateResultIsDroppedAsDuplicate) {
  StartBroker();
  auto& slow = StartRunner("slow", 1);
  auto c = Connect();
  std::string sweep = Submit(*c, {R"({"sleep_ms":1500})"}, /*timeout_ms=*/20000);
  ASSERT_TRUE(
      WaitFor(*c, sweep, [](const pr::StatusReply& s) { return s.sweeps[0].running == 1; }));
  slow.Signal(SIGSTOP);
  StartRunner("rescuer", 1);
  // The stopped runner goes silent: lost after 5 beats, its lease goes to the rescuer.
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 30s));
  slow.Signal(SIGCONT);
  // Its worker finished long ago; the runner sends the result late, it is a duplicate.
  ASSERT_TRUE(WaitFor(
      *c, "", [&](const pr::StatusReply& s) { return s.counters.at("results_duplicate") >= 1; },
      20s));
  auto results = AllResults(*c, sweep);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, "done");
  EXPECT_EQ(results[0].attempts, 2u);
  EXPECT_EQ(Counter(*c, "results_recorded"), 1u);
}

TEST_F(BrokerSystem, CrashHangAndBadConfigFailWithReasonAndAttempts) {
  StartBroker();
  StartRunner("a", 2);
  StartRunner("b", 2);
  auto c = Connect();
  std::vector<std::string> jobs(20, R"({"sleep_ms":5})");
  jobs[3] = R"({"crash":true})";
  jobs[7] = R"({"hang":true})";
  jobs[11] = R"({"fail":"bad config: fast_period must be >= 1"})";
  jobs[13] = R"({"abort":true})";
  jobs[17] = R"({"crash_attempts":1})";  // crashes once, then succeeds
  std::string sweep = Submit(*c, jobs, /*timeout_ms=*/600, /*max_attempts=*/2);
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 60s));
  auto results = AllResults(*c, sweep);
  ASSERT_EQ(results.size(), 20u);
  // `attempts` counts the attempts started. Runner b joins after a took its first jobs, so the
  // broker may revoke a's queued jobs for b (jobs_revoked): such an attempt is handed back
  // without running and not counted against max_attempts, but it was started.
  const uint64_t revoked = Counter(*c, "jobs_revoked");
  auto expect_attempts = [&](const pr::ResultItem& r, uint32_t counted) {
    EXPECT_GE(r.attempts, counted) << "job " << r.index;
    EXPECT_LE(r.attempts, counted + revoked) << "job " << r.index << " (" << revoked << " revoked)";
  };
  for (const auto& r : results) {
    switch (r.index) {
      case 3:
        EXPECT_EQ(r.state, "failed");
        expect_attempts(r, 2);
        EXPECT_NE(r.error.find("worker crashed (signal 11"), std::string::npos) << r.error;
        break;
      case 7:
        EXPECT_EQ(r.state, "failed");
        expect_attempts(r, 2);
        EXPECT_NE(r.error.find("timeout after 600 ms"), std::string::npos) << r.error;
        break;
      case 11:
        EXPECT_EQ(r.state, "failed");
        expect_attempts(r, 1);  // a deterministic failure is not retried
        EXPECT_NE(r.error.find("bad config: fast_period must be >= 1"), std::string::npos)
            << r.error;
        break;
      case 13:
        EXPECT_EQ(r.state, "failed");
        EXPECT_NE(r.error.find("signal 6"), std::string::npos) << r.error;
        break;
      case 17:
        EXPECT_EQ(r.state, "done");
        expect_attempts(r, 2);  // crashed once, then succeeded
        break;
      default:
        EXPECT_EQ(r.state, "done") << r.index << ": " << r.error;
    }
  }
  EXPECT_EQ(broker_->Wait(0ms), std::nullopt) << "the broker is still up";
  for (auto& r : runners_) EXPECT_EQ(r->Wait(0ms), std::nullopt) << "runners survive their jobs";
}

TEST_F(BrokerSystem, UnknownKeyAndNullClientAreRefused) {
  for (const char* who : {"broker", "runner", "stranger"}) {
    auto r = testing::RunS1mple({"keygen", (dir_ / who).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::ofstream(dir_ / "authorized") << "# who may connect\n"
                                     << (dir_ / "runner.pub").string() << "\n";
  // A non-loopback bind without keys is refused outright.
  auto open = testing::RunS1mple(
      {"broker", "--bind", "tcp://0.0.0.0:*", "--store", (dir_ / "s0").string()});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(open.err.find("--insecure"), std::string::npos) << open.err;

  StartBroker({"--key", (dir_ / "broker.key").string(), "--authorized-keys",
               (dir_ / "authorized").string()});
  StartRunner(
      "keyed", 2,
      {"--server-key", (dir_ / "broker.pub").string(), "--key", (dir_ / "runner.key").string()});
  auto sec =
      transport::LoadClientSecurity((dir_ / "broker.pub").string(), (dir_ / "runner.key").string());
  ASSERT_TRUE(sec.ok());
  auto c = Connect(*sec);
  std::string sweep = Submit(*c, std::vector<std::string>(10, "{}"));
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 30s)) << "an authorized runner works";

  auto stranger = testing::RunS1mple({"status", "--broker", endpoint_, "--server-key",
                                      (dir_ / "broker.pub").string(), "--key",
                                      (dir_ / "stranger.key").string(), "--timeout-ms", "1000"});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_NE(stranger.err.find("no reply"), std::string::npos) << stranger.err;
  auto plain = testing::RunS1mple({"status", "--broker", endpoint_, "--timeout-ms", "1000"});
  EXPECT_EQ(plain.exit_code, 1);
  auto ok =
      testing::RunS1mple({"status", "--broker", endpoint_, "--server-key",
                          (dir_ / "broker.pub").string(), "--key", (dir_ / "runner.key").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(sweep), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("keyed"), std::string::npos) << ok.out;
  EXPECT_GE(Counter(*c, "handshake_failures"), 2u);
}

TEST_F(BrokerSystem, GarbageAndOversizedFramesDoNotDisturbARunningSweep) {
  StartBroker();
  StartRunner("a", 2);
  auto c = Connect();
  std::string sweep = Submit(*c, std::vector<std::string>(150, R"({"sleep_ms":10})"));
  zmq::context_t ctx;
  for (int round = 0; round < 3; ++round) {
    zmq::socket_t raw(ctx, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 2000);
    raw.connect(endpoint_);
    for (int i = 0; i < 10; ++i) {
      raw.send(zmq::str_buffer("\x01\x02garbage"), zmq::send_flags::none);
      raw.send(zmq::str_buffer("s1mple/2"), zmq::send_flags::sndmore);
      raw.send(zmq::str_buffer("RESULT"), zmq::send_flags::sndmore);
      raw.send(zmq::str_buffer("\x81\xa5sweep\xcc"), zmq::send_flags::none);  // truncated msgpack
      raw.send(zmq::str_buffer("s1mple/7"), zmq::send_flags::sndmore);
      raw.send(zmq::str_buffer("READY"), zmq::send_flags::sndmore);
      raw.send(zmq::str_buffer("\x80"), zmq::send_flags::none);
    }
    // One frame over the broker's ZMQ_MAXMSGSIZE: libzmq drops that connection.
    std::string huge(pr::kMaxMessageBytes + (1u << 20), 'x');
    raw.send(zmq::buffer(huge), zmq::send_flags::none);
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 60s));
  auto results = AllResults(*c, sweep);
  ASSERT_EQ(results.size(), 150u);
  for (const auto& r : results) EXPECT_EQ(r.state, "done");
  EXPECT_GE(Counter(*c, "dropped_malformed"), 3u);
  EXPECT_GE(Counter(*c, "dropped_version"), 1u);
  EXPECT_GE(Counter(*c, "transport_disconnects"), 1u);
  EXPECT_EQ(broker_->Wait(0ms), std::nullopt);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The engine behind the "backtest" kind: artifacts by hash, overrides per job, and a bad
// config among them failing at once (no retry) with the engine's message.
// Submits the ema_cross operation (3,000 bars) with one job per fast period.
Result<std::string> SubmitEmaGrid(transport::Client& c, const std::string& name,
                                  const std::vector<int>& fasts) {
  std::string operation = ReadFile(testing::ProjectRoot() / "config/operations/ema_cross.yaml");
  auto bars = operation.find("bars: 20000");
  if (bars == std::string::npos) return Status::Internal("ema_cross.yaml has no 'bars: 20000'");
  operation.replace(bars, 11, "bars: 3000");
  pr::SweepSpec spec;
  spec.name = name;
  spec.kind = "optimization";
  spec.max_attempts = 3;
  spec.artifacts["operation"] = *c.PutArtifact(operation);
  spec.artifacts["blueprint"] =
      *c.PutArtifact(ReadFile(testing::ProjectRoot() / "config/strategies/ema_cross.yaml"));
  spec.artifacts["operators"] =
      *c.PutArtifact(ReadFile(testing::ProjectRoot() / "config/operators.yaml"));
  std::vector<std::string> jobs;
  for (int fast : fasts) {
    jobs.push_back(R"({"opportunity_workers":{"trend_follower":{"params":{"fast_period":)" +
                   std::to_string(fast) + "}}}}");
  }
  return producer::SubmitOverrides(c.options(), spec, jobs);
}

TEST_F(BrokerSystem, BacktestSweepRunsTheEngineAndFailsABadConfigOnce) {
  StartBroker();
  StartRunner("a", 2);
  auto c = Connect();
  auto sweep = SubmitEmaGrid(*c, "ema grid", {5, 8, 12, 16, 20, -3});
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  ASSERT_TRUE(WaitFor(*c, *sweep, Complete, 120s));
  auto results = AllResults(*c, *sweep);
  ASSERT_EQ(results.size(), 6u);
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_EQ(results[i].state, "done") << results[i].error;
    auto j = nlohmann::json::parse(results[i].result);
    EXPECT_TRUE(j.contains("metrics")) << results[i].result.substr(0, 200);
  }
  EXPECT_NE(results[0].result, results[4].result) << "the overrides changed the runs";
  EXPECT_EQ(results[5].state, "failed");
  EXPECT_EQ(results[5].attempts, 1u);
  EXPECT_NE(results[5].error.find("bad config"), std::string::npos) << results[5].error;
  EXPECT_NE(results[5].error.find("fast_period"), std::string::npos) << results[5].error;
}

TEST_F(BrokerSystem, ARunnerWithoutTheColumnCacheRecordsTheSameResults) {
  // `--column-cache-mib 0` reaches the pool processes (a worker refusing the flag would fail
  // every job) and turns the shared columns off; the results are the bytes a runner with the
  // cache records (one slot: the later jobs of each sweep find the earlier ones' columns).
  StartBroker();
  auto& cached = StartRunner("cached", 1);
  auto c = Connect();
  const std::vector<int> fasts = {5, 8, 12, 16, 20, 8, 5};
  auto with = SubmitEmaGrid(*c, "cached", fasts);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  ASSERT_TRUE(WaitFor(*c, *with, Complete, 120s));
  cached.Signal(SIGTERM);
  ASSERT_EQ(cached.Wait(30s), 0);
  StartRunner("uncached", 1, {"--column-cache-mib", "0"});
  auto without = SubmitEmaGrid(*c, "uncached", fasts);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  ASSERT_TRUE(WaitFor(*c, *without, Complete, 120s));
  auto a = AllResults(*c, *with);
  auto b = AllResults(*c, *without);
  ASSERT_EQ(a.size(), fasts.size());
  ASSERT_EQ(b.size(), fasts.size());
  for (size_t i = 0; i < fasts.size(); ++i) {
    ASSERT_EQ(a[i].state, "done") << a[i].error;
    ASSERT_EQ(b[i].state, "done") << b[i].error;
    EXPECT_EQ(a[i].result, b[i].result) << "job " << i;
  }
  EXPECT_EQ(a[0].result, a[6].result);  // the same configuration, cached the second time
}

TEST_F(BrokerSystem, PythonClientAndRunnerSpeakTheProtocol) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  auto probe = testing::Run({"/usr/bin/python3", "-c", "import zmq, msgpack"});
  if (probe.exit_code != 0) GTEST_SKIP() << "python3-zmq / python3-msgpack not installed";
  StartBroker();
  auto r = testing::Run({"/usr/bin/python3", S1MPLE_PYTHON_CLIENT, endpoint_, "25"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("python: 25 results, all verified"), std::string::npos) << r.out << r.err;
}

// ---- issue 15 ----------------------------------------------------------------------------------

// Item 1: three SIGTERMs of a runner while one job runs (killed when the short grace is over) and
// one waits in its prefetch queue (handed back) use up none of the jobs' attempts.
TEST_F(BrokerSystem, SigtermsDuringAJobAndWithAJobQueuedLeaveBothHealthy) {
  StartBroker();
  auto c = Connect();
  std::string sweep = Submit(*c, std::vector<std::string>(2, R"({"sleep_ms":1500})"),
                             /*timeout_ms=*/20000, /*max_attempts=*/3);
  for (int round = 0; round < 3; ++round) {
    auto& rr = StartRunner("rr", 1, {"--prefetch", "1"}, /*grace_ms=*/300);
    ASSERT_TRUE(
        WaitFor(*c, "", [](const pr::StatusReply& s) { return RunnerIn(s, "rr").running == 2; }))
        << "round " << round;
    std::this_thread::sleep_for(300ms);  // job 0 has started, job 1 waits behind it
    rr.Signal(SIGTERM);
    ASSERT_EQ(rr.Wait(10s), 0) << rr.Log();
  }
  for (const auto& r : AllResults(*c, sweep))
    ASSERT_EQ(r.state, "pending") << "job " << r.index << ": " << r.error;
  StartRunner("rr", 1, {"--prefetch", "1"});
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 30s));
  for (const auto& r : AllResults(*c, sweep)) {
    EXPECT_EQ(r.state, "done") << "job " << r.index << ": " << r.error;
    EXPECT_EQ(r.attempts, 4u) << "three handed-back attempts, then the one that ran";
  }
  EXPECT_EQ(Counter(*c, "results_handed_back"), 6u);
}

// Item 2 (the issue's case): with --prefetch, jobs that wait in the runner's queue longer than
// timeout + grace are not failed by an expired lease, and their results are recorded.
TEST_F(BrokerSystem, PrefetchedJobsDoNotExpireWhileTheyWaitInTheQueue) {
  StartBroker();  // --lease-grace-ms 1000: each lease is 500 + 1000 ms from dispatch
  StartRunner("rr", 1, {"--prefetch", "4"});
  auto c = Connect();
  std::string sweep = Submit(*c, std::vector<std::string>(12, R"({"sleep_ms":400})"),
                             /*timeout_ms=*/500, /*max_attempts=*/1);
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 60s));
  for (const auto& r : AllResults(*c, sweep))
    EXPECT_EQ(r.state, "done") << "job " << r.index << ": " << r.error;
  EXPECT_EQ(Counter(*c, "leases_expired"), 0u);
  EXPECT_EQ(Counter(*c, "results_rejected"), 0u);
  EXPECT_EQ(Counter(*c, "results_recorded"), 12u);
}

// Item 2: a prefetched job does not sit on a busy runner while another runner is idle.
TEST_F(BrokerSystem, IdleRunnerTakesOverJobsQueuedOnABusyOne) {
  StartBroker();
  StartRunner("busy", 1, {"--prefetch", "3"});
  auto c = Connect();
  std::string sweep = Submit(*c, std::vector<std::string>(4, R"({"sleep_ms":1500})"));
  ASSERT_TRUE(
      WaitFor(*c, "", [](const pr::StatusReply& s) { return RunnerIn(s, "busy").running == 4; }));
  StartRunner("idle", 1);
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 30s));
  auto st = c->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_GE(RunnerIn(*st, "idle").done, 1u) << "the idle runner got a queued job";
  EXPECT_GE(st->counters.at("jobs_revoked"), 1u);
  for (const auto& r : AllResults(*c, sweep)) EXPECT_EQ(r.state, "done") << r.error;
  EXPECT_EQ(Counter(*c, "results_recorded"), 4u);
}

// Item 4 + smaller item: a runner killed and restarted under the same name gets its dead
// process's job back at once: not after the lease (61 s here) nor after the liveness period.
TEST_F(BrokerSystem, RunnerRestartedUnderItsNameGetsItsJobBackAtOnce) {
  StartBroker({}, /*liveness=*/150);  // 30 s before a silent runner is declared lost
  auto& first = StartRunner("rr", 1);
  auto c = Connect();
  std::string sweep = Submit(*c, {R"({"sleep_ms":3000})"}, /*timeout_ms=*/60000);
  ASSERT_TRUE(
      WaitFor(*c, "", [](const pr::StatusReply& s) { return RunnerIn(s, "rr").running == 1; }));
  first.Signal(SIGKILL);
  first.Wait(5s);
  std::this_thread::sleep_for(300ms);
  StartRunner("rr", 1);
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 20s)) << "the job came back at once";
  auto results = AllResults(*c, sweep);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, "done");
  EXPECT_EQ(results[0].attempts, 2u);
  EXPECT_EQ(Counter(*c, "leases_expired"), 0u);
  EXPECT_EQ(Counter(*c, "runners_lost"), 0u);
  EXPECT_NE(broker_->Log().find("runner rr restarted"), std::string::npos) << broker_->Log();
}

// Smaller item: two live runners started with one name both work, the second as "twin~2"; no
// knock-off loop of DISCONNECTs.
TEST_F(BrokerSystem, TwoRunnersWithOneNameBothWorkUnderUniqueNames) {
  StartBroker();
  StartRunner("twin", 1);
  auto c = Connect();
  ASSERT_TRUE(WaitFor(*c, "", [](const pr::StatusReply& s) { return s.runners.size() == 1; }));
  StartRunner("twin", 1);
  std::string sweep = Submit(*c, std::vector<std::string>(60, R"({"sleep_ms":30})"));
  ASSERT_TRUE(WaitFor(*c, sweep, Complete, 60s));
  auto st = c->GetStatus();
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->runners.size(), 2u);
  EXPECT_GT(RunnerIn(*st, "twin").done, 0u);
  EXPECT_GT(RunnerIn(*st, "twin~2").done, 0u);
  EXPECT_EQ(st->counters.at("disconnects_sent"), 0u);
  EXPECT_EQ(st->counters.at("runners_renamed"), 1u);
  EXPECT_NE(broker_->Log().find("registered as twin~2"), std::string::npos) << broker_->Log();
}

// Docs: transport_disconnects counts every closed connection, not only oversized frames.
TEST_F(BrokerSystem, TransportDisconnectsCountsEveryClosedConnection) {
  StartBroker();
  auto c = Connect();
  uint64_t before = Counter(*c, "transport_disconnects");
  for (int i = 0; i < 3; ++i) {
    auto other = Connect();
    ASSERT_TRUE(other->GetStatus().ok());
  }  // each client closes its socket here
  EXPECT_TRUE(WaitFor(
      *c, "",
      [&](const pr::StatusReply& s) {
        return s.counters.at("transport_disconnects") >= before + 3;
      },
      10s));
}

// Issue 14: no reply can exceed the frame limit, whatever the size of a result. A sweep whose
// results total 40 MiB (twenty of 2 MiB) and one result close to the 16 MiB text bound is run by
// a real runner and read back by a real client page by page; the artifact the broker accepts at
// the PUT limit is fetched by the runner and by the client range by range.
TEST_F(BrokerSystem, LargeResultsAndArtifactsCrossTheWireInBoundedPages) {
  StartBroker();
  StartRunner("big", 2);
  auto c = Connect({}, 30000);
  std::string blob(pr::kMaxArtifactBytes, 'b');
  for (size_t i = 0; i < blob.size(); i += 65536) blob[i] = static_cast<char>('a' + i / 65536 % 26);
  auto hash = c->PutArtifact(blob);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  auto too_big = c->PutArtifact(blob + "x");
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("exceeds the limit"), std::string::npos)
      << too_big.status().ToString();

  std::vector<std::string> overrides;
  for (int i = 0; i < 20; ++i) overrides.push_back(R"({"pad_bytes":2097152})");
  const uint64_t kNearBound = pr::kMaxTextBytes - 4096;
  overrides.push_back(R"({"pad_bytes":)" + std::to_string(kNearBound) + "}");
  pr::SweepSpec spec;
  spec.name = "big results";
  spec.kind = "diag";
  spec.artifacts = {{"data", *hash}};  // every job needs it: the runner must fetch 64 MiB
  auto id = producer::SubmitOverrides(c->options(), spec, overrides);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(WaitFor(*c, *id, Complete, 120s));

  size_t pages = 0, items = 0;
  uint64_t after = 0;
  while (true) {
    auto page = c->GetResults(*id, after, 1000, false);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    for (const auto& item : page->items) {
      ++items;
      EXPECT_EQ(item.state, "done") << item.index << ": " << item.error;
      const size_t want = item.index == 20 ? kNearBound : 2097152;
      EXPECT_GT(item.result.size(), want) << item.index;
      EXPECT_LT(item.result.size(), want + 1024) << item.index;
    }
    after = page->next;
    if (page->end) break;
  }
  EXPECT_EQ(items, 21u);
  EXPECT_GE(pages, 6u) << "40 MiB + 16 MiB of results cannot come in fewer 8 MiB pages";

  // Only the small members: the whole sweep in one page.
  auto slim = c->GetResults(*id, 0, 1000, false, {"index", "value"});
  ASSERT_TRUE(slim.ok()) << slim.status().ToString();
  EXPECT_EQ(slim->items.size(), 21u);
  EXPECT_TRUE(slim->end);
  EXPECT_EQ(slim->items[3].result, R"({"index":3,"value":6})");

  auto back = c->GetArtifact(*hash);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == blob);
}

}  // namespace
}  // namespace s1mple
