// Plugin packages through real processes (issue 17): `s1mple plugin new` scaffolds a C++ project
// that builds with cmake against the S1mple package of this build tree, its unit test passes,
// `s1mple optimize plan.yaml` runs it embedded, and a runner started in an empty directory (its
// TMPDIR there too, so the plugin cache is in it) on a broker runs the same sweep bit for bit.
// A changed package is not the identical plan. A plugin that segfaults, throws, aborts or loops
// fails its job (retried or not as DESIGN decision 4 says) and the runner carries on; a runner
// started with --no-plugins refuses plugin jobs with a reason that says so.
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

#include "tests/support/process.h"
#include "tests/system/daemon_process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

CommandResult Exec(std::vector<std::string> argv, int limit_s = 300) {
  argv.insert(argv.begin(), {"timeout", "-k", "5", std::to_string(limit_s)});
  return Run(argv);
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// results.csv as header name -> column per row, rows by index.
struct Table {
  std::vector<std::string> header;
  std::map<uint64_t, std::vector<std::string>> rows;
  std::string Cell(uint64_t index, const std::string& col) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == col && rows.count(index) && i < rows.at(index).size())
        return rows.at(index)[i];
    return "";
  }
};

std::vector<std::string> SplitCsvLine(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF rows (RFC 4180)
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

Table ReadResults(const fs::path& csv) {
  Table t;
  std::istringstream in(Slurp(csv));
  std::string line;
  if (!std::getline(in, line)) return t;
  t.header = SplitCsvLine(line);
  size_t index_col = 0;
  for (size_t i = 0; i < t.header.size(); ++i)
    if (t.header[i] == "index") index_col = i;
  while (std::getline(in, line)) {
    auto cells = SplitCsvLine(line);
    if (cells.size() > index_col) t.rows[std::stoull(cells[index_col])] = cells;
  }
  return t;
}

// Every column but the run id (it carries the sweep id) and attempts, row by row.
std::vector<std::string> Comparable(const Table& t) {
  std::vector<std::string> out;
  for (const auto& [index, cells] : t.rows) {
    std::string joined;
    for (size_t i = 0; i < cells.size() && i < t.header.size(); ++i)
      if (t.header[i] != "run_id" && t.header[i] != "attempts") joined += cells[i] + ",";
    out.push_back(joined);
  }
  return out;
}

std::string SweepId(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("sweep (sw-[0-9a-f]{12}):")) ? m[1].str() : "";
}

// A broker on loopback and its endpoint.
struct Broker {
  std::unique_ptr<DaemonProcess> process;
  std::string endpoint;
  Broker(const fs::path& dir, const std::string& name) {
    const fs::path endpoint_file = dir / (name + ".endpoint");
    process = std::make_unique<DaemonProcess>(
        std::vector<std::string>{S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store",
                                 (dir / (name + "-store")).string(), "--sync", "none",
                                 "--endpoint-file", endpoint_file.string()},
        dir / (name + ".log"));
    endpoint = WaitForEndpoint(endpoint_file);
  }
};

// A runner started in `cwd` (an empty directory) with TMPDIR there: nothing but s1mple.
std::unique_ptr<DaemonProcess> StartRunner(const fs::path& cwd, const std::string& endpoint,
                                           const std::string& name,
                                           const std::vector<std::string>& extra = {},
                                           const std::string& env = "") {
  fs::create_directories(cwd);
  std::string cmd = "cd " + ShellQuote(cwd.string()) + " && " + env +
                    " TMPDIR=" + ShellQuote(cwd.string()) + " exec " +
                    ShellQuote(fs::absolute(S1mpleBin()).string()) + " runner --connect " +
                    ShellQuote(endpoint) + " --slots 2 --name " + name;
  for (const auto& e : extra) cmd += " " + e;
  return std::make_unique<DaemonProcess>(std::vector<std::string>{"/bin/sh", "-c", cmd},
                                         cwd.parent_path() / (name + ".log"));
}

class PluginSweep : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("s1mple-plugin-sweep-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    project_ = new fs::path(*dir_ / "my_cross");
    scaffold_ = new CommandResult(Exec({S1mpleBin(), "plugin", "new", "my_cross", "--lang", "cpp",
                                        "--category", "opportunity", project_->string()}));
    build_ = new CommandResult(
        Exec({"sh", "-c",
              "cmake -S " + ShellQuote(project_->string()) + " -B " +
                  ShellQuote((*project_ / "build").string()) + " && cmake --build " +
                  ShellQuote((*project_ / "build").string())}));
  }
  static void TearDownTestSuite() {
    if (::testing::UnitTest::GetInstance()->failed_test_count() == 0) fs::remove_all(*dir_);
    delete dir_;
    delete project_;
    delete scaffold_;
    delete build_;
  }
  void SetUp() override {
    ASSERT_EQ(scaffold_->exit_code, 0) << scaffold_->out << scaffold_->err;
    ASSERT_EQ(build_->exit_code, 0) << build_->out << build_->err;
  }

  static fs::path* dir_;
  static fs::path* project_;
  static CommandResult* scaffold_;
  static CommandResult* build_;
};
fs::path* PluginSweep::dir_ = nullptr;
fs::path* PluginSweep::project_ = nullptr;
CommandResult* PluginSweep::scaffold_ = nullptr;
CommandResult* PluginSweep::build_ = nullptr;

TEST_F(PluginSweep, ScaffoldBuildsTestsAndSweepsEmbeddedAndOnARunnerInAnEmptyDirectoryBitForBit) {
  const fs::path project = *project_;
  for (const char* f : {"CMakeLists.txt", "src/my_cross.cc", "test/my_cross_test.cc",
                        "operation.yaml", "strategy.yaml", "plan.yaml", "build/libmy_cross.so"})
    EXPECT_TRUE(fs::exists(project / f)) << f;
  // Its unit test, on hand-made bars through the harness.
  auto test = Exec({"ctest", "--test-dir", (project / "build").string(), "--output-on-failure"});
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  // plugin check / doc.
  auto check = Exec({S1mpleBin(), "plugin", "check", (project / "build/libmy_cross.so").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("my_cross  OpportunityWorker/momentum_signal  params: fast_period "
                           "slow_period"),
            std::string::npos)
      << check.out;
  auto doc = Exec({S1mpleBin(), "plugin", "doc", (project / "build/libmy_cross.so").string()});
  EXPECT_EQ(doc.exit_code, 0) << doc.err;
  EXPECT_NE(doc.out.find("### `my_cross`"), std::string::npos) << doc.out;
  EXPECT_NE(doc.out.find("| `slow_period` | int | `26` | 2 .. 5000 |"), std::string::npos);

  // Embedded.
  const fs::path embedded_out = *dir_ / "embedded";
  auto embedded =
      Exec({S1mpleBin(), "optimize", (project / "plan.yaml").string(), "--store",
            (*dir_ / "embedded-store").string(), "--out", embedded_out.string(), "--no-progress"});
  ASSERT_EQ(embedded.exit_code, 0) << embedded.out << embedded.err;
  const Table a = ReadResults(embedded_out / "results.csv");
  ASSERT_EQ(a.rows.size(), 8u);
  for (const auto& [i, row] : a.rows) EXPECT_EQ(a.Cell(i, "status"), "ok") << i;

  // A broker and a runner in an empty directory.
  Broker broker(*dir_, "broker");
  ASSERT_FALSE(broker.endpoint.empty()) << broker.process->Log();
  const fs::path empty = *dir_ / "empty-runner-home";
  auto runner = StartRunner(empty, broker.endpoint, "empty-runner");
  const fs::path remote_out = *dir_ / "remote";
  auto remote = Exec({S1mpleBin(), "optimize", (project / "plan.yaml").string(), "--broker",
                      broker.endpoint, "--out", remote_out.string(), "--no-progress"});
  ASSERT_EQ(remote.exit_code, 0) << remote.out << remote.err << "\nrunner:\n" << runner->Log();
  const Table b = ReadResults(remote_out / "results.csv");
  EXPECT_EQ(Comparable(a), Comparable(b)) << "the runner's results are the embedded ones";
  // The runner got the package from the sweep: its plugin cache is in the empty directory.
  bool cached = false;
  for (const auto& e : fs::recursive_directory_iterator(empty))
    cached = cached || e.path().filename() == "libmy_cross.so";
  EXPECT_TRUE(cached) << "no libmy_cross.so under " << empty;
}

TEST_F(PluginSweep, AChangedPackageIsNotTheIdenticalPlan) {
  const fs::path project = *project_;
  const std::string store = (*dir_ / "identity-store").string();
  auto plan = (project / "plan.yaml").string();
  auto first = Exec({S1mpleBin(), "optimize", plan, "--store", store, "--out",
                     (*dir_ / "id1").string(), "--no-progress"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  auto again = Exec({S1mpleBin(), "optimize", plan, "--store", store, "--out",
                     (*dir_ / "id2").string(), "--no-progress"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(SweepId(first.out), SweepId(again.out)) << "the identical plan is the same sweep";
  // Change the plugin (its description) and rebuild: another package, another sweep.
  const fs::path src = project / "src/my_cross.cc";
  std::string text = Slurp(src);
  const std::string from = "EMA crossover of the close";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "EMA crossover of the closing price");
  Write(src, text);
  auto rebuild = Exec({"cmake", "--build", (project / "build").string()});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.out << rebuild.err;
  auto changed = Exec({S1mpleBin(), "optimize", plan, "--store", store, "--out",
                       (*dir_ / "id3").string(), "--no-progress"});
  ASSERT_EQ(changed.exit_code, 0) << changed.out << changed.err;
  EXPECT_NE(SweepId(changed.out), SweepId(first.out)) << changed.out;
}

// A sweep of pkg_misbehave (tests/plugins/packages): one job per mode.
fs::path WriteMisbehavePlan(const fs::path& dir) {
  const std::string pkg = std::string(S1MPLE_TEST_PKGS) + "/libpkg_misbehave.so";
  Write(dir / "bp.yaml", R"(name: misbehave
opportunity_workers:
  - plugin: pkg_misbehave
    params: {mode: none, at_bar: 50}
  - plugin: trend_follower
    params: {fast_period: 10, slow_period: 40}
planning_workers:
  entry_planning:
    - plugin: market_entry_immediate
  exit_planning:
    - plugin: fixed_rr_exit
      params: {risk_reward_ratio: 2.0}
  size_planning:
    - plugin: fixed_size_sizer
)");
  Write(dir / "op.yaml", "name: misbehave\nplugins: [" + pkg +
                             "]\nstrategy_links:\n  - name: misbehave\n    strategy_blueprint: "
                             "bp.yaml\n    environment:\n      data: {source: synthetic, seed: 3, "
                             "bars: 2000, interval: 1h, start: 2020-01-01}\n");
  Write(dir / "plan.yaml", R"(optimization_config:
  name: "misbehaving plugin"
  base_operation: "op.yaml"
  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "pkg_misbehave"
      parameters:
        mode: {values: ["none", "throw", "segfault", "abort", "loop", "leak"]}
  optimization_targets:
    primary_metric: "total_return"
  parallel_config:
    timeout_per_run: 2
)");
  return dir / "plan.yaml";
}

TEST_F(PluginSweep, APluginThatCrashesThrowsOrLoopsFailsItsJobAndTheRunnerCarriesOn) {
  const fs::path plan = WriteMisbehavePlan(*dir_ / "misbehave");
  Broker broker(*dir_, "mb-broker");
  ASSERT_FALSE(broker.endpoint.empty()) << broker.process->Log();
  auto runner = StartRunner(*dir_ / "mb-runner-home", broker.endpoint, "mb-runner",
                            {"--worker-memory-mb", "384"});
  const fs::path out = *dir_ / "mb-out";
  auto r = Exec({S1mpleBin(), "optimize", plan.string(), "--broker", broker.endpoint, "--out",
                 out.string(), "--no-progress"});
  const Table t = ReadResults(out / "results.csv");
  ASSERT_EQ(t.rows.size(), 6u) << r.out << r.err << "\nrunner:\n" << runner->Log();
  // none: ok.
  EXPECT_EQ(t.Cell(0, "status"), "ok") << t.Cell(0, "error");
  // throw: a deterministic failure at once, naming the plugin, its YAML path and what it threw.
  EXPECT_EQ(t.Cell(1, "status"), "failed");
  EXPECT_EQ(t.Cell(1, "attempts"), "1");
  EXPECT_NE(t.Cell(1, "error")
                .find("opportunity_workers[0] (pkg_misbehave): threw: "
                      "pkg_misbehave was told to throw"),
            std::string::npos)
      << t.Cell(1, "error");
  // segfault, abort: the pool process dies, the job is retried up to its limit.
  for (uint64_t i : {2u, 3u}) {
    EXPECT_EQ(t.Cell(i, "status"), "failed") << i;
    EXPECT_NE(t.Cell(i, "error").find("worker crashed"), std::string::npos) << t.Cell(i, "error");
    EXPECT_EQ(t.Cell(i, "attempts"), "3") << i;
  }
  // loop: killed at timeout_per_run, retried.
  EXPECT_EQ(t.Cell(4, "status"), "failed");
  EXPECT_NE(t.Cell(4, "error").find("timeout"), std::string::npos) << t.Cell(4, "error");
  // leak: the pool process's memory limit (--worker-memory-mb; small, so that touching it fits
  // in timeout_per_run on a loaded machine) makes an allocation fail; the
  // job fails naming the plugin, and the machine's memory is never exhausted.
  EXPECT_EQ(t.Cell(5, "status"), "failed");
  EXPECT_NE(t.Cell(5, "error").find("pkg_misbehave"), std::string::npos) << t.Cell(5, "error");
  EXPECT_NE(t.Cell(5, "error").find("bad_alloc"), std::string::npos) << t.Cell(5, "error");
  // The runner carries on: alive, and the next sweep runs on it.
  EXPECT_EQ(::kill(runner->pid(), 0), 0) << "the runner died\n" << runner->Log();
  auto next = Exec({S1mpleBin(), "optimize", (*project_ / "plan.yaml").string(), "--broker",
                    broker.endpoint, "--out", (*dir_ / "mb-next").string(), "--no-progress"});
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_EQ(ReadResults(*dir_ / "mb-next" / "results.csv").rows.size(), 8u);
}

TEST_F(PluginSweep, ARunnerWithNoPluginsRefusesPluginJobsSayingSo) {
  Broker broker(*dir_, "np-broker");
  ASSERT_FALSE(broker.endpoint.empty()) << broker.process->Log();
  auto runner =
      StartRunner(*dir_ / "np-runner-home", broker.endpoint, "np-runner", {"--no-plugins"});
  const fs::path out = *dir_ / "np-out";
  auto r = Exec({S1mpleBin(), "optimize", (*project_ / "plan.yaml").string(), "--broker",
                 broker.endpoint, "--out", out.string(), "--no-progress"});
  const Table t = ReadResults(out / "results.csv");
  ASSERT_EQ(t.rows.size(), 8u) << r.out << r.err << "\nrunner:\n" << runner->Log();
  for (const auto& [i, row] : t.rows) {
    EXPECT_EQ(t.Cell(i, "status"), "failed") << i;
    EXPECT_NE(t.Cell(i, "error")
                  .find("runner np-runner refuses plugin jobs (started with "
                        "--no-plugins); the sweep ships the plugin package(s) "
                        "libmy_cross.so"),
              std::string::npos)
        << t.Cell(i, "error");
  }
  // Nothing was written: no plugin cache in its directory.
  EXPECT_TRUE(fs::is_empty(*dir_ / "np-runner-home"));
  EXPECT_EQ(::kill(runner->pid(), 0), 0) << "the runner died\n" << runner->Log();
}

// The same for Python: scaffold, its test through `s1mple plugin test`, the sweep embedded and on
// a runner in an empty directory, bit for bit.
TEST(PythonPluginSweep, ScaffoldTestsAndSweepsEmbeddedAndOnARunnerInAnEmptyDirectoryBitForBit) {
  const fs::path dir =
      fs::temp_directory_path() / ("s1mple-py-plugin-sweep-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path project = dir / "my_py";
  auto scaffold = Exec({S1mpleBin(), "plugin", "new", "my_py", "--lang", "python", "--category",
                        "opportunity", project.string()});
  ASSERT_EQ(scaffold.exit_code, 0) << scaffold.out << scaffold.err;
  auto test = Exec({S1mpleBin(), "plugin", "test", (project / "test_my_py.py").string()});
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  EXPECT_NE(test.out.find("ok test_crosses_up_once_after_the_turn"), std::string::npos) << test.out;
  auto embedded =
      Exec({S1mpleBin(), "optimize", (project / "plan.yaml").string(), "--store",
            (dir / "store").string(), "--out", (dir / "embedded").string(), "--no-progress"});
  ASSERT_EQ(embedded.exit_code, 0) << embedded.out << embedded.err;
  const Table a = ReadResults(dir / "embedded/results.csv");
  ASSERT_EQ(a.rows.size(), 8u);
  for (const auto& [i, row] : a.rows) EXPECT_EQ(a.Cell(i, "status"), "ok") << a.Cell(i, "error");
  Broker broker(dir, "broker");
  ASSERT_FALSE(broker.endpoint.empty()) << broker.process->Log();
  const fs::path empty = dir / "empty-runner-home";
  auto runner = StartRunner(empty, broker.endpoint, "py-runner");
  auto remote = Exec({S1mpleBin(), "optimize", (project / "plan.yaml").string(), "--broker",
                      broker.endpoint, "--out", (dir / "remote").string(), "--no-progress"});
  ASSERT_EQ(remote.exit_code, 0) << remote.out << remote.err << "\nrunner:\n" << runner->Log();
  EXPECT_EQ(Comparable(a), Comparable(ReadResults(dir / "remote/results.csv")));
  bool cached = false;
  for (const auto& e : fs::recursive_directory_iterator(empty))
    cached = cached || e.path().filename() == "my_py.py";
  EXPECT_TRUE(cached) << "no my_py.py under " << empty;

  // A runner on a machine without libpython (S1MPLE_LIBPYTHON names one that is not there):
  // its jobs fail, retryable, saying so; the runner carries on.
  Broker nopy(dir, "nopy-broker");
  ASSERT_FALSE(nopy.endpoint.empty()) << nopy.process->Log();
  auto nopy_runner = StartRunner(dir / "nopy-runner-home", nopy.endpoint, "nopy-runner", {},
                                 "S1MPLE_LIBPYTHON=libpython-not-here.so");
  auto failed = Exec({S1mpleBin(), "optimize", (project / "plan.yaml").string(), "--broker",
                      nopy.endpoint, "--out", (dir / "nopy").string(), "--no-progress"});
  const Table t = ReadResults(dir / "nopy/results.csv");
  ASSERT_EQ(t.rows.size(), 8u) << failed.out << failed.err << nopy_runner->Log();
  for (const auto& [i, row] : t.rows) {
    EXPECT_EQ(t.Cell(i, "status"), "failed") << i;
    EXPECT_NE(t.Cell(i, "error").find("cannot load a plugin package on this machine"),
              std::string::npos)
        << t.Cell(i, "error");
    EXPECT_NE(t.Cell(i, "error").find("no Python on this machine: libpython-not-here.so"),
              std::string::npos)
        << t.Cell(i, "error");
  }
  EXPECT_EQ(::kill(nopy_runner->pid(), 0), 0) << "the runner died\n" << nopy_runner->Log();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::testing
