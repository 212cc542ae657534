// Python plugin packages (issue 17) through the s1mple binary: a module listed in `plugins:`
// whose classes derive from the s1mple worker bases; bind() sees the bar columns as NumPy
// arrays and computes the signal for the whole series; a per-bar hook gives the same results;
// an exception becomes the failure with the plugin's name, its YAML path and the traceback; a
// machine without libpython fails saying so.
#include <gtest/gtest.h>

#include <unistd.h>
#include <set>

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

// A StringList param, as C++ plugins have it: the list reaches the class, and an item outside
// its choices is refused naming the param, like a built-in's.
TEST_F(PythonPlugins, AStringListParamIsValidatedAndReachesTheClassAsAList) {
  auto both = RunOp(Operation("both", "py_cross_sides", "{fast_period: 10, slow_period: 40}"),
                    dir_ / "both");
  ASSERT_EQ(both.exit_code, 0) << both.out << both.err;
  auto all =
      RunOp(Operation("all", "py_cross", "{fast_period: 10, slow_period: 40}"), dir_ / "all");
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  auto jboth = nlohmann::json::parse(Slurp(dir_ / "both/result.json"));
  EXPECT_EQ(jboth["trades"].dump(),
            nlohmann::json::parse(Slurp(dir_ / "all/result.json"))["trades"].dump());
  auto longs = RunOp(
      Operation("longs", "py_cross_sides", "{fast_period: 10, slow_period: 40, sides: [long]}"),
      dir_ / "longs");
  ASSERT_EQ(longs.exit_code, 0) << longs.out << longs.err;
  auto jlong = nlohmann::json::parse(Slurp(dir_ / "longs/result.json"));
  ASSERT_GT(jlong["trades"].size(), 5u);
  EXPECT_LT(jlong["trades"].size(), jboth["trades"].size());
  for (const auto& t : jlong["trades"]) EXPECT_EQ(t["side"], "long") << t.dump();
  auto bad = RunOp(Operation("sideways", "py_cross_sides",
                             "{fast_period: 10, slow_period: 40, sides: [long, sideways]}"),
                   dir_ / "sideways");
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("sides"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("sideways"), std::string::npos) << bad.err;
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

// ---- every category in Python, and columns in and out -------------------------------------------

// Runs blueprints with py_workers.py and libpkg_signals.so listed, on one synthetic series.
class PythonWorkers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("s1mple-py-workers-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "pkg");
    fs::copy_file(S1MPLE_TEST_PY_WORKERS, dir_ / "pkg/py_workers.py");
    fs::copy_file(fs::path(S1MPLE_TEST_PKGS) / "libpkg_signals.so", dir_ / "pkg/libpkg_signals.so");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  struct Outcome {
    CommandResult run;
    nlohmann::json result;
    std::string summary;  // the "opportunities ... ; threats N" line
  };
  // Runs the blueprint body `bp` (everything after its name).
  Outcome RunBlueprint(const std::string& name, const std::string& bp) {
    std::ofstream(dir_ / (name + "_bp.yaml")) << "name: " << name << "\n" << bp;
    const fs::path op = dir_ / (name + ".yaml");
    std::ofstream(op) << "name: " << name
                      << "\nplugins: [pkg/py_workers.py, pkg/libpkg_signals.so]\nstrategy_links:\n"
                      << "  - name: " << name << "\n    strategy_blueprint: " << name
                      << "_bp.yaml\n    environment:\n      data: {source: synthetic, seed: 11, "
                         "bars: 20000, interval: 1h, start: 2020-01-01}\n      "
                         "periods_per_year: 365\n";
    Outcome o;
    o.run =
        s1mple::testing::Run({S1mpleBin(), "run", op.string(), "--out", (dir_ / name).string()});
    if (o.run.exit_code == 0) o.result = nlohmann::json::parse(Slurp(dir_ / name / "result.json"));
    const size_t at = o.run.out.find("opportunities ");
    if (at != std::string::npos) o.summary = o.run.out.substr(at, o.run.out.find('\n', at) - at);
    return o;
  }
  // The same results, bit for bit (JSON numbers print every bit of a double).
  static void ExpectSame(const Outcome& a, const Outcome& b) {
    ASSERT_EQ(a.run.exit_code, 0) << a.run.out << a.run.err;
    ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
    EXPECT_EQ(a.result["metrics"].dump(), b.result["metrics"].dump());
    EXPECT_EQ(a.result["trades"].dump(), b.result["trades"].dump());
    EXPECT_EQ(a.summary, b.summary);
  }
  fs::path dir_;
};

std::string Planning(const std::string& entry, const std::string& exit2, const std::string& size) {
  return "planning_workers:\n  entry_planning:\n    - plugin: " + entry +
         "\n  exit_planning:\n    - plugin: atr_based_stops\n      params: {atr_period: 14, "
         "atr_multiplier: 1.5}\n    - plugin: " +
         exit2 +
         "\n      params: {risk_reward_ratio: 3.0}\n  size_planning:\n    - plugin: " + size +
         "\n      params: {units: 2.5}\n";
}

const char* kCross =
    "opportunity_workers:\n  - plugin: trend_follower\n    params: {fast_period: 10, "
    "slow_period: 40}\n";

TEST_F(PythonWorkers, EveryCategoryInPythonGivesTheBuiltinsResultsBitForBit) {
  // Threat, planning (entry, exit, size) and execution workers: built-ins against their Python
  // twins, each in a run of its own so that each one is shown to matter.
  auto builtin = [](const std::string& threat, const std::string& exec) {
    return std::string(kCross) + threat +
           Planning("market_entry_immediate", "fixed_rr_exit", "fixed_size_sizer") + exec;
  };
  const std::string dd_cpp =
      "threat_workers:\n  - plugin: max_drawdown_monitor\n    params: {max_drawdown_percent: "
      "0.5}\n";
  const std::string dd_py =
      "threat_workers:\n  - plugin: py_drawdown\n    params: {max_drawdown_percent: 0.5}\n";
  const std::string pp_cpp = "execution_workers:\n  - plugin: partial_profit_taker\n";
  const std::string pp_py = "execution_workers:\n  - plugin: py_partial_profit\n";

  auto plain = RunBlueprint("plain", builtin("", ""));
  auto threat_cpp = RunBlueprint("threat_cpp", builtin(dd_cpp, ""));
  auto threat_py = RunBlueprint("threat_py", builtin(dd_py, ""));
  ExpectSame(threat_cpp, threat_py);
  // The threat blocked entries: fewer trades than without it, and it was raised.
  EXPECT_LT(threat_cpp.result["metrics"]["total_trades"].get<int64_t>(),
            plain.result["metrics"]["total_trades"].get<int64_t>());
  EXPECT_EQ(threat_py.summary.find("threats 0"), std::string::npos) << threat_py.summary;

  auto plan_py = RunBlueprint(
      "plan_py", std::string(kCross) + Planning("py_market_entry", "py_rr_exit", "py_fixed_size"));
  ExpectSame(plain, plan_py);
  EXPECT_GT(plain.result["metrics"]["total_trades"].get<int64_t>(), 50);
  EXPECT_EQ(plan_py.result["trades"][0]["size"].get<double>(), 2.5);  // the sizer's units
  bool target = false;
  for (const auto& t : plan_py.result["trades"]) target |= t["exit_reason"] == "take_profit";
  EXPECT_TRUE(target) << "py_rr_exit set no target that was reached";

  auto exec_cpp = RunBlueprint("exec_cpp", builtin("", pp_cpp));
  auto exec_py = RunBlueprint("exec_py", builtin("", pp_py));
  ExpectSame(exec_cpp, exec_py);
  int partial = 0;
  for (const auto& t : exec_py.result["trades"]) partial += t["exit_reason"] == "first_target";
  EXPECT_GT(partial, 5);

  // A threat computed for the whole series in bind(): no Python call per bar, and it blocks.
  auto vol = RunBlueprint(
      "vol",
      builtin("threat_workers:\n  - plugin: py_vol_threat\n    params: {ratio: 0.004}\n", ""));
  ASSERT_EQ(vol.run.exit_code, 0) << vol.run.err;
  EXPECT_NE(vol.summary.find("WIDE_BAR"), std::string::npos) << vol.summary;
  EXPECT_LT(vol.result["metrics"]["total_trades"].get<int64_t>(),
            plain.result["metrics"]["total_trades"].get<int64_t>());
}

// The events capability from Python: a worker publishes a custom event with emit() from its
// per-bar hook, and a Python planner wired to it gets it in on_event before it plans; emitting an
// event the class does not publish fails the run naming it.
TEST_F(PythonWorkers, EventsEmittedInPythonReachAWiredPythonPlanner) {
  const std::string bp = "opportunity_workers:\n  - plugin: py_pulse_cross\n" +
                         Planning("market_entry_immediate", "fixed_rr_exit", "py_pulse_sizer");
  auto pulse = RunBlueprint("pulse", bp);
  ASSERT_EQ(pulse.run.exit_code, 0) << pulse.run.out << pulse.run.err;
  // The same signal as trend_follower (same entries), every size an event's value.
  auto cross =
      RunBlueprint("cross", std::string(kCross) + Planning("market_entry_immediate",
                                                           "fixed_rr_exit", "fixed_size_sizer"));
  ASSERT_EQ(cross.run.exit_code, 0) << cross.run.err;
  const auto& trades = pulse.result["trades"];
  ASSERT_EQ(trades.size(), cross.result["trades"].size());
  ASSERT_GT(trades.size(), 20u);
  std::set<double> sizes;
  for (size_t i = 0; i < trades.size(); ++i) {
    EXPECT_EQ(trades[i]["entry_time"], cross.result["trades"][i]["entry_time"]) << i;
    sizes.insert(trades[i]["size"].get<double>());
  }
  EXPECT_EQ(sizes, (std::set<double>{1.0, 2.0, 3.0})) << "sizes came from no event";
  // The manifest carries the capability.
  auto check =
      s1mple::testing::Run({S1mpleBin(), "plugin", "doc", (dir_ / "pkg/py_workers.py").string()});
  EXPECT_NE(check.out.find("publishes `py_pulse`"), std::string::npos) << check.out << check.err;
  auto bad = RunBlueprint(
      "bad_emit",
      "opportunity_workers:\n  - plugin: py_pulse_cross\n    params: {bad_emit: true}\n" +
          Planning("market_entry_immediate", "fixed_rr_exit", "py_pulse_sizer"));
  EXPECT_NE(bad.run.exit_code, 0);
  EXPECT_NE(bad.run.err.find("emit('not_declared'): not an event the class publishes"),
            std::string::npos)
      << bad.run.err;
  EXPECT_NE(bad.run.err.find("opportunity_workers[0] (py_pulse_cross)"), std::string::npos)
      << bad.run.err;
}

TEST_F(PythonWorkers, ColumnsPublishedInPythonFeedCppAndPythonWorkers) {
  const std::string tail = Planning("market_entry_immediate", "fixed_rr_exit", "fixed_size_sizer");
  auto reference = RunBlueprint("reference", std::string(kCross) + tail);
  // A Python context worker publishes ema_10 - ema_40 (from the shared EMA columns it declared);
  // a C++ package's worker reads it: trend_follower's results, bit for bit.
  auto ctx_to_cpp = RunBlueprint(
      "ctx_to_cpp",
      "context_workers:\n  - plugin: py_spread\n    params: {fast_period: 10, slow_period: 40}\n"
      "opportunity_workers:\n  - plugin: pkg_column_cross\n    params: {column: "
      "py_spread_10_40}\n" +
          tail);
  ExpectSame(reference, ctx_to_cpp);
  // The same column published by a Python opportunity worker, read by the C++ one after it.
  auto opp_to_cpp =
      RunBlueprint("opp_to_cpp",
                   "opportunity_workers:\n  - plugin: py_spread_opp\n    params: {fast_period: 10, "
                   "slow_period: 40}\n  - plugin: pkg_column_cross\n    params: {column: "
                   "py_spread_opp_10_40}\n" +
                       tail);
  ExpectSame(reference, opp_to_cpp);
  // ... and by a Python worker (it declares the column and gets it as a NumPy view).
  auto ctx_to_py = RunBlueprint(
      "ctx_to_py",
      "context_workers:\n  - plugin: py_spread\n    params: {fast_period: 10, slow_period: 40}\n"
      "opportunity_workers:\n  - plugin: py_column_cross\n    params: {column: py_spread_10_40}\n" +
          tail);
  ExpectSame(reference, ctx_to_py);
  // A column a C++ package publishes, read from Python.
  auto cpp_to_py =
      RunBlueprint("cpp_to_py",
                   "context_workers:\n  - plugin: pkg_close_gap\nopportunity_workers:\n  - plugin: "
                   "py_column_cross\n    params: {column: close_gap}\n" +
                       tail);
  auto cpp_to_cpp =
      RunBlueprint("cpp_to_cpp",
                   "context_workers:\n  - plugin: pkg_close_gap\nopportunity_workers:\n  - plugin: "
                   "pkg_column_cross\n    params: {column: close_gap}\n" +
                       tail);
  ExpectSame(cpp_to_cpp, cpp_to_py);
  // A column that does not exist is refused at Bind, naming it and the worker.
  auto missing = RunBlueprint(
      "missing",
      "opportunity_workers:\n  - plugin: py_column_cross\n    params: {column: no_such}\n" + tail);
  EXPECT_NE(missing.run.exit_code, 0);
  EXPECT_NE(missing.run.err.find("opportunity_workers[0]"), std::string::npos) << missing.run.err;
  EXPECT_NE(missing.run.err.find("columns: 'no_such' is not a column of this run"),
            std::string::npos)
      << missing.run.err;
}

TEST_F(PythonWorkers, BindGetsTheEnginesBuffersReadOnlyNotCopies) {
  // pkg_address publishes the address of the engine's buffer of a column; py_zero_copy raises
  // unless the NumPy array bind() got for that column has exactly that data pointer and is
  // read-only. For a bar column, a shared indicator computed on request, a column published
  // from Python.
  auto r = RunBlueprint(
      "zero_copy",
      "context_workers:\n  - plugin: py_spread\n    params: {fast_period: 10, slow_period: 40}\n"
      "opportunity_workers:\n"
      "  - plugin: pkg_address\n    params: {column: close}\n"
      "  - plugin: py_zero_copy\n    params: {column: close}\n"
      "  - plugin: pkg_address\n    params: {column: ema_10}\n"
      "  - plugin: py_zero_copy\n    params: {column: ema_10}\n"
      "  - plugin: pkg_address\n    params: {column: py_spread_10_40}\n"
      "  - plugin: py_zero_copy\n    params: {column: py_spread_10_40}\n" +
          Planning("market_entry_immediate", "fixed_rr_exit", "fixed_size_sizer"));
  EXPECT_EQ(r.run.exit_code, 0) << r.run.out << r.run.err;
}

TEST_F(PythonWorkers, AnExceptionInAPerBarHookFailsWithThePluginItsYamlPathAndTheTraceback) {
  auto r = RunBlueprint(
      "boom", std::string(kCross) +
                  Planning("market_entry_immediate", "fixed_rr_exit", "fixed_size_sizer") +
                  "execution_workers:\n  - plugin: py_boom\n");
  EXPECT_NE(r.run.exit_code, 0);
  EXPECT_NE(r.run.err.find("execution_workers[0] (py_boom): threw: Python raised:"),
            std::string::npos)
      << r.run.err;
  EXPECT_NE(r.run.err.find("in explode"), std::string::npos) << r.run.err;
  EXPECT_NE(r.run.err.find("RuntimeError: py_boom went off on bar 100"), std::string::npos)
      << r.run.err;
  EXPECT_NE(r.run.err.find("(bar 100"), std::string::npos) << r.run.err;
  // A handle kept past its call raises when read outside it (py_stale_reader reads py_keep's
  // bar handle from its own call; either raises AssertionError if it does not hold).
  auto stale = RunBlueprint(
      "stale", std::string(kCross) + "threat_workers:\n  - plugin: py_stale_reader\n" +
                   Planning("market_entry_immediate", "fixed_rr_exit", "fixed_size_sizer") +
                   "execution_workers:\n  - plugin: py_keep\n");
  EXPECT_EQ(stale.run.exit_code, 0) << stale.run.out << stale.run.err;
  // A manifest is validated as a C++ one is: a planner in a phase it does not declare.
  auto wrong = RunBlueprint(
      "wrong_phase",
      std::string(kCross) + Planning("py_fixed_size", "fixed_rr_exit", "fixed_size_sizer"));
  EXPECT_EQ(wrong.run.exit_code, 2) << wrong.run.err;
  EXPECT_NE(wrong.run.err.find("py_fixed_size"), std::string::npos) << wrong.run.err;
}

}  // namespace
}  // namespace s1mple::testing
