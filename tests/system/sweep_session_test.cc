// Whole sweeps through the real `s1mple` binary (issue 8): the embedded default killed with
// SIGKILL and resumed, SIGINT then resume, a separate broker killed and restarted while runners
// stay up, and a second runner joining late. Every scenario's final results.csv must equal an
// uninterrupted run's, row for row (run ids aside: they carry the sweep id).
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/job_store.h"
#include "tests/support/process.h"
#include "tests/system/daemon_process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Runs a command to completion; one that hangs is killed after 150 s (exit code 124) so the
// test fails with its output instead of hanging until ctest's timeout.
CommandResult Exec(const std::vector<std::string>& argv) {
  std::vector<std::string> bounded{"timeout", "-k", "5", "150"};
  bounded.insert(bounded.end(), argv.begin(), argv.end());
  return ::s1mple::testing::Run(bounded);
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A fresh directory per test with a small plan: 96 jobs of a short EMA-crossover backtest.
class SweepSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-sweep-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const fs::path root = ProjectRoot();
    std::ofstream(dir_ / "operation.yaml")
        << "name: sweep_test\n"
        << "operators: " << (root / "config/operators.yaml").string() << "\n"
        << "strategy_links:\n"
        << "  - name: ema_cross\n"
        << "    strategy_blueprint: " << (root / "config/strategies/ema_cross.yaml").string()
        << "\n"
        << "    environment:\n"
        << "      data: {source: synthetic, seed: 7, bars: 200000, interval: 1h, start: "
           "2020-01-01}\n"
        << "      initial_capital: 10000\n"
        << "      fees_bps: 5\n"
        << "      slippage_bps: 2\n";
    std::ofstream(dir_ / "plan.yaml")
        << "optimization_config:\n"
        << "  name: \"session test\"\n"
        << "  base_operation: \"" << (dir_ / "operation.yaml").string() << "\"\n"
        << "  parameter_space:\n"
        << "    - worker_category: \"opportunity_workers\"\n"
        << "      worker_plugin: \"trend_follower\"\n"
        << "      parameters:\n"
        << "        fast_period: {start: 5, end: 20, step: 1}\n"
        << "        slow_period: {values: [30, 40, 60]}\n"
        << "    - worker_category: \"planning_workers\"\n"
        << "      worker_phase: \"exit_planning\"\n"
        << "      worker_plugin: \"atr_based_stops\"\n"
        << "      parameters:\n"
        << "        atr_multiplier: {start: 1.5, end: 2.0, step: 0.5}\n"
        << "  optimization_targets: {primary_metric: \"sharpe_ratio\"}\n";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::vector<std::string> Optimize(const std::string& store, const std::string& out) {
    return {S1mpleBin(),
            "optimize",
            (dir_ / "plan.yaml").string(),
            "--store",
            store,
            "--out",
            out,
            "--runners",
            "2",
            "--no-progress"};
  }

  // results.csv with the sweep id taken out of the run ids and without the `attempts` column:
  // a job whose lease died with a killed process legitimately ran twice (attempt 2); every
  // parameter, metric and causality count must still be identical.
  static std::vector<std::string> Rows(const fs::path& csv) {
    std::vector<std::string> rows;
    std::istringstream in(Slurp(csv));
    std::string line;
    const std::regex id("sw-[0-9a-f]{12}");
    long attempts_col = -1;
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      std::stringstream ss(std::regex_replace(line, id, "SWEEP"));
      std::string cell;
      while (std::getline(ss, cell, ',')) cells.push_back(cell);
      if (rows.empty()) {
        for (size_t i = 0; i < cells.size(); ++i)
          if (cells[i] == "attempts") attempts_col = static_cast<long>(i);
      }
      std::string kept;
      for (size_t i = 0; i < cells.size(); ++i)
        if (static_cast<long>(i) != attempts_col) kept += cells[i] + ",";
      rows.push_back(kept);
    }
    return rows;
  }

  // The reference: one uninterrupted run (computed once per test binary).
  const std::vector<std::string>& Reference() {
    static std::vector<std::string> rows;
    if (rows.empty()) {
      auto r = Exec(Optimize((dir_ / "ref-store").string(), (dir_ / "ref-out").string()));
      EXPECT_EQ(r.exit_code, 0) << r.err;
      rows = Rows(dir_ / "ref-out/results.csv");
      EXPECT_EQ(rows.size(), 97u) << "header + 96 runs";
    }
    return rows;
  }

  // The state of every sweep in the store, oldest first ("active", "done", ...); empty while
  // no sweep exists or the store cannot be read.
  static std::vector<std::string> SweepStates(const fs::path& store_dir) {
    std::vector<std::string> states;
    store::Options o;
    o.read_only = true;
    auto st = store::JobStore::Open(store_dir.string(), o);
    if (!st.ok()) return states;
    for (const auto& s : (*st)->ListSweeps()) states.emplace_back(store::ToString(s.state));
    return states;
  }

  // DONE jobs over every sweep in the store.
  static uint64_t DoneJobs(const fs::path& store_dir) {
    store::Options o;
    o.read_only = true;
    auto st = store::JobStore::Open(store_dir.string(), o);
    uint64_t n = 0;
    if (st.ok())
      for (const auto& s : (*st)->ListSweeps()) n += s.counts.done;
    return n;
  }

  // (index -> attempt) of every DONE job of every sweep in the store.
  static std::map<uint64_t, uint32_t> DoneAttempts(const fs::path& store_dir) {
    std::map<uint64_t, uint32_t> done;
    store::Options o;
    o.read_only = true;
    auto st = store::JobStore::Open(store_dir.string(), o);
    if (!st.ok()) return done;
    for (const auto& s : (*st)->ListSweeps()) {
      Status scan = (*st)->ScanJobs(s.id, 0, 0, [&](const store::JobInfo& j) {
        if (j.state == store::JobState::kDone) done[j.index] = j.attempt;
        return true;
      });
      EXPECT_TRUE(scan.ok()) << scan.ToString();
    }
    return done;
  }

  // Waits (bounded) until the session `p` has recorded its first result, so that an
  // interruption now finds the sweep running: each job backtests 200,000 bars, 2 at a time,
  // so the 96 jobs take seconds and an interruption within a poll (10 ms) of the first result
  // leaves most of them to run (the callers assert it). False if the session ended first or
  // nothing was recorded within 60 s.
  static bool WaitUntilRunning(const fs::path& store_dir, DaemonProcess& p) {
    for (int i = 0; i < 6000; ++i) {
      if (DoneJobs(store_dir) >= 1) return true;
      if (p.Wait(milliseconds(10))) return false;
    }
    return false;
  }

  fs::path dir_;
};

// Issue 15 item 7: kill -9 at varied moments, the identical plan rerun after each kill. One of
// the moments is the window between the last result and the outputs (the sweep is DONE in the
// store, its outputs are not written): a rerun used to miss the finished sweep and start a
// second one, running every recorded job again. Counted over all kills: sweeps in the store
// (one), results lost (a job DONE before a kill and not after), duplicates (a job DONE twice,
// or twice in results.csv) and jobs run again after they were recorded (a DONE job's attempt
// changed); all three must be zero.
TEST_F(SweepSessionTest, KilledWithSigkillAndRerunResumesToTheSameResults) {
  const auto& reference = Reference();
  const std::string store = (dir_ / "store").string();
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_ms(150, 900);
  uint64_t lost = 0, rerun = 0;
  std::map<uint64_t, uint32_t> recorded;  // index -> attempt, as of the last kill
  auto account = [&](const std::map<uint64_t, uint32_t>& now) {
    for (const auto& [index, attempt] : recorded) {
      auto it = now.find(index);
      if (it == now.end()) {
        ++lost;
        ADD_FAILURE() << "job " << index << " was recorded, then lost";
      } else if (it->second != attempt) {
        ++rerun;
        ADD_FAILURE() << "job " << index << " ran again after it was recorded (attempt " << attempt
                      << " -> " << it->second << ")";
      }
    }
    recorded = now;
  };
  int in_output_window = 0;
  for (int kill = 0; kill < 5; ++kill) {
    DaemonProcess p(Optimize(store, (dir_ / "out").string()), dir_ / "run.log");
    if (kill == 2 || kill == 4) {
      // The output window: as soon as the store says the sweep is DONE.
      for (int i = 0; i < 1500; ++i) {
        if (SweepStates(store) == std::vector<std::string>{"done"}) break;
        if (p.Wait(milliseconds(5))) break;
      }
      if (!p.Wait(milliseconds(0))) ++in_output_window;
    } else {
      std::this_thread::sleep_for(milliseconds(delay_ms(rng)));
    }
    p.Signal(SIGKILL);
    p.Wait(milliseconds(5000));
    account(DoneAttempts(store));
  }
  // The identical plan again: it notices its sweep and carries on (or just writes the outputs).
  auto r = Exec(Optimize(store, (dir_ / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  account(DoneAttempts(store));
  const auto rows = Rows(dir_ / "out/results.csv");
  EXPECT_EQ(rows, reference);
  std::set<std::string> distinct(rows.begin(), rows.end());
  const uint64_t duplicates = rows.size() - distinct.size() + DoneJobs(store) - 96;
  EXPECT_EQ(SweepStates(store).size(), 1u) << "one sweep only";
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(rerun, 0u);
  std::cout << "kills in the output window: " << in_output_window << " of 2" << std::endl;
}

TEST_F(SweepSessionTest, SigintStopsCleanlyAndResumeRepeatsNothingRecorded) {
  const auto& reference = Reference();
  const std::string store = (dir_ / "store").string();
  DaemonProcess p(Optimize(store, (dir_ / "out").string()), dir_ / "run.log");
  // Interrupted mid-run: once some results are recorded and most jobs are still to run.
  ASSERT_TRUE(WaitUntilRunning(store, p)) << p.Log();
  p.Signal(SIGINT);
  auto code = p.Wait(milliseconds(30000));
  ASSERT_TRUE(code.has_value()) << "SIGINT did not stop the session\n" << p.Log();
  ASSERT_EQ(*code, 130) << p.Log();
  std::smatch m;
  const std::string log = p.Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("s1mple resume (sw-[0-9a-f]{12})"))) << log;
  const auto before = DoneAttempts(store);
  ASSERT_GT(before.size(), 0u);
  ASSERT_LT(before.size(), 96u) << "the sweep was not running when interrupted";

  auto r = Exec({S1mpleBin(), "resume", m[1].str(), "--store", store, "--out",
                 (dir_ / "out").string(), "--runners", "2", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Rows(dir_ / "out/results.csv"), reference);
  const auto after = DoneAttempts(store);
  for (const auto& [index, attempt] : before) {
    ASSERT_TRUE(after.count(index)) << index;
    EXPECT_EQ(after.at(index), attempt) << "job " << index << " ran again after being recorded";
  }
}

TEST_F(SweepSessionTest, ResultsWritesTheOutputsOfAnUnfinishedSweep) {
  const std::string store = (dir_ / "store").string();
  DaemonProcess p(Optimize(store, (dir_ / "out").string()), dir_ / "run.log");
  ASSERT_TRUE(WaitUntilRunning(store, p)) << p.Log();
  p.Signal(SIGKILL);
  p.Wait(milliseconds(5000));
  const auto done = DoneAttempts(store);
  ASSERT_GT(done.size(), 0u);
  ASSERT_LT(done.size(), 96u) << "the sweep was not unfinished when killed";
  store::Options o;
  o.read_only = true;
  std::string sweep;
  {
    auto st = store::JobStore::Open(store, o);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    auto sweeps = (*st)->ListSweeps();
    ASSERT_EQ(sweeps.size(), 1u);
    EXPECT_NE(sweeps.front().state, store::SweepState::kDone);
    sweep = sweeps.front().id;
  }
  auto r =
      Exec({S1mpleBin(), "results", sweep, "--store", store, "--out", (dir_ / "partial").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Rows(dir_ / "partial/results.csv").size(), 1 + done.size()) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "partial/optimization_result.json"));
  EXPECT_TRUE(fs::exists(dir_ / "partial/report.html"));
}

// A plan of 100,000 small jobs (its submission takes a second or two): for interrupting a
// submission.
fs::path WriteBigPlan(const fs::path& dir) {
  const fs::path root = ProjectRoot();
  std::ofstream(dir / "small.yaml")
      << "name: small\n"
      << "operators: " << (root / "config/operators.yaml").string() << "\n"
      << "strategy_links:\n"
      << "  - name: ema_cross\n"
      << "    strategy_blueprint: " << (root / "config/strategies/ema_cross.yaml").string() << "\n"
      << "    environment:\n"
      << "      data: {source: synthetic, seed: 7, bars: 300, interval: 1h, start: 2020-01-01}\n"
      << "      initial_capital: 10000\n";
  std::ofstream(dir / "big.yaml") << "optimization_config:\n"
                                  << "  name: \"big submission\"\n"
                                  << "  base_operation: \"" << (dir / "small.yaml").string()
                                  << "\"\n"
                                  << "  parameter_space:\n"
                                  << "    - worker_category: \"opportunity_workers\"\n"
                                  << "      worker_plugin: \"trend_follower\"\n"
                                  << "      parameters:\n"
                                  << "        fast_period: {start: 2, end: 101, step: 1}\n"
                                  << "        slow_period: {start: 110, end: 209, step: 1}\n"
                                  << "    - worker_category: \"planning_workers\"\n"
                                  << "      worker_phase: \"exit_planning\"\n"
                                  << "      worker_plugin: \"atr_based_stops\"\n"
                                  << "      parameters:\n"
                                  << "        atr_multiplier: {start: 1.0, end: 1.9, step: 0.1}\n";
  return dir / "big.yaml";
}

// Issue 15 item 8: Ctrl-C while an embedded sweep is still being submitted exits 130 with the
// resume line (it used to exit 1 with a raw "Interrupted system call").
TEST_F(SweepSessionTest, SigintDuringSubmissionExits130WithTheResumeLine) {
  const fs::path plan = WriteBigPlan(dir_);
  const fs::path store = dir_ / "store";
  DaemonProcess p({S1mpleBin(), "optimize", plan.string(), "--store", store.string(), "--out",
                   (dir_ / "out").string(), "--runners", "1"},
                  dir_ / "run.log");
  // SIGINT as soon as the store holds the sweep while it is still being submitted.
  bool seen = false;
  for (int i = 0; i < 3000 && !seen; ++i) {
    seen = SweepStates(store) == std::vector<std::string>{"submitting"};
    if (!seen) std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_TRUE(seen) << "never saw the submission\n" << p.Log();
  p.Signal(SIGINT);
  auto code = p.Wait(milliseconds(30000));
  ASSERT_TRUE(code.has_value()) << p.Log();
  const std::string log = p.Log();
  if (log.find("interrupted during the submission") == std::string::npos &&
      log.find("sweep sw-") != std::string::npos && *code == 130)
    GTEST_SKIP() << "the submission ended before SIGINT arrived\n" << log;
  EXPECT_EQ(*code, 130) << log;
  EXPECT_EQ(log.find("Interrupted system call"), std::string::npos) << log;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(log, m, std::regex("continue with: s1mple resume (sw-[0-9a-f]{12})")))
      << log;
  store::Options o;
  o.read_only = true;
  auto st = store::JobStore::Open(store.string(), o);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto info = (*st)->GetSweep(m[1].str());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->state, store::SweepState::kSubmitting);
  EXPECT_LT(info->job_count, 100000u);
}

// A tmpfs of `bytes` at `at` (root with mount rights only), unmounted at scope end.
class Tmpfs {
 public:
  Tmpfs(const fs::path& at, size_t bytes) : at_(at) {
    fs::create_directories(at_);
    if (::geteuid() != 0) return;
    ok_ = ::mount("tmpfs", at_.c_str(), "tmpfs", 0, ("size=" + std::to_string(bytes)).c_str()) == 0;
  }
  ~Tmpfs() {
    if (ok_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  fs::path at_;
  bool ok_ = false;
};

// Issue 15: a full disk under an embedded sweep used to stall it silently. The store sits on a
// 2 MiB tmpfs (as root; otherwise a 2 MiB file-size limit, RLIMIT_FSIZE, stands in for the full
// disk: the WAL write fails with EFBIG instead of ENOSPC) that the sweep's results overflow;
// the progress line must say that the store stopped writing and what to do, and Ctrl-C then
// gives the resume line.
TEST_F(SweepSessionTest, FullStoreIsNamedOnTheProgressLine) {
  Tmpfs tmpfs(dir_ / "small-disk", 2u << 20);
  const fs::path store = dir_ / "small-disk" / "store";
  std::string cmd;
  for (const auto& a : Optimize(store.string(), (dir_ / "out").string()))
    cmd += ShellQuote(a) + " ";
  // --no-progress off: the progress lines are what this test reads.
  cmd = std::regex_replace(cmd, std::regex("'--no-progress' "), "");
  cmd = (tmpfs.ok() ? "exec " : "trap '' XFSZ; ulimit -f 4096; exec ") + cmd;
  DaemonProcess p({"/bin/sh", "-c", cmd}, dir_ / "run.log");
  bool said = false;
  for (int i = 0; i < 600 && !said; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    const std::string log = p.Log();
    said = log.find("stopped writing") != std::string::npos &&
           log.find("STALLED: the store cannot write") != std::string::npos;
    if (p.Wait(milliseconds(1))) break;
  }
  const std::string log = p.Log();
  ASSERT_TRUE(said) << (tmpfs.ok() ? "tmpfs" : "ulimit -f") << ": no word of the full store\n"
                    << log;
  EXPECT_NE(log.find("Free disk space"), std::string::npos) << log;
  EXPECT_NE(log.find(tmpfs.ok() ? "No space left on device" : "File too large"), std::string::npos)
      << log;
  p.Signal(SIGINT);
  auto code = p.Wait(milliseconds(30000));
  ASSERT_TRUE(code.has_value()) << p.Log();
  EXPECT_EQ(*code, 130) << p.Log();
  EXPECT_NE(p.Log().find("continue with: s1mple resume sw-"), std::string::npos) << p.Log();
}

// The same with a separate broker whose store fills up (its process under a 2 MiB file-size
// limit, RLIMIT_FSIZE: the WAL write fails with EFBIG, the store stops writing): the producer
// following with --broker must say that the broker's store cannot write and what to do.
TEST_F(SweepSessionTest, FullBrokerStoreIsNamedOnTheProgressLine) {
  const fs::path endpoint_file = dir_ / "endpoint";
  std::string cmd = "trap '' XFSZ; ulimit -f 4096; exec ";
  for (const std::string& a :
       {S1mpleBin(), std::string("broker"), std::string("--bind"), std::string("tcp://127.0.0.1:*"),
        std::string("--store"), (dir_ / "bstore").string(), std::string("--sync"),
        std::string("none"), std::string("--endpoint-file"), endpoint_file.string()})
    cmd += ShellQuote(a) + " ";
  DaemonProcess broker({"/bin/sh", "-c", cmd}, dir_ / "broker.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  DaemonProcess runner(
      {S1mpleBin(), "runner", "--connect", endpoint, "--slots", "2", "--name", "r1"},
      dir_ / "runner.log");
  DaemonProcess producer({S1mpleBin(), "optimize", (dir_ / "plan.yaml").string(), "--broker",
                          endpoint, "--out", (dir_ / "out").string()},
                         dir_ / "producer.log");
  bool said = false;
  for (int i = 0; i < 600 && !said; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    said = producer.Log().find("STALLED: the broker's store cannot write") != std::string::npos;
    if (producer.Wait(milliseconds(1))) break;
  }
  ASSERT_TRUE(said) << "no word of the full store\n"
                    << producer.Log() << "\nbroker:\n"
                    << broker.Log();
  EXPECT_NE(producer.Log().find("restart the broker"), std::string::npos) << producer.Log();
  producer.Signal(SIGINT);
  auto code = producer.Wait(milliseconds(30000));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130) << producer.Log();
}

// Issue 15 item 9: `s1mple results` on a sweep with no finished run writes empty outputs and
// says how many runs are pending (it used to fail with a false "disk full?").
TEST_F(SweepSessionTest, ResultsOfASweepWithNoFinishedRunWritesEmptyOutputs) {
  const fs::path endpoint_file = dir_ / "endpoint";
  DaemonProcess broker(
      {S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store", (dir_ / "bstore").string(),
       "--sync", "none", "--endpoint-file", endpoint_file.string()},
      dir_ / "broker.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  // No runner: every job stays pending.
  auto detach = Exec(
      {S1mpleBin(), "optimize", (dir_ / "plan.yaml").string(), "--broker", endpoint, "--detach"});
  ASSERT_EQ(detach.exit_code, 0) << detach.err;
  const std::string sweep = detach.out.substr(0, detach.out.find('\n'));
  auto r = Exec(
      {S1mpleBin(), "results", sweep, "--broker", endpoint, "--out", (dir_ / "empty").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find("disk full"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("0 succeeded, 0 failed, 96 pending"), std::string::npos) << r.out;
  EXPECT_EQ(Rows(dir_ / "empty/results.csv").size(), 1u) << "the header alone";
  auto doc = nlohmann::json::parse(Slurp(dir_ / "empty/optimization_result.json"), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["missing_runs"], 96);
  EXPECT_TRUE(doc["results"].empty());
  EXPECT_TRUE(fs::exists(dir_ / "empty/report.html"));
  for (const auto& e : fs::directory_iterator(dir_ / "empty"))
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
}

// Issue 15: "a producer whose broker dies during submission does not retry; it waits 60 s and
// exits 1". A 100,000-job submission to a broker process that is frozen (SIGSTOP) in the middle
// of it, so a request it received is never answered, then killed with SIGKILL and restarted on
// the same endpoint and store: the producer sends the unanswered request again, finishes the
// submission and exits 0; the store holds one sweep with every job.
TEST_F(SweepSessionTest, ProducerRetriesWhenItsBrokerDiesDuringSubmission) {
  const fs::path plan = WriteBigPlan(dir_);
  const fs::path store = dir_ / "bstore";
  const fs::path endpoint_file = dir_ / "endpoint";
  auto broker_argv = [&](const std::string& bind) {
    return std::vector<std::string>{S1mpleBin(),       "broker",
                                    "--bind",          bind,
                                    "--store",         store.string(),
                                    "--sync",          "none",
                                    "--endpoint-file", endpoint_file.string()};
  };
  auto broker =
      std::make_unique<DaemonProcess>(broker_argv("tcp://127.0.0.1:*"), dir_ / "broker1.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker->Log();
  DaemonProcess producer({S1mpleBin(), "optimize", plan.string(), "--broker", endpoint, "--detach"},
                         dir_ / "producer.log");
  bool submitting = false;
  for (int i = 0; i < 3000 && !submitting; ++i) {
    submitting = SweepStates(store) == std::vector<std::string>{"submitting"};
    if (!submitting) std::this_thread::sleep_for(milliseconds(2));
  }
  broker->Signal(SIGSTOP);
  ASSERT_TRUE(submitting) << "never saw the submission\n" << producer.Log();
  std::this_thread::sleep_for(milliseconds(1500));
  broker->Signal(SIGKILL);
  broker->Wait(milliseconds(5000));
  fs::remove(endpoint_file);
  broker = std::make_unique<DaemonProcess>(broker_argv(endpoint), dir_ / "broker2.log");
  auto code = producer.Wait(milliseconds(120000));
  ASSERT_TRUE(code.has_value()) << producer.Log();
  EXPECT_EQ(*code, 0) << producer.Log() << "\n" << broker->Log();
  EXPECT_NE(producer.Log().find("sending it again"), std::string::npos) << producer.Log();
  broker.reset();  // SIGKILL: releases the store's lock
  store::Options o;
  o.read_only = true;
  auto st = store::JobStore::Open(store.string(), o);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto sweeps = (*st)->ListSweeps();
  ASSERT_EQ(sweeps.size(), 1u) << "one sweep only";
  EXPECT_EQ(sweeps[0].job_count, 100000u);
  EXPECT_EQ(sweeps[0].state, store::SweepState::kActive);
}

// Issue 15: a cut-off submission to a broker (the producer killed with SIGKILL in the middle of
// it) used to stay open forever, and the identical plan then created a second sweep. Now the
// identical plan finishes that submission: one sweep, every job once.
TEST_F(SweepSessionTest, IdenticalPlanFinishesACutOffSubmissionAtTheBroker) {
  const fs::path plan = WriteBigPlan(dir_);
  const fs::path store = dir_ / "bstore";
  const fs::path endpoint_file = dir_ / "endpoint";
  DaemonProcess broker(
      {S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store", store.string(), "--sync",
       "none", "--endpoint-file", endpoint_file.string()},
      dir_ / "broker.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  {
    DaemonProcess producer(
        {S1mpleBin(), "optimize", plan.string(), "--broker", endpoint, "--detach"},
        dir_ / "producer1.log");
    // Kill it once the broker stores some of its jobs.
    bool some = false;
    for (int i = 0; i < 3000 && !some; ++i) {
      auto code = ::s1mple::testing::Run({S1mpleBin(), "status", "--broker", endpoint, "--json"});
      auto doc = nlohmann::json::parse(code.out, nullptr, false);
      if (!doc.is_discarded())
        for (const auto& sw : doc.value("sweeps", nlohmann::json::array()))
          some = some || (sw.value("state", "") == "submitting" && sw.value("total", 0) > 0);
      if (!some) std::this_thread::sleep_for(milliseconds(5));
    }
    producer.Signal(SIGKILL);
    producer.Wait(milliseconds(5000));
    if (!some) GTEST_SKIP() << "the submission finished before it could be cut off";
  }
  auto again = Exec({S1mpleBin(), "optimize", plan.string(), "--broker", endpoint, "--detach"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("finished the interrupted submission of"), std::string::npos)
      << again.err;
  auto st = Exec({S1mpleBin(), "status", "--broker", endpoint, "--json"});
  auto doc = nlohmann::json::parse(st.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << st.out << st.err;
  ASSERT_EQ(doc["sweeps"].size(), 1u) << "one sweep only: " << st.out;
  EXPECT_EQ(doc["sweeps"][0]["total"], 100000);
  EXPECT_EQ(doc["sweeps"][0]["state"], "active");
  EXPECT_EQ(doc["sweeps"][0]["sweep"], again.out.substr(0, again.out.find('\n')));
}

// The best run the progress line names while the sweep runs obeys the plan's constraints, like
// the final line and optimization_result.json: a min_trades constraint that the unconstrained
// best run (from the reference table) just misses must move it elsewhere.
TEST_F(SweepSessionTest, ProgressLineBestRunMeetsTheConstraints) {
  const auto& reference = Reference();
  // The reference's best Sharpe and its trade count.
  std::vector<std::string> header;
  {
    std::stringstream ss(reference.front());
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  double best_sharpe = -1e300, best_trades = 0;
  std::string best_index;
  for (size_t r = 1; r < reference.size(); ++r) {
    std::vector<std::string> cells;
    std::stringstream ss(reference[r]);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells[col("sharpe_ratio")].empty()) continue;
    const double v = std::stod(cells[col("sharpe_ratio")]);
    if (v > best_sharpe) {
      best_sharpe = v;
      best_trades = std::stod(cells[col("total_trades")]);
      best_index = cells[col("index")];
    }
  }
  ASSERT_FALSE(best_index.empty());
  std::string text = Slurp(dir_ / "plan.yaml");
  text +=
      "  constraints: {min_trades: " + std::to_string(static_cast<int>(best_trades) + 1) + "}\n";
  std::ofstream(dir_ / "constrained.yaml") << text;
  auto r = Exec({S1mpleBin(), "optimize", (dir_ / "constrained.yaml").string(), "--store",
                 (dir_ / "cstore").string(), "--out", (dir_ / "cout").string(), "--runners", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(Slurp(dir_ / "cout/optimization_result.json"), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  ASSERT_TRUE(doc["best_configuration"].is_object()) << "no run meets min_trades";
  const std::string json_best = std::to_string(doc["best_configuration"]["index"].get<int>());
  EXPECT_NE(json_best, best_index) << "the constraint does not bind";
  // The last progress line (stderr, not a terminal: plain lines) names the same run.
  const std::regex best_rx("best sharpe_ratio \\S+ \\(run ([0-9]+)\\)");
  std::string last;
  for (auto it = std::sregex_iterator(r.err.begin(), r.err.end(), best_rx);
       it != std::sregex_iterator(); ++it)
    last = (*it)[1].str();
  EXPECT_EQ(last, json_best) << r.err;
  EXPECT_NE(r.out.find("best by sharpe_ratio (meeting the constraints): run " +
                       doc["best_configuration"]["run_id"].get<std::string>()),
            std::string::npos)
      << r.out;
}

// The distributed mode: a broker process and two runner processes; the broker is killed with
// SIGKILL mid-sweep and restarted on the same store while the runners stay up; a second runner
// joins late. The producer follows with --broker and writes the same results.
TEST_F(SweepSessionTest, BrokerKilledAndRestartedWhileRunnersStayUp) {
  const auto& reference = Reference();
  const std::string store = (dir_ / "bstore").string();
  // The first broker binds a port the kernel picks (a fixed guess can collide with another
  // test's or an ephemeral port); the restarted one binds that same endpoint.
  const fs::path endpoint_file = dir_ / "endpoint";
  auto broker_argv = [&](const std::string& bind) {
    return std::vector<std::string>{S1mpleBin(),        "broker",
                                    "--bind",           bind,
                                    "--store",          store,
                                    "--sync",           "none",
                                    "--heartbeat-ms",   "200",
                                    "--lease-grace-ms", "1000",
                                    "--endpoint-file",  endpoint_file.string()};
  };
  auto broker =
      std::make_unique<DaemonProcess>(broker_argv("tcp://127.0.0.1:*"), dir_ / "broker1.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_TRUE(endpoint.rfind("tcp://127.0.0.1:", 0) == 0) << endpoint << "\n" << broker->Log();
  DaemonProcess runner1({S1mpleBin(), "runner", "--connect", endpoint, "--slots", "1", "--name",
                         "r1", "--heartbeat-ms", "200"},
                        dir_ / "runner1.log");
  auto detach = Exec(
      {S1mpleBin(), "optimize", (dir_ / "plan.yaml").string(), "--broker", endpoint, "--detach"});
  ASSERT_EQ(detach.exit_code, 0) << detach.err;
  const std::string sweep = detach.out.substr(0, detach.out.find('\n'));
  ASSERT_TRUE(std::regex_match(sweep, std::regex("sw-[0-9a-f]{12}"))) << detach.out;

  std::this_thread::sleep_for(milliseconds(400));
  broker->Signal(SIGKILL);
  broker->Wait(milliseconds(5000));
  fs::remove(endpoint_file);
  broker = std::make_unique<DaemonProcess>(broker_argv(endpoint), dir_ / "broker2.log");
  DaemonProcess runner2({S1mpleBin(), "runner", "--connect", endpoint, "--slots", "1", "--name",
                         "r2", "--heartbeat-ms", "200"},
                        dir_ / "runner2.log");
  auto follow =
      Exec({S1mpleBin(), "resume", sweep, "--broker", endpoint, "--plan",
            (dir_ / "plan.yaml").string(), "--out", (dir_ / "out").string(), "--no-progress"});
  ASSERT_EQ(follow.exit_code, 0) << follow.err << "\n" << broker->Log();
  EXPECT_EQ(Rows(dir_ / "out/results.csv"), reference);
  // The runner that joined late took a share of the work.
  auto st = Exec({S1mpleBin(), "status", "--broker", endpoint, "--json"});
  auto status = nlohmann::json::parse(st.out, nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << st.out << st.err;
  uint64_t r2_done = 0;
  for (const auto& r : status.value("runners", nlohmann::json::array()))
    if (r.value("runner", "") == "r2") r2_done = r.value("done", uint64_t{0});
  EXPECT_GT(r2_done, 0u) << "the late runner got no work\n" << st.out;

  // The next morning, from another directory: the outputs again, without the plan file (the
  // broker returns the plan the sweep was submitted with).
  auto again = Exec(
      {S1mpleBin(), "results", sweep, "--broker", endpoint, "--out", (dir_ / "again").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Rows(dir_ / "again/results.csv"), reference);
}

// A random search (optimization_config.search, PLANS.md "Search") is as durable as a grid: its
// trials are fixed by the plan text, so kill -9 at varied moments and the identical plan rerun
// end with the results of an uninterrupted run, nothing lost, duplicated or run again; the
// outputs carry the search and the best-so-far history, whose last entry is the best
// configuration.
TEST_F(SweepSessionTest, RandomSearchKilledWithSigkillResumesToTheSameTrials) {
  {
    std::ofstream(dir_ / "plan.yaml", std::ios::app)
        << "  search: {method: random, budget: 40, seed: 11}\n";
  }
  auto ref = Exec(Optimize((dir_ / "ref-store").string(), (dir_ / "ref-out").string()));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto reference = Rows(dir_ / "ref-out/results.csv");
  ASSERT_EQ(reference.size(), 41u) << "header + 40 trials of the 96-point grid";

  const std::string store = (dir_ / "store").string();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(150, 700);
  std::map<uint64_t, uint32_t> recorded;
  uint64_t lost = 0, rerun = 0;
  int interrupted = 0;
  auto account = [&](const std::map<uint64_t, uint32_t>& now) {
    for (const auto& [index, attempt] : recorded) {
      auto it = now.find(index);
      if (it == now.end()) {
        ++lost;
      } else if (it->second != attempt) {
        ++rerun;
      }
    }
    recorded = now;
  };
  for (int kill = 0; kill < 3; ++kill) {
    DaemonProcess p(Optimize(store, (dir_ / "out").string()), dir_ / "run.log");
    std::this_thread::sleep_for(milliseconds(delay_ms(rng)));
    p.Signal(SIGKILL);
    p.Wait(milliseconds(5000));
    const auto now = DoneAttempts(store);
    if (now.size() < 40) ++interrupted;
    account(now);
  }
  EXPECT_GT(interrupted, 0) << "every kill came after the sweep had finished";
  auto r = Exec(Optimize(store, (dir_ / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  account(DoneAttempts(store));
  EXPECT_EQ(Rows(dir_ / "out/results.csv"), reference);
  EXPECT_EQ(SweepStates(store).size(), 1u) << "one sweep only";
  EXPECT_EQ(DoneJobs(store), 40u);
  std::cout << "kills before the last trial was recorded: " << interrupted << " of 3" << std::endl;
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(rerun, 0u);

  const auto result = nlohmann::json::parse(Slurp(dir_ / "out/optimization_result.json"));
  EXPECT_EQ(result["search"]["method"], "random");
  EXPECT_EQ(result["search"]["budget"], 40);
  EXPECT_EQ(result["search"]["grid_size"], 96);
  EXPECT_EQ(result["search"]["trials"], 40);
  EXPECT_EQ(result["total_combinations"], 40);
  const auto& history = result["best_so_far"];
  ASSERT_FALSE(history.empty());
  for (size_t i = 1; i < history.size(); ++i) {
    EXPECT_LT(history[i - 1]["trial"], history[i]["trial"]);
    EXPECT_LT(history[i - 1]["value"].get<double>(), history[i]["value"].get<double>());
  }
  EXPECT_EQ(history.back()["run_id"], result["best_configuration"]["run_id"]);
}

// Issue 19: a TPE search proposes its trials from recorded results, into a sweep whose jobs run
// while it is still open. Killed with SIGKILL at random points and run again, it ends with the
// trials of an uninterrupted run of the same seed (trial j sees the results of trials < j - 4,
// producer/adaptive.h); with a broker and a runner it proposes the same trials again.
TEST_F(SweepSessionTest, TpeSearchKilledWithSigkillResumesToTheSameTrialsAndRunsTheSameOnABroker) {
  {
    std::ofstream(dir_ / "plan.yaml", std::ios::app)
        << "  search: {method: tpe, budget: 40, seed: 5, startup_trials: 8, in_flight: 4}\n";
  }
  auto ref = Exec(Optimize((dir_ / "ref-store").string(), (dir_ / "ref-out").string()));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto reference = Rows(dir_ / "ref-out/results.csv");
  ASSERT_EQ(reference.size(), 41u) << "header + 40 trials of the 96-point grid";
  // Another seed proposes other trials.
  {
    std::string text = Slurp(dir_ / "plan.yaml");
    text.replace(text.find("seed: 5"), 7, "seed: 6");
    std::ofstream(dir_ / "plan6.yaml") << text;
  }
  auto other = Exec({S1mpleBin(), "optimize", (dir_ / "plan6.yaml").string(), "--store",
                     (dir_ / "store6").string(), "--out", (dir_ / "out6").string(), "--runners",
                     "2", "--no-progress"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(Rows(dir_ / "out6/results.csv"), reference);

  const std::string store = (dir_ / "store").string();
  std::mt19937 rng(3);
  // The whole 40-trial sweep takes about half a second on a quiet 2-core machine: kills later
  // than that all came after it finished (seen once with 100-600 ms), so they come sooner.
  std::uniform_int_distribution<int> delay_ms(30, 300);
  int interrupted = 0;
  for (int kill = 0; kill < 3; ++kill) {
    DaemonProcess p(Optimize(store, (dir_ / "out").string()), dir_ / "run.log");
    std::this_thread::sleep_for(milliseconds(delay_ms(rng)));
    p.Signal(SIGKILL);
    p.Wait(milliseconds(5000));
    if (DoneJobs(store) < 40) ++interrupted;
  }
  EXPECT_GT(interrupted, 0) << "every kill came after the sweep had finished";
  auto r = Exec(Optimize(store, (dir_ / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Rows(dir_ / "out/results.csv"), reference);
  EXPECT_EQ(SweepStates(store).size(), 1u) << "one sweep only";
  EXPECT_EQ(DoneJobs(store), 40u);
  std::cout << "kills before the last trial was recorded: " << interrupted << " of 3" << std::endl;
  const auto result = nlohmann::json::parse(Slurp(dir_ / "out/optimization_result.json"));
  EXPECT_EQ(result["search"]["method"], "tpe");
  EXPECT_EQ(result["search"]["trials"], 40);
  EXPECT_FALSE(result["best_so_far"].empty());
  // `s1mple results` replays the trials from the store.
  auto again = Exec({S1mpleBin(), "results", result["optimization_id"].get<std::string>(),
                     "--store", store, "--out", (dir_ / "again").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Rows(dir_ / "again/results.csv"), reference);

  // Distributed: a broker and a runner of its own; the producer proposes as results come back.
  const fs::path endpoint_file = dir_ / "endpoint";
  DaemonProcess broker(
      {S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store", (dir_ / "bstore").string(),
       "--sync", "none", "--endpoint-file", endpoint_file.string()},
      dir_ / "broker.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  DaemonProcess runner(
      {S1mpleBin(), "runner", "--connect", endpoint, "--slots", "2", "--name", "tpe-runner"},
      dir_ / "runner.log");
  auto dist = Exec({S1mpleBin(), "optimize", (dir_ / "plan.yaml").string(), "--broker", endpoint,
                    "--out", (dir_ / "dist").string(), "--no-progress"});
  ASSERT_EQ(dist.exit_code, 0) << dist.err << "\n" << broker.Log();
  EXPECT_EQ(Rows(dir_ / "dist/results.csv"), reference);
}

// Issue 19: successive halving. 32 configurations on the last quarter of the data, the best
// half of the feasible ones on the last half, the best half of those on all of it (eta 2,
// min_fidelity 0.25); min_trades 70 breaks some of each rung (on this data 5 of rung 0 and 9 of
// rung 1's 16, so rung 2 has 7, not 8), which are never promoted. Killed with SIGKILL
// at random points and run again, the sweep ends with the trials of an uninterrupted run;
// `s1mple results` replays them from the store, and with a broker and a runner the producer
// proposes the same rungs again.
TEST_F(SweepSessionTest,
       HalvingSearchKilledWithSigkillResumesToTheSameTrialsAndRunsTheSameOnABroker) {
  {
    std::ofstream(dir_ / "plan.yaml", std::ios::app)
        << "  constraints: {min_trades: 70}\n"
        << "  search: {method: halving, budget: 32, seed: 5, eta: 2, min_fidelity: 0.25}\n";
  }
  auto ref = Exec(Optimize((dir_ / "ref-store").string(), (dir_ / "ref-out").string()));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto reference = Rows(dir_ / "ref-out/results.csv");
  ASSERT_GE(reference.size(), 1u + 32u + 1u) << "header + rung 0 + at least one promotion";
  ASSERT_LE(reference.size(), 1u + 32u + 16u + 8u);

  // The rungs, read back from results.csv: every promoted configuration met the constraints
  // (and had the best primary metric) in the rung before.
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : reference) {
    std::vector<std::string> cells;
    std::stringstream ss(r);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  const auto& header = rows[0];
  auto col = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<size_t>(it - header.begin());
  };
  const size_t rung_c = col("rung"), fid_c = col("fidelity"), trial_c = col("trial");
  const size_t ok_c = col("meets_constraints"), sharpe_c = col("sharpe_ratio");
  const size_t params[] = {col("trend_follower.fast_period"), col("trend_follower.slow_period"),
                           col("atr_based_stops.atr_multiplier")};
  std::map<int, std::map<std::string, std::pair<bool, double>>> rungs;  // rung -> config -> verdict
  std::map<int, std::string> fidelity;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& c = rows[i];
    EXPECT_EQ(c[trial_c], std::to_string(i - 1)) << "job i is trial i";
    std::string config;
    for (size_t p : params) config += c[p] + "/";
    const int rung = std::stoi(c[rung_c]);
    if (i > 1) {
      EXPECT_GE(rung, std::stoi(rows[i - 1][rung_c])) << "rungs in job order";
    }
    rungs[rung][config] = {c[ok_c] == "true", c[sharpe_c].empty() ? 0 : std::stod(c[sharpe_c])};
    fidelity[rung] = c[fid_c];
  }
  EXPECT_EQ(fidelity[0], "0.25");
  uint64_t infeasible_rung0 = 0;
  for (const auto& [config, v] : rungs[0]) infeasible_rung0 += v.first ? 0 : 1;
  EXPECT_GT(infeasible_rung0, 0u) << "the constraint breaks no configuration: the test is moot";
  EXPECT_LT(infeasible_rung0, 32u);
  for (const auto& [rung, configs] : rungs) {
    if (rung == 0) continue;
    const auto& before = rungs[rung - 1];
    std::vector<double> feasible;
    for (const auto& [config, v] : before)
      if (v.first) feasible.push_back(v.second);
    std::sort(feasible.rbegin(), feasible.rend());
    EXPECT_EQ(configs.size(), std::min(feasible.size(), (before.size() + 1) / 2)) << rung;
    for (const auto& [config, v] : configs) {
      ASSERT_TRUE(before.count(config)) << config << " was promoted from nowhere";
      EXPECT_TRUE(before.at(config).first)
          << config << " broke a constraint at rung " << rung - 1 << " and was promoted";
      EXPECT_GE(before.at(config).second, feasible[configs.size() - 1]) << config;
    }
  }
  EXPECT_EQ(rungs.size(), 3u) << "the search reached full fidelity";
  EXPECT_EQ(fidelity[2], "1.0");

  // Kill -9 in rung 0 (after a random delay), then as soon as a result of rung 1 is recorded,
  // then as soon as one of rung 2 is: while each later rung is being proposed and run.
  const std::string store = (dir_ / "store").string();
  const uint64_t rung1_start = 32, rung2_start = 32 + rungs[1].size();
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> delay_ms(100, 900);
  int interrupted = 0;
  for (int kill = 0; kill < 3; ++kill) {
    DaemonProcess p(Optimize(store, (dir_ / "out").string()), dir_ / "run.log");
    if (kill == 0) {
      std::this_thread::sleep_for(milliseconds(delay_ms(rng)));
    } else {
      const uint64_t after = kill == 1 ? rung1_start : rung2_start;
      for (int i = 0; i < 6000 && DoneJobs(store) <= after; ++i)
        if (p.Wait(milliseconds(10))) break;
    }
    p.Signal(SIGKILL);
    p.Wait(milliseconds(5000));
    const uint64_t done = DoneJobs(store);
    std::cout << "kill " << kill << ": " << done << " of " << reference.size() - 1
              << " jobs recorded" << std::endl;
    if (done + 1 < reference.size()) ++interrupted;
  }
  EXPECT_GT(interrupted, 0) << "every kill came after the sweep had finished";
  auto r = Exec(Optimize(store, (dir_ / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Rows(dir_ / "out/results.csv"), reference);
  EXPECT_EQ(SweepStates(store).size(), 1u) << "one sweep only";
  EXPECT_EQ(DoneJobs(store) + 1, reference.size());
  std::cout << "kills before the last trial was recorded: " << interrupted << " of 3" << std::endl;
  const auto result = nlohmann::json::parse(Slurp(dir_ / "out/optimization_result.json"));
  EXPECT_EQ(result["search"]["method"], "halving");
  EXPECT_EQ(result["search"]["eta"], 2);
  ASSERT_EQ(result["search"]["rungs"].size(), 3u);
  EXPECT_EQ(result["search"]["rungs"][0]["jobs"], 32);
  EXPECT_TRUE(result["search"]["rungs"][2]["period"].is_null());
  // The best is judged at full fidelity: every best-so-far entry and the best are last-rung runs.
  const auto& history = result["best_so_far"];
  ASSERT_FALSE(history.empty());
  for (const auto& h : history) EXPECT_GE(h["trial"].get<uint64_t>(), rung2_start) << h;
  EXPECT_EQ(history.back()["run_id"], result["best_configuration"]["run_id"]);
  EXPECT_EQ(result["best_configuration"]["rung"], 2);
  EXPECT_EQ(result["best_configuration"]["fidelity"], 1.0);
  // `s1mple results` replays the trials from the store.
  auto again = Exec({S1mpleBin(), "results", result["optimization_id"].get<std::string>(),
                     "--store", store, "--out", (dir_ / "again").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Rows(dir_ / "again/results.csv"), reference);

  // Distributed: a broker and a runner of its own; each rung is proposed once the one before is
  // recorded.
  const fs::path endpoint_file = dir_ / "endpoint";
  DaemonProcess broker(
      {S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store", (dir_ / "bstore").string(),
       "--sync", "none", "--endpoint-file", endpoint_file.string()},
      dir_ / "broker.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  DaemonProcess runner(
      {S1mpleBin(), "runner", "--connect", endpoint, "--slots", "2", "--name", "halving-runner"},
      dir_ / "runner.log");
  auto dist = Exec({S1mpleBin(), "optimize", (dir_ / "plan.yaml").string(), "--broker", endpoint,
                    "--out", (dir_ / "dist").string(), "--no-progress"});
  ASSERT_EQ(dist.exit_code, 0) << dist.err << "\n" << broker.Log();
  EXPECT_EQ(Rows(dir_ / "dist/results.csv"), reference);
}

}  // namespace
}  // namespace s1mple::testing
