// The command line surface of `s1mple`: help, version, usage errors, and what `s1mple job` says.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

TEST(Cli, HelpListsEverySubcommand) {
  auto r = RunS1mple({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* sub : {"run", "optimize", "variant", "broker", "runner", "status", "results",
                          "resume", "job", "keygen"}) {
    EXPECT_NE(r.out.find(std::string("\n  ") + sub), std::string::npos) << sub << "\n" << r.out;
  }
}

TEST(Cli, VersionPrintsNameAndVersion) {
  auto r = RunS1mple({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("s1mple ", 0), 0u) << r.out;
}

TEST(Cli, UnknownSubcommandIsOneLineUsageError) {
  auto r = RunS1mple({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("s1mple: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, UnknownFlagIsOneLineUsageError) {
  auto r = RunS1mple({"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("s1mple: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, MissingSubcommandIsUsageError) {
  auto r = RunS1mple({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("s1mple: error: "), std::string::npos) << r.err;
}

TEST(Cli, BadLogLevelIsUsageError) {
  auto r = RunS1mple({"--log-level", "loud", "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("log-level"), std::string::npos) << r.err;
}

// `s1mple job` of a stored walk-forward sweep names the job's configuration and fold segment with
// the segment's days (cut from the data range the sweep's plan summary keeps), and those days are
// the job's own `period`; `--plan --index` says the same.
TEST(Cli, JobOfAValidationSweepNamesItsConfigurationAndSegment) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("s1mple-cli-job-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path root = ProjectRoot();
  std::ofstream(dir / "operation.yaml")
      << "name: job_test\noperators: " << (root / "config/operators.yaml").string()
      << "\nstrategy_links:\n  - name: ema_cross\n    strategy_blueprint: "
      << (root / "config/strategies/ema_cross.yaml").string()
      << "\n    environment:\n      data: {source: synthetic, seed: 7, bars: 4800, interval: 1h, "
         "start: 2020-01-01}\n      initial_capital: 10000\n      periods_per_year: 365\n";
  std::ofstream(dir / "plan.yaml")
      << "optimization_config:\n  name: job test\n  base_operation: \""
      << (dir / "operation.yaml").string()
      << "\"\n  parameter_space:\n    - worker_category: opportunity_workers\n"
         "      worker_plugin: trend_follower\n      parameters:\n"
         "        fast_period: {values: [6, 10]}\n"
         "  validation:\n    walk_forward: {train: 60d, test: 30d}\n";
  // 200 days: folds IS [0, 60) OOS [60, 90), then every 30 days: 4 folds, 8 segments, 16 jobs.
  auto run =
      RunS1mple({"optimize", (dir / "plan.yaml").string(), "--store", (dir / "store").string(),
                 "--out", (dir / "out").string(), "--runners", "1", "--no-progress"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::ifstream in(dir / "out" / "optimization_result.json");
  std::stringstream text;
  text << in.rdbuf();
  std::smatch id;
  const std::string json = text.str();
  ASSERT_TRUE(std::regex_search(json, id, std::regex("sw-[0-9a-f]{12}"))) << json.substr(0, 400);
  // Job 7: configuration 1 on segment 3, fold 1's out-of-sample window (days 90 .. 119).
  auto job = RunS1mple({"job", id.str() + "/7", "--store", (dir / "store").string()});
  ASSERT_EQ(job.exit_code, 0) << job.err;
  EXPECT_NE(job.out.find("configuration: trend_follower.fast_period=10\n"), std::string::npos)
      << job.out;
  EXPECT_NE(job.out.find("validation: configuration 1 of 2, walk_forward fold 1 of 4 "
                         "out-of-sample segment: 2020-03-31 .. 2020-04-29 (30 days)\n"),
            std::string::npos)
      << job.out;
  EXPECT_NE(
      job.out.find("\"period\":{\"end\":\"2020-04-29T23:59:59Z\",\"start\":\"2020-03-31T00:00:"
                   "00Z\"}"),
      std::string::npos)
      << job.out;
  auto from_plan = RunS1mple({"job", "--plan", (dir / "plan.yaml").string(), "--index", "7"});
  ASSERT_EQ(from_plan.exit_code, 0) << from_plan.err;
  const auto line = [](const std::string& out) {
    const size_t at = out.find("validation: ");
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  EXPECT_EQ(line(from_plan.out), line(job.out));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::testing
