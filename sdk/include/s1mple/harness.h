// <s1mple/harness.h>: unit tests for a plugin package on hand-made bars.
//
// A test program links S1mple::harness (the engine as a shared library, plus this harness) and
// loads the package it tests by path, exactly as s1mple does (the stamp check, the registration,
// every manifest checked), then runs its plugins through the engine itself (RunBacktest), so what
// a test sees is what a sweep's job computes. The scaffold of `s1mple plugin new` has one.
//
//   auto h = s1mple::sdk::Harness::Load(PACKAGE_PATH);          // or fail the test with h.status()
//   auto bars = s1mple::sdk::BarsBuilder("2024-01-01").Closes({100, 101, 103, 102, 99}).Build();
//   auto opps = h->Opportunities("my_signal", "{period: 3}", **bars);
//   auto cols = h->Columns("my_indicator", "{period: 3}", **bars);
//   auto run  = h->Backtest(blueprint_yaml, **bars);          // trades, metrics, causality
//
// Params are YAML text (a flow map such as "{period: 3}", or "" for the defaults) and are
// validated against the manifest as a blueprint's would be: a test of a bad value gets the error
// a user would. Nothing here is thread-safe beyond what the engine is: one Harness per thread.
#pragma once

#pragma GCC visibility push(default)
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/data.h"
#include "engine/plugin_registry.h"
#include "engine/result.h"

namespace s1mple::sdk {

// Bars made by hand. Timestamps start at `start` (an ISO-8601 date or date-time) and step by
// `interval`. Build() checks the invariants the loaders check (prices > 0, low <= open, close <=
// high, volume >= 0) and names the bar at fault.
class BarsBuilder {
 public:
  explicit BarsBuilder(std::string_view start = "2020-01-01",
                       engine::Interval interval = engine::Interval::k1h);

  // One bar.
  BarsBuilder& Bar(double open, double high, double low, double close, double volume = 1000);
  // A bar that opens at the previous close (the first at `close`) and whose high and low are the
  // larger and smaller of its open and close: a quick way to write a close path.
  BarsBuilder& Close(double close, double volume = 1000);
  BarsBuilder& Closes(const std::vector<double>& closes);

  [[nodiscard]] Result<std::shared_ptr<const engine::BarSeries>> Build() const;

 private:
  std::string start_;
  engine::Interval interval_;
  engine::BarSeries bars_;
};

// The environment of a harness backtest (docs/CONFIGURATION.md, environment).
struct HarnessEnvironment {
  double initial_capital = 10000.0;
  double fees_bps = 0.0;
  double slippage_bps = 0.0;
  double periods_per_year = 252.0;
};

class Harness {
 public:
  // Loads the package at `package` (a C++ shared library; Python modules are tested with
  // `s1mple plugin test`, whose interpreter this library does not carry) on top of the
  // built-ins. Errors as s1mple gives them: a stamp that does not fit, a manifest refused, a
  // name that clashes with a built-in.
  [[nodiscard]] static Result<Harness> Load(const std::filesystem::path& package);
  // The built-ins alone (tests of blueprints without a package).
  static Harness Builtins();

  // The built-ins plus the package's plugins.
  const engine::PluginRegistry& registry() const { return *registry_; }
  // A plugin's manifest (nullptr when unknown).
  const engine::PluginManifest* Manifest(std::string_view plugin) const;

  // A whole blueprint (YAML text, docs/CONFIGURATION.md; the default operators) on `bars`, every
  // bar traded, with the context columns captured (BacktestResult::context_names/columns).
  [[nodiscard]] Result<engine::BacktestResult> Backtest(std::string_view blueprint_yaml,
                                                        const engine::BarSeries& bars,
                                                        const HarnessEnvironment& env = {}) const;

  // The columns one context worker adds (name -> one value per bar; NaN in warm-up).
  [[nodiscard]] Result<std::map<std::string, std::vector<double>>> Columns(
      std::string_view plugin, std::string_view params_yaml, const engine::BarSeries& bars) const;

  // The opportunities one opportunity worker detects, in order (bar, side, signal type), with
  // `context_yaml` computed first: a YAML flow list of context worker entries, e.g.
  // "[{plugin: ema, params: {period: 5}}]" ("" for none).
  [[nodiscard]] Result<std::vector<engine::OpportunityRecord>> Opportunities(
      std::string_view plugin, std::string_view params_yaml, const engine::BarSeries& bars,
      std::string_view context_yaml = "") const;

 private:
  explicit Harness(std::shared_ptr<const engine::PluginRegistry> registry)
      : registry_(std::move(registry)) {}
  std::shared_ptr<const engine::PluginRegistry> registry_;
};

}  // namespace s1mple::sdk
#pragma GCC visibility pop
