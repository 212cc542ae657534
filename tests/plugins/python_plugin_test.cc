// Python plugin packages (issue 17) through the s1mple binary: a module listed in `plugins:`
// whose classes derive from the s1mple worker bases; bind() sees the bar columns as NumPy
// arrays and computes the signal for the whole series; a per-bar hook gives the same results;
// an exception becomes the failure with the plugin's name, its YAML path and the traceback; a
// machine without libpython fails saying so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class PythonPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("s1mple-py-plugins-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "pkg");
    fs::copy_file(S1MPLE_TEST_PY, dir_ / "pkg/py_signals.py");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  // An operation listing the module, whose blueprint runs `signal` with `params`.
  fs::path Operation(const std::string& name, const std::string& signal, const std::string& params,
                     bool context = false) {
    std::ofstream(dir_ / (name + "_bp.yaml"))
        << "name: " << name << "\n"
        << "context_workers:\n  - plugin: atr\n    params: {period: 14}\n"
        << (context ? "  - plugin: py_mid\n" : "") << "opportunity_workers:\n  - plugin: " << signal
        << "\n    params: " << params
        << "\nplanning_workers:\n  entry_planning:\n    - plugin: market_entry_immediate\n"
           "  exit_planning:\n    - plugin: atr_based_stops\n      params: {atr_period: 14}\n"
           "    - plugin: fixed_rr_exit\n      params: {risk_reward_ratio: 2.0}\n  "
           "size_planning:\n    - plugin: fixed_size_sizer\n";
    const fs::path op = dir_ / (name + ".yaml");
    std::ofstream(op) << "name: " << name << "\nplugins: [pkg/py_signals.py]\nstrategy_links:\n"
                      << "  - name: " << name << "\n    strategy_blueprint: " << name
                      << "_bp.yaml\n    environment:\n      data: {source: synthetic, seed: 5, "
                         "bars: 20000, interval: 1h, start: 2020-01-01}\n";
    return op;
  }
  CommandResult RunOp(const fs::path& op, const fs::path& out, const std::string& env = "") {
    return s1mple::testing::Run({"sh", "-c",
                                 env + " " + ShellQuote(S1mpleBin()) + " run " +
                                     ShellQuote(op.string()) + " --out " +
                                     ShellQuote(out.string())});
  }
  fs::path dir_;
};

TEST_F(PythonPlugins, BindWithNumpyAndThePerBarHookGiveTheSameResults) {
  auto a = RunOp(Operation("bind", "py_cross", "{fast_period: 10, slow_period: 40}", true),
                 dir_ / "bind");
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  auto b = RunOp(Operation("hook", "py_cross_hook", "{fast_period: 10, slow_period: 40}"),
                 dir_ / "hook");
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  auto ja = nlohmann::json::parse(Slurp(dir_ / "bind/result.json"));
  auto jb = nlohmann::json::parse(Slurp(dir_ / "hook/result.json"));
  EXPECT_GT(ja["metrics"]["total_trades"].get<int64_t>(), 20);
  EXPECT_EQ(ja["metrics"].dump(), jb["metrics"].dump());
  EXPECT_EQ(ja["trades"].dump(), jb["trades"].dump());
  // The manifest came from the class: a param out of its bounds is refused like a built-in's.
  auto bad = RunOp(Operation("bad", "py_cross", "{fast_period: 0, slow_period: 40}"), dir_ / "bad");
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("fast_period"), std::string::npos) << bad.err;
  // plugin check lists the module's plugins.
  auto check =
      s1mple::testing::Run({S1mpleBin(), "plugin", "check", (dir_ / "pkg/py_signals.py").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("py_cross  OpportunityWorker/momentum_signal  params: fast_period "
                           "slow_period"),
            std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("py_mid  ContextWorker/indicator"), std::string::npos) << check.out;
}

TEST_F(PythonPlugins, AnExceptionFailsWithThePluginItsYamlPathAndTheTraceback) {
  auto r = RunOp(Operation("raise", "py_raise", "{mode: raise}"), dir_ / "raise");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("opportunity_workers[0] (py_raise): threw: Python raised:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Traceback (most recent call last)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in helper_that_fails"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ValueError: py_raise was told to raise (20000 bars)"), std::string::npos)
      << r.err;
}

TEST_F(PythonPlugins, NoPythonOnTheMachineFailsSayingSo) {
  auto r = RunOp(Operation("nopy", "py_cross", "{fast_period: 10, slow_period: 40}"), dir_ / "nopy",
                 "S1MPLE_LIBPYTHON=libpython-not-here.so");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no Python on this machine: libpython-not-here.so"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("py_signals.py"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace s1mple::testing
