// Walk-forward sweeps through the real `s1mple` binary (issue 18): the fold jobs are ordinary
// jobs of the sweep, so a sweep killed with SIGKILL mid-run resumes (the identical plan again) to
// the same results.csv and the same `validation` block as an uninterrupted run, `s1mple
// results` of the unfinished sweep cuts the same folds from the stored plan summary, and the same
// plan distributed to a real broker and runner process gives the same outputs again.
//
// The system label runs a 48-configuration walk-forward of 5 folds (480 jobs); the long label
// (S1MPLE_VALIDATION_LONG) runs the demo plan with walk-forward,
// config/optimizations/demo_walk_forward.yaml (384 configurations x 10 segments = 3,840 jobs).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
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
using nlohmann::json;
using std::chrono::milliseconds;

CommandResult Exec(const std::vector<std::string>& argv) {
  std::vector<std::string> bounded{"timeout", "-k", "5", "400"};
  bounded.insert(bounded.end(), argv.begin(), argv.end());
  return ::s1mple::testing::Run(bounded);
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// results.csv rows sorted, the sweep id masked and the `attempts` column dropped (a job whose
// lease died with a killed process legitimately ran twice).
std::vector<std::string> Rows(const fs::path& csv) {
  std::vector<std::string> rows;
  std::istringstream in(Slurp(csv));
  std::string line;
  const std::regex id("sw-[0-9a-f]{12}");
  long attempts = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(std::regex_replace(line, id, "SWEEP"));
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (attempts < 0) {
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == "attempts") attempts = static_cast<long>(i);
    }
    std::string row;
    for (size_t i = 0; i < cells.size(); ++i)
      if (static_cast<long>(i) != attempts) row += cells[i] + ",";
    rows.push_back(row);
  }
  std::sort(rows.begin() + 1, rows.end());
  return rows;
}

// The validation block with the run ids' sweep masked.
std::string Validation(const fs::path& out) {
  const json j = json::parse(Slurp(out / "optimization_result.json"));
  return std::regex_replace(j.at("validation").dump(), std::regex("sw-[0-9a-f]{12}"), "SWEEP");
}

// index -> attempt of every DONE job in the store (read-only, beside a running session).
std::map<uint64_t, uint32_t> DoneAttempts(const fs::path& store_dir) {
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

class ValidationSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-validation-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
#ifdef S1MPLE_VALIDATION_LONG
    plan_ = (ProjectRoot() / "config/optimizations/demo_walk_forward.yaml").string();
    jobs_ = 3840;
#else
    const fs::path root = ProjectRoot();
    std::ofstream(dir_ / "operation.yaml")
        << "name: validation_test\noperators: " << (root / "config/operators.yaml").string()
        << "\nstrategy_links:\n  - name: ema_cross\n    strategy_blueprint: "
        << (root / "config/strategies/ema_cross.yaml").string()
        << "\n    environment:\n      data: {source: synthetic, seed: 42, bars: 20000, "
           "interval: 1h, start: 2020-01-01}\n      initial_capital: 10000\n      fees_bps: 5\n"
           "      periods_per_year: 365\n";
    std::ofstream(dir_ / "plan.yaml")
        << "optimization_config:\n  name: validation test\n  base_operation: \""
        << (dir_ / "operation.yaml").string()
        << "\"\n  parameter_space:\n    - worker_category: opportunity_workers\n"
           "      worker_plugin: trend_follower\n      parameters:\n"
           "        fast_period: {start: 6, end: 20, step: 2}\n"
           "        slow_period: {values: [30, 40, 50, 60, 80, 100]}\n"
           "  constraints: {min_trades: 5}\n"
           "  validation:\n    walk_forward: {train: 1y, test: 3mo}\n";
    plan_ = (dir_ / "plan.yaml").string();
    jobs_ = 480;
#endif
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::vector<std::string> Optimize(const fs::path& store, const fs::path& out) const {
    return {S1mpleBin(), "optimize",   plan_,       "--store", store.string(),
            "--out",     out.string(), "--runners", "2",       "--no-progress"};
  }

  fs::path dir_;
  std::string plan_;
  uint64_t jobs_ = 0;
};

// The long binary's test has a name of its own (ctest names the tests of both binaries).
#ifdef S1MPLE_VALIDATION_LONG
using ValidationSweepLongTest = ValidationSweepTest;
#define S1MPLE_VALIDATION_SUITE ValidationSweepLongTest
#else
#define S1MPLE_VALIDATION_SUITE ValidationSweepTest
#endif

TEST_F(S1MPLE_VALIDATION_SUITE, KilledMidRunResumesToTheSameOutputsAndABrokerGivesThemToo) {
  // Uninterrupted.
  auto ref = Exec(Optimize(dir_ / "ref-store", dir_ / "ref"));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const auto reference = Rows(dir_ / "ref/results.csv");
  ASSERT_EQ(reference.size(), jobs_ + 1);
  ASSERT_NE(reference[0].find("status,fold,segment,"), std::string::npos) << reference[0];
  const std::string validation = Validation(dir_ / "ref");
  const json block = json::parse(validation);
  ASSERT_EQ(block["folds"].size(), 5u);
  for (const auto& f : block["folds"]) ASSERT_FALSE(f["winner"].is_null()) << f.dump();

  // SIGKILL mid-run: once the store holds some results, before the outputs exist.
  const fs::path store = dir_ / "store";
  std::string sweep;
  {
    DaemonProcess p(Optimize(store, dir_ / "out"), dir_ / "run.log");
    const std::regex started("sweep (sw-[0-9a-f]{12}): [0-9]+ jobs");
    for (int i = 0; i < 6000 && sweep.empty(); ++i) {
      std::smatch m;
      const std::string log = p.Log();
      if (std::regex_search(log, m, started)) sweep = m[1].str();
      if (p.Wait(milliseconds(10))) break;
    }
    ASSERT_FALSE(sweep.empty()) << p.Log();
    // Killed once a quarter of the jobs are recorded: fold 0's and part of fold 1's.
    for (int i = 0; i < 30000 && DoneAttempts(store).size() < jobs_ / 4; ++i)
      if (p.Wait(milliseconds(10))) break;
    ASSERT_FALSE(p.Wait(milliseconds(0))) << "the sweep ended before the kill\n" << p.Log();
    p.Signal(SIGKILL);
    p.Wait(milliseconds(5000));
  }
  const auto before = DoneAttempts(store);
  ASSERT_FALSE(fs::exists(dir_ / "out/optimization_result.json"));
  // The unfinished sweep's outputs: the folds come from the stored plan summary.
  auto partial = Exec({S1mpleBin(), "results", sweep, "--store", store.string(), "--out",
                       (dir_ / "partial").string()});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  const json pj = json::parse(Slurp(dir_ / "partial/optimization_result.json"));
  EXPECT_GT(pj["missing_runs"].get<uint64_t>(), 0u) << "killed after the sweep finished";
  EXPECT_LT(pj["missing_runs"].get<uint64_t>(), jobs_) << "killed before any job finished";
  EXPECT_EQ(pj["validation"]["data_range"], block["data_range"]);

  // The identical plan again resumes its sweep.
  auto resumed = Exec(Optimize(store, dir_ / "out"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE((resumed.out + resumed.err).find(sweep), std::string::npos)
      << "did not resume " << sweep << "\n"
      << resumed.err;
  EXPECT_EQ(Rows(dir_ / "out/results.csv"), reference);
  EXPECT_EQ(Validation(dir_ / "out"), validation);
  // Exactly once: no job recorded before the kill ran again.
  const auto after = DoneAttempts(store);
  EXPECT_EQ(after.size(), jobs_);
  for (const auto& [index, attempt] : before) {
    ASSERT_TRUE(after.count(index)) << index;
    EXPECT_EQ(after.at(index), attempt) << "job " << index << " ran again after being recorded";
  }

  // Distributed: a broker process and a runner process.
  const fs::path endpoint_file = dir_ / "endpoint";
  DaemonProcess broker({S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store",
                        (dir_ / "broker-store").string(), "--sync", "none", "--endpoint-file",
                        endpoint_file.string()},
                       dir_ / "broker.log");
  const std::string endpoint = WaitForEndpoint(endpoint_file);
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  DaemonProcess runner(
      {S1mpleBin(), "runner", "--connect", endpoint, "--slots", "2", "--name", "wf-runner"},
      dir_ / "runner.log");
  auto remote = Exec({S1mpleBin(), "optimize", plan_, "--broker", endpoint, "--out",
                      (dir_ / "remote").string(), "--no-progress"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err << "\nrunner:\n" << runner.Log();
  EXPECT_EQ(Rows(dir_ / "remote/results.csv"), reference);
  EXPECT_EQ(Validation(dir_ / "remote"), validation);
}

}  // namespace
}  // namespace s1mple::testing
