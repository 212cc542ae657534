// s1mple plugin new NAME --lang cpp --category CATEGORY [DIR]: scaffolds a plugin package project
//   (the plugin's source, a unit test on hand-made bars with the SDK's harness, an example
//   operation and blueprint, a small optimization plan) that builds as it is:
//   cmake -S DIR -B DIR/build && cmake --build DIR/build && s1mple optimize DIR/plan.yaml
// s1mple plugin check PATH: loads a package as a sweep would (stamp, registration, every
//   manifest, clashes with the built-ins) and lists its plugins; exit 2 when it is refused.
// s1mple plugin doc PATH: prints the package's section in the format of docs/PLUGINS.md.
// s1mple plugin test FILE.py: runs a Python plugin's test functions in s1mple's interpreter.
// --lang python writes NAME.py, test_NAME.py, the operation, blueprint and plan (no build).
// Every category has a scaffold in both languages: context (a moving-average column),
// opportunity (a crossover signal), threat (WIDE_BAR on wide bars), planning (an exit planner:
// percentage stop and target), execution (a time exit); the same rule in C++ and in Python.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "engine/plugin_package.h"
#include "engine/python_bridge.h"

namespace s1mple::cli {
namespace {

namespace fs = std::filesystem;
namespace eng = s1mple::engine;

// The S1mple CMake package that belongs to this executable: build/sdk next to build/cli/s1mple
// (a build tree), or <prefix>/lib/cmake/S1mple next to <prefix>/bin/s1mple (an install).
fs::path SdkConfigDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (const fs::path& dir : {exe.parent_path().parent_path() / "sdk",
                              exe.parent_path().parent_path() / "lib/cmake/S1mple"})
    if (fs::exists(dir / "S1mpleConfig.cmake", ec)) return dir;
  return {};
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

bool IsName(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// ---- the C++ templates (@NAME@, @CLASS@, @SDK@ replaced)
// -----------------------------------------

const char* kCMakeLists =
    R"T(# The plugin package @NAME@ (written by `s1mple plugin new`). Build and test:
#   cmake -S . -B build && cmake --build build && ctest --test-dir build
# The S1mple SDK is found next to the s1mple that wrote this file; elsewhere give
# -DS1mple_DIR=<s1mple build>/sdk or -DCMAKE_PREFIX_PATH=<s1mple install prefix>.
cmake_minimum_required(VERSION 3.25)
project(@NAME@ LANGUAGES CXX)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
find_package(S1mple @VERSION@ CONFIG REQUIRED HINTS "@SDK@")

# The package: build/lib@NAME@.so (operation.yaml lists it).
s1mple_add_plugin(@NAME@ src/@NAME@.cc)
set_target_properties(@NAME@ PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

# Its unit test on hand-made bars (S1mple::harness: the engine and <s1mple/harness.h>).
enable_testing()
add_executable(@NAME@_test test/@NAME@_test.cc)
target_link_libraries(@NAME@_test PRIVATE S1mple::harness)
target_compile_definitions(@NAME@_test PRIVATE PACKAGE_PATH="$<TARGET_FILE:@NAME@>")
add_dependencies(@NAME@_test @NAME@)
add_test(NAME @NAME@_test COMMAND @NAME@_test)
)T";

const char* kOpportunitySource =
    R"T(// @NAME@: an opportunity worker (a signal), in a plugin package of its own.
// The contract: <s1mple/plugin.h> and engine/worker.h of the SDK. Build: see CMakeLists.txt.
#include <cmath>

#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

// An EMA crossover: long when the fast EMA of the close crosses above the slow one, short when
// it crosses below. Replace OnDetect with your own rule.
class @CLASS@ final : public OpportunityWorker {
 public:
  explicit @CLASS@(const ParamSet& p)
      : spread_(static_cast<int>(p.GetInt("fast_period")),
                static_cast<int>(p.GetInt("slow_period"))) {}

 protected:
  // Once, before the bar loop: resolve the columns this worker reads.
  s1mple::Status OnBind(BindContext& ctx) override { return spread_.Bind(ctx); }

  // Every bar (on_context_ready): read columns up to bar t, emit opportunities. No allocation.
  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0) return;
    const double now = spread_.Now(t), before = spread_.Before(t);  // NaN compares false
    const double close = bar.Close();
    if (before <= 0 && now > 0)
      out.Emit(Side::kLong, std::fabs(now) / close * 100.0, "CROSS_UP", Price{close});
    else if (before >= 0 && now < 0)
      out.Emit(Side::kShort, std::fabs(now) / close * 100.0, "CROSS_DOWN", Price{close});
  }

  // Optional, for speed: the first bar from `from` on which OnDetect could emit (here the next
  // crossing either way), so the engine skips the bars in between when nothing else happens on
  // them (docs/CONFIGURATION.md, "Quiet bars"). Answer exactly, or delete this (the default,
  // std::nullopt, calls OnDetect on every bar): a bar you skip is a bar OnDetect never sees.
  NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView&) override {
    return spread_.NextCross(from, end, /*up=*/true, /*down=*/true);
  }

 private:
  s1mple::engine::plugin::EmaSpread spread_;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "@NAME@";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "momentum_signal";
  m.description = "EMA crossover of the close (fast above slow: long; below: short)";
  m.params = {s1mple::sdk::Int("fast_period", 12, 1, 2000, "fast EMA period (< slow_period)"),
              s1mple::sdk::Int("slow_period", 26, 2, 5000, "slow EMA period")};
  m.default_triggers = {"on_context_ready"};
  return registry.Register(std::move(m),
                           s1mple::sdk::MakeOrdered<@CLASS@>("fast_period", "slow_period"));
}
)T";

const char* kOpportunityTest =
    R"T(// The unit test of @NAME@: its plugin on hand-made bars, through the engine itself.
#include <cstdio>
#include <cstdlib>

#include <s1mple/harness.h>

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)

int main() {
  auto h = s1mple::sdk::Harness::Load(PACKAGE_PATH);
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
    return 1;
  }
  // Falls, then rises: the 2/4 EMAs cross up once, after the turn.
  auto bars = s1mple::sdk::BarsBuilder("2024-01-01")
                  .Closes({110, 108, 106, 104, 102, 100, 99, 98, 99, 101, 104, 108, 112, 116})
                  .Build();
  CHECK(bars.ok());
  auto opps = h->Opportunities("@NAME@", "{fast_period: 2, slow_period: 4}", **bars);
  if (!opps.ok()) std::fprintf(stderr, "%s\n", opps.status().ToString().c_str());
  CHECK(opps.ok());
  CHECK(opps->size() == 1);
  CHECK((*opps)[0].side == s1mple::engine::Side::kLong);
  CHECK((*opps)[0].bar >= 8);
  // Params are validated as a blueprint's are.
  CHECK(!h->Opportunities("@NAME@", "{fast_period: 5, slow_period: 4}", **bars).ok());
  std::printf("@NAME@_test: ok\n");
  return 0;
}
)T";

const char* kContextSource =
    R"T(// @NAME@: a context worker (an indicator column), in a plugin package of its own.
// The contract: <s1mple/plugin.h> and engine/worker.h of the SDK. Build: see CMakeLists.txt.
#include <string>

#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

// The simple moving average of the close over `period` bars, as the column "@NAME@_<period>"
// (NaN while it warms up). Replace OnCompute with your own indicator.
class @CLASS@ final : public ContextWorker {
 public:
  explicit @CLASS@(const ParamSet& p) : period_(static_cast<size_t>(p.GetInt("period"))) {}

 protected:
  // Once, before the bar loop, for all bars at once (a column is computed whole).
  s1mple::Status OnCompute(ContextFrame& frame) override {
    const std::string name = "@NAME@_" + std::to_string(period_);
    if (frame.Find(name)) return s1mple::Status::Ok();  // another entry computed it
    auto id = frame.AddColumn(name);
    if (!id.ok()) return id.status();
    auto close = frame.Column(kCloseColumn);
    auto out = frame.MutableColumn(*id);
    double sum = 0;
    for (size_t t = 0; t < close.size(); ++t) {
      sum += close[t];
      if (t >= period_) sum -= close[t - period_];
      out[t] = t + 1 >= period_ ? sum / static_cast<double>(period_) : kNaN;
    }
    return s1mple::Status::Ok();
  }

 private:
  size_t period_;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "@NAME@";
  m.category = WorkerCategory::kContext;
  m.subtype = "indicator";
  m.description = "simple moving average of the close, as the column @NAME@_<period>";
  m.params = {s1mple::sdk::Int("period", 20, 1, 5000, "bars in the window")};
  m.produces_columns = {"@NAME@_<period>"};
  return registry.Register(std::move(m), s1mple::sdk::Make<@CLASS@>());
}
)T";

const char* kContextTest =
    R"T(// The unit test of @NAME@: its column on hand-made bars, through the engine itself.
#include <cmath>
#include <cstdio>

#include <s1mple/harness.h>

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)

int main() {
  auto h = s1mple::sdk::Harness::Load(PACKAGE_PATH);
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
    return 1;
  }
  auto bars = s1mple::sdk::BarsBuilder("2024-01-01").Closes({10, 11, 12, 13, 14}).Build();
  CHECK(bars.ok());
  auto cols = h->Columns("@NAME@", "{period: 3}", **bars);
  if (!cols.ok()) std::fprintf(stderr, "%s\n", cols.status().ToString().c_str());
  CHECK(cols.ok());
  CHECK(cols->count("@NAME@_3") == 1);
  const auto& c = cols->at("@NAME@_3");
  CHECK(std::isnan(c[1]));
  CHECK(c[2] == 11.0);
  CHECK(c[4] == 13.0);
  std::printf("@NAME@_test: ok\n");
  return 0;
}
)T";

const char* kThreatSource =
    R"T(// @NAME@: a threat worker (a risk monitor), in a plugin package of its own.
// The contract: <s1mple/plugin.h> and engine/worker.h of the SDK. Build: see CMakeLists.txt.
#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

// Raises WIDE_BAR (HIGH, blocks new entries) on every bar whose range (high - low) is at least
// max_range_percent % of its close. Replace OnAssess with your own rule (bar.ledger has the
// equity, its peak and the open position).
class @CLASS@ final : public ThreatWorker {
 public:
  explicit @CLASS@(const ParamSet& p) : max_range_(p.GetFloat("max_range_percent")) {}

 protected:
  s1mple::Status OnBind(BindContext& ctx) override {
    high_ = ctx.frame.Data(kHighColumn);
    low_ = ctx.frame.Data(kLowColumn);
    return s1mple::Status::Ok();
  }

  // Every bar (its triggers: on_context_ready). No allocation.
  void OnAssess(const BarContext& bar, ThreatSink& out) override {
    const double range = (high_[bar.bar] - low_[bar.bar]) / bar.Close() * 100.0;
    if (range >= max_range_) out.Raise("WIDE_BAR", Severity::kHigh, true, range);
  }

 private:
  double max_range_;
  const double* high_ = nullptr;
  const double* low_ = nullptr;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "@NAME@";
  m.category = WorkerCategory::kThreat;
  m.subtype = "market_risk";
  m.description = "WIDE_BAR (blocks new entries) on bars whose range is >= max_range_percent % of the close";
  m.params = {s1mple::sdk::Float("max_range_percent", 2.0, 0.01, 100.0, "range / close, in %")};
  m.default_triggers = {"on_context_ready"};
  return registry.Register(std::move(m), s1mple::sdk::Make<@CLASS@>());
}
)T";

const char* kThreatTest =
    R"T(// The unit test of @NAME@: its threat on hand-made bars, through the engine itself.
#include <cstdio>

#include <s1mple/harness.h>

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)

int main() {
  auto h = s1mple::sdk::Harness::Load(PACKAGE_PATH);
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
    return 1;
  }
  // Quiet bars but one whose range is 15 % of its close.
  auto bars = s1mple::sdk::BarsBuilder("2024-01-01")
                  .Closes({100, 100.5, 101, 100.5})
                  .Bar(100, 110, 95, 100)
                  .Closes({100.5, 101, 100.5})
                  .Build();
  CHECK(bars.ok());
  auto run = h->Backtest(
      "name: t\nthreat_workers:\n  - plugin: @NAME@\n    params: {max_range_percent: 5}\n", **bars);
  if (!run.ok()) std::fprintf(stderr, "%s\n", run.status().ToString().c_str());
  CHECK(run.ok());
  CHECK(run->causality.threats_detected == 1);
  // Params are validated as a blueprint's are.
  CHECK(!h->Backtest("name: t\nthreat_workers:\n  - plugin: @NAME@\n    params: "
                     "{max_range_percent: 0}\n", **bars).ok());
  std::printf("@NAME@_test: ok\n");
  return 0;
}
)T";

const char* kPlanningSource =
    R"T(// @NAME@: a planning worker (exit planning: stop and target), in a plugin package of its own.
// The contract: <s1mple/plugin.h> and engine/worker.h of the SDK. Build: see CMakeLists.txt.
#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

// A stop stop_percent % and a target target_percent % away from the reference price (the signal
// bar's close unless an entry planner set one). Replace OnPlan with your own rule; a planner of
// another phase sets entry_type/entry_price (entry), size (size) or slices (routing) instead, and
// may plan.Reject("REASON").
class @CLASS@ final : public PlanningWorker {
 public:
  explicit @CLASS@(const ParamSet& p)
      : stop_(p.GetFloat("stop_percent") / 100.0), target_(p.GetFloat("target_percent") / 100.0) {}

 protected:
  // Once per opportunity that passed the threat gate. No allocation.
  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    const double ref = plan.ReferenceOr(in.bar->Close());
    const double sign = Sign(plan.side);
    plan.stop_loss = Price{ref * (1.0 - sign * stop_)};
    plan.take_profit = Price{ref * (1.0 + sign * target_)};
  }

 private:
  double stop_, target_;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "@NAME@";
  m.category = WorkerCategory::kPlanning;
  m.subtype = "exit_planning";
  m.description = "stop and target a fixed percentage away from the reference price";
  m.phases = {PlanningPhase::kExit};
  m.params = {s1mple::sdk::Float("stop_percent", 1.0, 0.01, 50.0, "stop distance, in %"),
              s1mple::sdk::Float("target_percent", 2.0, 0.01, 100.0, "target distance, in %")};
  return registry.Register(std::move(m), s1mple::sdk::Make<@CLASS@>());
}
)T";

const char* kPlanningTest =
    R"T(// The unit test of @NAME@: its stop and target on hand-made bars, through the engine itself.
#include <cstdio>

#include <s1mple/harness.h>

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)

int main() {
  auto h = s1mple::sdk::Harness::Load(PACKAGE_PATH);
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
    return 1;
  }
  // Falls, then rises fast: the 2/4 EMAs cross up once, the long's 2 % target is hit.
  auto bars = s1mple::sdk::BarsBuilder("2024-01-01")
                  .Closes({110, 108, 106, 104, 102, 100, 99, 98, 99, 101, 104, 108, 112, 116})
                  .Build();
  CHECK(bars.ok());
  auto run = h->Backtest(
      "name: t\nopportunity_workers:\n  - plugin: trend_follower\n    params: {fast_period: 2, "
      "slow_period: 4}\nplanning_workers:\n  entry_planning:\n    - plugin: "
      "market_entry_immediate\n  exit_planning:\n    - plugin: @NAME@\n      params: "
      "{stop_percent: 1, target_percent: 2}\n  size_planning:\n    - plugin: fixed_size_sizer\n",
      **bars);
  if (!run.ok()) std::fprintf(stderr, "%s\n", run.status().ToString().c_str());
  CHECK(run.ok());
  CHECK(!run->trades.empty());
  CHECK(run->trades[0].exit_reason == "take_profit");
  std::printf("@NAME@_test: ok\n");
  return 0;
}
)T";

const char* kExecutionSource =
    R"T(// @NAME@: an execution worker (position management), in a plugin package of its own.
// The contract: <s1mple/plugin.h> and engine/worker.h of the SDK. Build: see CMakeLists.txt.
#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

// Closes a position that has been open for max_bars bars (at the next bar's open), with the
// exit reason "time_exit". Replace OnManage with your own rule: actions can also move the stop,
// set the target, close part of the position or cancel pending entries.
class @CLASS@ final : public ExecutionWorker {
 public:
  explicit @CLASS@(const ParamSet& p) : max_bars_(static_cast<uint32_t>(p.GetInt("max_bars"))) {}

 protected:
  // Every bar (its triggers: on_context_ready), also while flat. No allocation.
  void OnManage(const BarContext& bar, PositionActions& actions) override {
    const PositionView& p = bar.ledger->position;
    if (p.open && bar.bar - p.entry_bar >= max_bars_) actions.CloseAll("time_exit");
  }

 private:
  uint32_t max_bars_;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "@NAME@";
  m.category = WorkerCategory::kExecution;
  m.subtype = "position_management";
  m.description = "closes a position after max_bars bars (exit reason time_exit)";
  m.params = {s1mple::sdk::Int("max_bars", 24, 1, 1000000, "bars a position may stay open")};
  m.default_triggers = {"on_context_ready"};
  return registry.Register(std::move(m), s1mple::sdk::Make<@CLASS@>());
}
)T";

const char* kExecutionTest =
    R"T(// The unit test of @NAME@: its exits on hand-made bars, through the engine itself.
#include <cstdio>

#include <s1mple/harness.h>

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)

int main() {
  auto h = s1mple::sdk::Harness::Load(PACKAGE_PATH);
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
    return 1;
  }
  // Falls, then rises slowly: the 2/4 EMAs cross up once and the long is held until closed.
  auto bars = s1mple::sdk::BarsBuilder("2024-01-01")
                  .Closes({110, 108, 106, 104, 102, 100, 99, 98, 99, 100, 101, 102, 103, 104, 105,
                           106, 107, 108})
                  .Build();
  CHECK(bars.ok());
  auto run = h->Backtest(
      "name: t\nopportunity_workers:\n  - plugin: trend_follower\n    params: {fast_period: 2, "
      "slow_period: 4}\nplanning_workers:\n  entry_planning:\n    - plugin: "
      "market_entry_immediate\n  size_planning:\n    - plugin: fixed_size_sizer\n"
      "execution_workers:\n  - plugin: @NAME@\n    params: {max_bars: 3}\n",
      **bars);
  if (!run.ok()) std::fprintf(stderr, "%s\n", run.status().ToString().c_str());
  CHECK(run.ok());
  CHECK(!run->trades.empty());
  CHECK(run->trades[0].exit_reason == "time_exit");
  std::printf("@NAME@_test: ok\n");
  return 0;
}
)T";

// ---- the Python templates
// ------------------------------------------------------------------------

const char* kPythonContextSource =
    R"T(# @NAME@: a context worker (an indicator column) in Python, a plugin package of its own.
# The contract: s1mple's Python bases (docs/PLUGINS_GUIDE.md). compute() runs once per backtest
# with the bar columns as read-only NumPy arrays (no copy) and returns its columns.
import numpy as np

import s1mple


class @CLASS@(s1mple.ContextWorker):
    name = "@NAME@"
    subtype = "indicator"
    description = "simple moving average of the close, as the column @NAME@_<period>"
    params = {"period": s1mple.Int(20, 1, 5000, "bars in the window")}
    produces = ["@NAME@_<period>"]

    def compute(self, bars):
        close, p = bars["close"], self.params["period"]
        out = np.full(len(close), np.nan)
        if len(close) >= p:
            c = np.cumsum(np.concatenate(([0.0], close)))
            out[p - 1:] = (c[p:] - c[:-p]) / p
        return {"@NAME@_%d" % p: out}
)T";

const char* kPythonContextTest =
    R"T(# The unit test of @NAME@ on hand-made bars: s1mple plugin test test_@NAME@.py
import math

import s1mple

from @NAME@ import @CLASS@


def test_moving_average_of_three():
    w = @CLASS@()
    w.params = {"period": 3}
    col = w.compute(s1mple.bars_from_closes([10, 11, 12, 13, 14]))["@NAME@_3"]
    assert math.isnan(col[1])
    assert col[2] == 11.0 and col[4] == 13.0, col
)T";

const char* kPythonThreatSource =
    R"T(# @NAME@: a threat worker (a risk monitor) in Python, a plugin package of its own.
# The contract: s1mple's Python bases (docs/PLUGINS_GUIDE.md). bind() runs once per backtest with
# the bar columns as read-only NumPy arrays and returns one number per bar: the class's threat is
# raised with that value on every bar where it is not 0 (no Python runs per bar). Or return None
# and define assess(self, bar) returning None or s1mple.Threat(type, severity, blocks, value).
import numpy as np

import s1mple


class @CLASS@(s1mple.ThreatWorker):
    name = "@NAME@"
    subtype = "market_risk"
    description = "WIDE_BAR (blocks new entries) on bars whose range is >= max_range_percent % of the close"
    threat_type = "WIDE_BAR"
    severity = "high"
    blocks_new_entries = True
    params = {"max_range_percent": s1mple.Float(2.0, 0.01, 100.0, "range / close, in %")}

    def bind(self, bars):
        rng = (bars["high"] - bars["low"]) / bars["close"] * 100.0
        return np.where(rng >= self.params["max_range_percent"], rng, 0.0)
)T";

const char* kPythonThreatTest =
    R"T(# The unit test of @NAME@ on hand-made bars: s1mple plugin test test_@NAME@.py
import numpy as np

import s1mple

from @NAME@ import @CLASS@


def test_raises_on_the_wide_bar_only():
    w = @CLASS@()
    w.params = {"max_range_percent": 5.0}
    bars = s1mple.bars_from_closes([100, 100.5, 101, 100.5, 100, 100.5])
    bars["high"][4], bars["low"][4] = 110.0, 95.0  # bar 4: a 15 % range
    values = w.bind(bars)
    assert list(np.nonzero(values)[0]) == [4], values
)T";

const char* kPythonPlanningSource =
    R"T(# @NAME@: a planning worker (exit planning: stop and target) in Python, a package of its own.
# The contract: s1mple's Python bases (docs/PLUGINS_GUIDE.md). plan(bar, opportunity, plan) runs
# once per opportunity that passed the threat gate; s1mple.EntryPlanner / SizePlanner /
# RoutingPlanner are the other phases (plan.entry_type, plan.size, plan.slices; plan.reject()).
import s1mple


class @CLASS@(s1mple.ExitPlanner):
    name = "@NAME@"
    description = "stop and target a fixed percentage away from the reference price"
    params = {"stop_percent": s1mple.Float(1.0, 0.01, 50.0, "stop distance, in %"),
              "target_percent": s1mple.Float(2.0, 0.01, 100.0, "target distance, in %")}

    def plan(self, bar, opportunity, plan):
        ref = plan.reference_or(bar.close)
        plan.stop_loss = ref * (1.0 - plan.side * self.params["stop_percent"] / 100.0)
        plan.take_profit = ref * (1.0 + plan.side * self.params["target_percent"] / 100.0)
)T";

const char* kPythonPlanningTest =
    R"T(# The unit test of @NAME@: s1mple plugin test test_@NAME@.py
from types import SimpleNamespace

from @NAME@ import @CLASS@


class Plan(SimpleNamespace):
    def reference_or(self, close):
        return close if self.reference_price is None else self.reference_price


def test_stop_below_and_target_above_a_long():
    w = @CLASS@()
    w.params = {"stop_percent": 1.0, "target_percent": 2.0}
    plan = Plan(side=1.0, reference_price=None, stop_loss=None, take_profit=None)
    w.plan(SimpleNamespace(close=100.0), None, plan)
    assert abs(plan.stop_loss - 99.0) < 1e-9 and abs(plan.take_profit - 102.0) < 1e-9, plan
)T";

const char* kPythonExecutionSource =
    R"T(# @NAME@: an execution worker (position management) in Python, a plugin package of its own.
# The contract: s1mple's Python bases (docs/PLUGINS_GUIDE.md). manage(bar, position) runs every
# bar, also while flat: bar.ledger.position is the open position; position.close_all(reason),
# close_partial(fraction, reason), move_stop(price), set_target(price) act on it.
import s1mple


class @CLASS@(s1mple.ExecutionWorker):
    name = "@NAME@"
    subtype = "position_management"
    description = "closes a position after max_bars bars (exit reason time_exit)"
    params = {"max_bars": s1mple.Int(24, 1, 1000000, "bars a position may stay open")}

    def manage(self, bar, position):
        p = bar.ledger.position
        if p.open and bar.t - p.entry_bar >= self.params["max_bars"]:
            position.close_all("time_exit")
)T";

const char* kPythonExecutionTest =
    R"T(# The unit test of @NAME@: s1mple plugin test test_@NAME@.py
from types import SimpleNamespace

from @NAME@ import @CLASS@


class Actions:
    def __init__(self):
        self.closed = []

    def close_all(self, reason=""):
        self.closed.append(reason)


def bar(t, open_, entry_bar=0):
    return SimpleNamespace(t=t, ledger=SimpleNamespace(
        position=SimpleNamespace(open=open_, entry_bar=entry_bar)))


def test_closes_after_max_bars():
    w = @CLASS@()
    w.params = {"max_bars": 3}
    a = Actions()
    for t in range(10, 13):
        w.manage(bar(t, True, 10), a)
    assert a.closed == []
    w.manage(bar(13, True, 10), a)
    assert a.closed == ["time_exit"]
    w.manage(bar(20, False), a)
    assert a.closed == ["time_exit"]
)T";

const char* kOperation =
    R"T(# One backtest of strategy.yaml with the plugin package @NAME@ (s1mple run operation.yaml).
# `plugins:` paths are relative to this file; format: docs/CONFIGURATION.md of s1mple.
name: @NAME@_demo
plugins: [build/lib@NAME@.so]
strategy_links:
  - name: @NAME@
    strategy_blueprint: strategy.yaml
    environment:
      data: {source: synthetic, seed: 42, bars: 5000, interval: 1h, start: 2020-01-01}
      initial_capital: 10000
      fees_bps: 5
      slippage_bps: 2
      periods_per_year: 365
)T";

const char* kBlueprintHead =
    R"T(# A strategy that uses the plugin @NAME@ like a built-in (the operation lists its package).
name: @NAME@_strategy
context_workers:
  - plugin: atr
    params: {period: 14}
)T";

const char* kBlueprintTail = R"T(planning_workers:
  entry_planning:
    - plugin: market_entry_immediate
  exit_planning:
    - plugin: atr_based_stops
      params: {atr_period: 14, atr_multiplier: 2.0}
    - plugin: fixed_rr_exit
      params: {risk_reward_ratio: 2.0}
  size_planning:
    - plugin: fixed_risk_sizer
      params: {risk_per_trade_percent: 1.0}
)T";

const char* kPlanOpportunity =
    R"T(# A small sweep of @NAME@'s params: s1mple optimize plan.yaml (format: docs/PLANS.md of s1mple).
optimization_config:
  name: "@NAME@ sweep"
  base_operation: "operation.yaml"
  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "@NAME@"
      parameters:
        fast_period: {values: [6, 8, 10, 12]}
        slow_period: {values: [30, 50]}
  optimization_targets:
    primary_metric: "sharpe_ratio"
    secondary_metrics: ["total_return", "max_drawdown"]
  parallel_config:
    timeout_per_run: 60
)T";

const char* kPlanContext =
    R"T(# A small sweep of @NAME@'s params: s1mple optimize plan.yaml (format: docs/PLANS.md of s1mple).
optimization_config:
  name: "@NAME@ sweep"
  base_operation: "operation.yaml"
  parameter_space:
    - worker_category: "context_workers"
      worker_plugin: "@NAME@"
      parameters:
        period: {values: [10, 20, 50]}
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period: {values: [8, 12]}
  optimization_targets:
    primary_metric: "sharpe_ratio"
    secondary_metrics: ["total_return", "max_drawdown"]
  parallel_config:
    timeout_per_run: 60
)T";

const char* kPlanThreat =
    R"T(# A small sweep of @NAME@'s params: s1mple optimize plan.yaml (format: docs/PLANS.md of s1mple).
optimization_config:
  name: "@NAME@ sweep"
  base_operation: "operation.yaml"
  parameter_space:
    - worker_category: "threat_workers"
      worker_plugin: "@NAME@"
      parameters:
        max_range_percent: {values: [1.0, 2.0, 4.0]}
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period: {values: [8, 12]}
  optimization_targets:
    primary_metric: "sharpe_ratio"
    secondary_metrics: ["total_return", "max_drawdown"]
  parallel_config:
    timeout_per_run: 60
)T";

const char* kPlanPlanning =
    R"T(# A small sweep of @NAME@'s params: s1mple optimize plan.yaml (format: docs/PLANS.md of s1mple).
optimization_config:
  name: "@NAME@ sweep"
  base_operation: "operation.yaml"
  parameter_space:
    - worker_category: "planning_workers"
      worker_phase: "exit_planning"
      worker_plugin: "@NAME@"
      parameters:
        stop_percent: {values: [0.5, 1.0, 2.0]}
        target_percent: {values: [1.0, 3.0]}
  optimization_targets:
    primary_metric: "sharpe_ratio"
    secondary_metrics: ["total_return", "max_drawdown"]
  parallel_config:
    timeout_per_run: 60
)T";

const char* kPlanExecution =
    R"T(# A small sweep of @NAME@'s params: s1mple optimize plan.yaml (format: docs/PLANS.md of s1mple).
optimization_config:
  name: "@NAME@ sweep"
  base_operation: "operation.yaml"
  parameter_space:
    - worker_category: "execution_workers"
      worker_phase: "position_management"
      worker_plugin: "@NAME@"
      parameters:
        max_bars: {values: [6, 24, 96]}
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period: {values: [8, 12]}
  optimization_targets:
    primary_metric: "sharpe_ratio"
    secondary_metrics: ["total_return", "max_drawdown"]
  parallel_config:
    timeout_per_run: 60
)T";

const char* kReadme = R"T(# @NAME@: an s1mple plugin package

Written by `s1mple plugin new @NAME@ --lang cpp --category @CATEGORY@`.

    cmake -S . -B build && cmake --build build   # build/lib@NAME@.so and its unit test
    ctest --test-dir build                       # the unit test on hand-made bars
    s1mple plugin check build/lib@NAME@.so       # the manifests, as a sweep loads them
    s1mple run operation.yaml --out runs/one     # one backtest
    s1mple optimize plan.yaml                    # a sweep; add --broker to run it on many machines

The sweep ships build/lib@NAME@.so to every runner with the job (a runner needs nothing but
s1mple). A runner loads it only when it was built against the same s1mple SDK (version, plugin
ABI, compiler major version, architecture). Guide: docs/PLUGINS_GUIDE.md of s1mple.
)T";

const char* kPythonSource =
    R"T(# @NAME@: an opportunity worker (a signal) in Python, a plugin package of its own.
# The contract: s1mple's Python bases (docs/PLUGINS_GUIDE.md). bind() runs once per backtest
# with the bar columns as read-only NumPy arrays (no copy) and returns one number per bar:
# > 0 long, < 0 short, 0 none (|value| is the score). No Python runs per bar.
import numpy as np

import s1mple


def sma(x, period):
    """The simple moving average of x over `period` values, NaN before it is full."""
    out = np.full(len(x), np.nan)
    if len(x) >= period:
        c = np.cumsum(np.concatenate(([0.0], x)))
        out[period - 1:] = (c[period:] - c[:-period]) / period
    return out


class @CLASS@(s1mple.OpportunityWorker):
    name = "@NAME@"
    subtype = "momentum_signal"
    description = "SMA crossover of the close (fast above slow: long; below: short)"
    params = {"fast_period": s1mple.Int(10, 1, 2000, "fast SMA period (< slow_period)"),
              "slow_period": s1mple.Int(40, 2, 5000, "slow SMA period")}

    def bind(self, bars):
        close = bars["close"]
        spread = sma(close, self.params["fast_period"]) - sma(close, self.params["slow_period"])
        before = np.concatenate(([np.nan], spread[:-1]))
        signal = np.zeros(len(close))
        with np.errstate(invalid="ignore"):
            signal[(before <= 0) & (spread > 0)] = 1.0
            signal[(before >= 0) & (spread < 0)] = -1.0
        return signal
)T";

const char* kPythonTest =
    R"T(# The unit test of @NAME@ on hand-made bars: s1mple plugin test test_@NAME@.py
import s1mple

from @NAME@ import @CLASS@


def test_crosses_up_once_after_the_turn():
    w = @CLASS@()
    w.params = {"fast_period": 2, "slow_period": 4}
    bars = s1mple.bars_from_closes([110, 108, 106, 104, 102, 100, 99, 98, 99, 101, 104, 108, 112])
    signal = w.bind(bars)
    assert len(signal) == len(bars["close"])
    ups = [t for t, s in enumerate(signal) if s > 0]
    assert len(ups) == 1 and ups[0] >= 8, ups
    assert not any(s < 0 for s in signal[ups[0]:])
)T";

const char* kPythonReadme = R"T(# @NAME@: an s1mple plugin package in Python

Written by `s1mple plugin new @NAME@ --lang python --category @CATEGORY@`.

    s1mple plugin test test_@NAME@.py        # the unit test on hand-made bars
    s1mple plugin check @NAME@.py            # the manifests, as a sweep loads them
    s1mple run operation.yaml --out runs/one # one backtest
    s1mple optimize plan.yaml                # a sweep; add --broker to run it on many machines

The sweep ships @NAME@.py to every runner with the job. A runner needs s1mple and a Python 3
with NumPy (Debian: python3 python3-numpy); without them its jobs fail saying so.
Guide: docs/PLUGINS_GUIDE.md of s1mple.
)T";

std::string ClassName(const std::string& name) {
  std::string out;
  bool up = true;
  for (char c : name) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out + "Worker";
}

struct NewArgs {
  std::string name;
  std::string lang = "cpp";
  std::string category = "opportunity";
  std::string dir;
  bool force = false;
};

int RunNew(const NewArgs& a) {
  if (!IsName(a.name)) {
    PrintError("plugin new: '" + a.name +
               "' is not a plugin name (snake_case: a-z, 0-9, _; starting with a letter)");
    return kExitUsage;
  }
  if (a.lang != "cpp" && a.lang != "python") {
    PrintError("plugin new: --lang " + a.lang + ": cpp or python");
    return kExitUsage;
  }
  const bool python = a.lang == "python";
  const std::vector<std::string> categories = {"context", "opportunity", "threat", "planning",
                                               "execution"};
  if (std::find(categories.begin(), categories.end(), a.category) == categories.end()) {
    PrintError("plugin new: --category " + a.category +
               ": context, opportunity, threat, planning or execution");
    return kExitUsage;
  }
  const fs::path sdk = SdkConfigDir();
  if (sdk.empty() && !python) {
    PrintError(
        "plugin new: cannot find the S1mple SDK next to this s1mple (build/sdk or "
        "<prefix>/lib/cmake/S1mple)");
    return kExitFailure;
  }
  const fs::path dir = a.dir.empty() ? fs::path(a.name) : fs::path(a.dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !a.force) {
    PrintError("plugin new: " + dir.string() + " exists and is not empty (--force writes anyway)");
    return kExitUsage;
  }
  // Per category: the sources, the blueprint's workers, the plan.
  struct Templates {
    const char *cpp, *cpp_test, *py, *py_test, *plan;
  };
  const std::map<std::string, Templates> by_category = {
      {"context",
       {kContextSource, kContextTest, kPythonContextSource, kPythonContextTest, kPlanContext}},
      {"opportunity",
       {kOpportunitySource, kOpportunityTest, kPythonSource, kPythonTest, kPlanOpportunity}},
      {"threat", {kThreatSource, kThreatTest, kPythonThreatSource, kPythonThreatTest, kPlanThreat}},
      {"planning",
       {kPlanningSource, kPlanningTest, kPythonPlanningSource, kPythonPlanningTest, kPlanPlanning}},
      {"execution",
       {kExecutionSource, kExecutionTest, kPythonExecutionSource, kPythonExecutionTest,
        kPlanExecution}},
  };
  const Templates& t = by_category.at(a.category);
  const std::string signal =
      a.category == "opportunity"
          ? std::string("opportunity_workers:\n  - plugin: @NAME@\n    params: {fast_period: ") +
                (python ? "10, slow_period: 40}\n" : "12, slow_period: 26}\n")
          : "opportunity_workers:\n  - plugin: trend_follower\n    params: {fast_period: 12, "
            "slow_period: 26}\n";
  std::string blueprint = std::string(kBlueprintHead);
  if (a.category == "context") blueprint += "  - plugin: @NAME@\n    params: {period: 20}\n";
  blueprint += signal;
  if (a.category == "threat")
    blueprint += "threat_workers:\n  - plugin: @NAME@\n    params: {max_range_percent: 2.0}\n";
  std::string tail = kBlueprintTail;
  if (a.category == "planning")
    tail =
        Replace(tail,
                "    - plugin: atr_based_stops\n      params: {atr_period: 14, atr_multiplier: "
                "2.0}\n    - plugin: fixed_rr_exit\n      params: {risk_reward_ratio: 2.0}\n",
                "    - plugin: @NAME@\n      params: {stop_percent: 1.0, target_percent: 2.0}\n");
  blueprint += tail;
  if (a.category == "execution")
    blueprint +=
        "execution_workers:\n  position_management:\n    - plugin: @NAME@\n      params: "
        "{max_bars: 24}\n";
  std::string operation = kOperation;
  if (python) operation = Replace(operation, "build/lib@NAME@.so", "@NAME@.py");
  const std::map<std::string, std::string> cpp_files = {
      {"CMakeLists.txt", kCMakeLists},
      {"src/" + a.name + ".cc", t.cpp},
      {"test/" + a.name + "_test.cc", t.cpp_test},
      {"operation.yaml", operation},
      {"strategy.yaml", blueprint},
      {"plan.yaml", t.plan},
      {"README.md", kReadme},
  };
  const std::map<std::string, std::string> python_files = {
      {a.name + ".py", t.py},        {"test_" + a.name + ".py", t.py_test},
      {"operation.yaml", operation}, {"strategy.yaml", blueprint},
      {"plan.yaml", t.plan},         {"README.md", kPythonReadme},
  };
  for (const auto& [rel, tmpl] : python ? python_files : cpp_files) {
    std::string text = Replace(tmpl, "@NAME@", a.name);
    text = Replace(text, "@CLASS@", ClassName(a.name));
    text = Replace(text, "@SDK@", fs::absolute(sdk).lexically_normal().string());
    text = Replace(text, "@VERSION@", S1MPLE_VERSION);
    text = Replace(text, "@CATEGORY@", a.category);
    const fs::path p = dir / rel;
    fs::create_directories(p.parent_path(), ec);
    std::ofstream out(p);
    out << text;
    if (!out) {
      PrintError("plugin new: " + p.string() + ": cannot write");
      return kExitFailure;
    }
  }
  if (python) {
    std::cout << "wrote " << dir.string() << "/ (plugin " << a.name << ", " << a.category
              << " worker, Python)\nnext:\n  s1mple plugin test " << dir.string() << "/test_"
              << a.name << ".py\n  s1mple optimize " << dir.string() << "/plan.yaml\n";
    return kExitOk;
  }
  std::cout << "wrote " << dir.string() << "/ (plugin " << a.name << ", " << a.category
            << " worker, C++)\nnext:\n  cmake -S " << dir.string() << " -B " << dir.string()
            << "/build && cmake --build " << dir.string() << "/build\n  ctest --test-dir "
            << dir.string() << "/build\n  s1mple optimize " << dir.string() << "/plan.yaml\n";
  return kExitOk;
}

Result<std::shared_ptr<const eng::PluginRegistry>> Load(const std::string& path) {
  eng::PackageRef ref;
  ref.path = path;
  ref.name = fs::path(path).filename().string();
  ref.named_by = "s1mple plugin";
  auto pkg = eng::LoadPackage(ref);
  if (!pkg.ok()) return pkg.status();
  // Clashes with the built-ins, as a blueprint would meet them.
  const std::vector<eng::PackageRef> refs{ref};
  auto merged = eng::RegistryWithPackages(eng::DefaultRegistry(), refs);
  if (!merged.ok()) return merged.status();
  return pkg;
}

int RunCheck(const std::string& path) {
  auto pkg = Load(path);
  if (!pkg.ok()) {
    PrintError(pkg.status().ToString());
    return pkg.status().IsNotFound()             ? kExitUsage
           : pkg.status().IsFailedPrecondition() ? kExitFailure
                                                 : kExitUsage;
  }
  std::cout << path << ": ok, " << (*pkg)->size() << ((*pkg)->size() == 1 ? " plugin" : " plugins");
  if (fs::path(path).extension() != ".py") {
    auto stamp = eng::ReadPackageStamp(path);
    if (stamp.ok()) std::cout << " (" << stamp->text << ")";
  }
  std::cout << "\n";
  for (const eng::PluginManifest* m : (*pkg)->Manifests()) {
    std::cout << "  " << m->name << "  " << eng::CategoryName(m->category) << "/"
              << (m->subtype.empty() ? "-" : m->subtype) << "  params:";
    if (m->params.empty()) std::cout << " none";
    for (const auto& p : m->params) std::cout << " " << p.name;
    std::cout << "\n";
  }
  return kExitOk;
}

int RunDoc(const std::string& path) {
  auto pkg = Load(path);
  if (!pkg.ok()) {
    PrintError(pkg.status().ToString());
    return kExitUsage;
  }
  std::cout << "# Plugins of `" << fs::path(path).filename().string() << "`\n\n"
            << "Generated by `s1mple plugin doc` from the package's manifests.\n"
            << eng::GenerateManifestSections(**pkg);
  return kExitOk;
}

int RunTest(const std::string& path) {
  auto bridge = eng::GetPythonBridge();
  if (!bridge.ok()) {
    PrintError(bridge.status().ToString());
    return kExitFailure;
  }
  std::string report;
  auto failed = (*bridge)->RunTests(path, &report);
  std::cout << report;
  if (!failed.ok()) {
    PrintError(failed.status().ToString());
    return kExitUsage;
  }
  std::cout << (*failed == 0 ? "all tests passed\n" : std::to_string(*failed) + " failed\n");
  return *failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void AddPluginCommand(CLI::App& app, CliContext& ctx) {
  auto* sub = app.add_subcommand("plugin", "Write, check and document plugin packages");
  sub->require_subcommand(1);

  auto na = std::make_shared<NewArgs>();
  auto* nw = sub->add_subcommand("new", "Scaffold a plugin package project that builds as it is");
  nw->add_option("NAME", na->name, "the plugin's name (snake_case)")->required();
  nw->add_option("DIR", na->dir, "where to write it (default: ./NAME)");
  nw->add_option("--lang", na->lang, "cpp or python")->capture_default_str();
  nw->add_option("--category", na->category, "context, opportunity, threat, planning or execution")
      ->capture_default_str();
  nw->add_flag("--force", na->force, "write into a directory that is not empty");
  nw->callback([na, &ctx] { ctx.exit_code = RunNew(*na); });

  auto check_path = std::make_shared<std::string>();
  auto* check = sub->add_subcommand("check", "Load a package and validate its manifests");
  check->add_option("PATH", *check_path, "the package (libNAME.so)")->required();
  check->callback([check_path, &ctx] { ctx.exit_code = RunCheck(*check_path); });

  auto test_path = std::make_shared<std::string>();
  auto* test =
      sub->add_subcommand("test", "Run a Python plugin's test file (its test_* functions)");
  test->add_option("FILE", *test_path, "test_NAME.py")->required();
  test->callback([test_path, &ctx] { ctx.exit_code = RunTest(*test_path); });

  auto doc_path = std::make_shared<std::string>();
  auto* doc = sub->add_subcommand("doc", "Print a package's plugin reference (PLUGINS.md format)");
  doc->add_option("PATH", *doc_path, "the package (libNAME.so)")->required();
  doc->callback([doc_path, &ctx] { ctx.exit_code = RunDoc(*doc_path); });
}

}  // namespace s1mple::cli
