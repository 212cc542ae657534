// The engine side of "engine vs vectorised NumPy on the same EMA-crossover strategy"
// (bench_ema_compare and tests/bench): the strategy as an engine blueprint, the CSV the NumPy
// side reads, and the trade list both write. Header-only; bench and test code only.
//
// The strategy both sides run (bench/python/ema_cross_numpy.py is the NumPy side):
//   trend_follower(fast, slow, long_only)   a cross up on bar t -> long at the open of t+1
//   market_entry_immediate + fixed size      `units` units, no stop, no target
//   exit on the cross down                   close at the open of t+1 ("signal_exit")
//   fees 0, slippage 0; still open at the end -> closed at the last close ("end_of_data").
// A vectorised implementation can express exactly this (no path-dependent stops or sizing).
//
// The exit worker and the fixed sizer were asked of the engine (issue 3). Until the built-in
// registry has `ema_cross_exit` (fast_period, slow_period) and `fixed_size_sizer` (units),
// RegisterMissingBenchPlugins adds the bench-local versions below (same contract); the
// equality test then covers whichever is used.
#pragma once

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/data.h"
#include "engine/operation.h"
#include "engine/plugin_registry.h"
#include "engine/plugins/plugin_util.h"
#include "engine/result.h"
#include "engine/worker.h"

namespace s1mple::bench {

// What the comparison varies. Defaults are the figures in docs/BENCHMARKS.md.
struct EmaCompareOptions {
  int fast = 12;
  int slow = 26;
  double units = 1.0;            // fixed position size
  double capital = 1'000'000.0;  // initial capital (only the equity curve depends on it)
};

namespace detail {

// Closes the open position when the fast EMA crosses against it (long: diff[t-1] >= 0 > diff[t],
// the mirror of trend_follower's entry test). Market close at the next bar's open.
class BenchEmaCrossExit final : public engine::ExecutionWorker {
 public:
  explicit BenchEmaCrossExit(const engine::ParamSet& p)
      : fast_period_(static_cast<int>(p.GetInt("fast_period"))),
        slow_period_(static_cast<int>(p.GetInt("slow_period"))) {}

  Status OnBind(engine::BindContext& ctx) override {
    auto fast = ctx.frame.Ema(fast_period_);
    if (!fast.ok()) return fast.status();
    auto slow = ctx.frame.Ema(slow_period_);
    if (!slow.ok()) return slow.status();
    fast_ = ctx.frame.Data(*fast);
    slow_ = ctx.frame.Data(*slow);
    return Status::Ok();
  }

  void OnManage(const engine::BarContext& bar, engine::PositionActions& actions) override {
    const engine::PositionView& p = bar.ledger->position;
    const uint32_t t = bar.bar;
    if (!p.open || t == 0) return;
    const double now = fast_[t] - slow_[t];
    const double before = fast_[t - 1] - slow_[t - 1];
    if (std::isnan(now) || std::isnan(before)) return;
    const bool against =
        p.side == engine::Side::kLong ? (before >= 0 && now < 0) : (before <= 0 && now > 0);
    if (against) actions.CloseAll("signal_exit");
  }

 private:
  int fast_period_, slow_period_;
  const double* fast_ = nullptr;
  const double* slow_ = nullptr;
};

class BenchFixedSizeSizer final : public engine::PlanningWorker {
 public:
  explicit BenchFixedSizeSizer(const engine::ParamSet& p) : units_(p.GetFloat("units")) {}
  void OnPlan(const engine::PlanningInput&, engine::TradePlan& plan) override {
    plan.size = engine::Quantity{units_};
  }

 private:
  double units_;
};

}  // namespace detail

// The plugin names the comparison's blueprint uses.
struct EmaComparePlugins {
  std::string exit = "ema_cross_exit";
  std::string sizer = "fixed_size_sizer";
  int bench_local = 0;  // how many of the two are the bench-local versions
};

// Uses the registry's `ema_cross_exit` (params fast_period, slow_period) and `fixed_size_sizer`
// (param units) when it has them with those params; otherwise adds the bench-local versions,
// under those names or, when the name is taken by a plugin with other params, under
// "bench_<name>".
inline Result<EmaComparePlugins> RegisterMissingBenchPlugins(engine::PluginRegistry& registry) {
  namespace plugin = engine::plugin;
  EmaComparePlugins names;
  auto usable = [&](const std::string& name, engine::WorkerCategory category,
                    std::initializer_list<const char*> params) {
    const engine::PluginManifest* m = registry.Find(name);
    if (m == nullptr || m->category != category) return false;
    for (const char* p : params)
      if (m->FindParam(p) == nullptr) return false;
    return true;
  };
  auto free_name = [&](const std::string& name) {
    return registry.Find(name) == nullptr ? name : "bench_" + name;
  };
  if (!usable(names.exit, engine::WorkerCategory::kExecution, {"fast_period", "slow_period"})) {
    engine::PluginManifest m;
    m.name = names.exit = free_name(names.exit);
    m.category = engine::WorkerCategory::kExecution;
    m.subtype = "position_management";
    m.description = "bench-local: close the position when the fast EMA crosses against it";
    m.params = {plugin::Int("fast_period", 12, 1, 2000, "fast EMA period"),
                plugin::Int("slow_period", 26, 2, 5000, "slow EMA period")};
    m.default_triggers = {"on_context_ready"};
    Status s = registry.Register(std::move(m), plugin::Make<detail::BenchEmaCrossExit>());
    if (!s.ok()) return s;
    ++names.bench_local;
  }
  if (!usable(names.sizer, engine::WorkerCategory::kPlanning, {"units"})) {
    engine::PluginManifest m;
    m.name = names.sizer = free_name(names.sizer);
    m.category = engine::WorkerCategory::kPlanning;
    m.subtype = "size_planning";
    m.description = "bench-local: a fixed number of units per trade";
    m.phases = {engine::PlanningPhase::kSize};
    m.params = {plugin::Float("units", 1.0, 1e-9, 1e12, "units per trade")};
    Status s = registry.Register(std::move(m), plugin::Make<detail::BenchFixedSizeSizer>());
    if (!s.ok()) return s;
    ++names.bench_local;
  }
  return names;
}

// The operation, blueprint and operators texts of the strategy (data: the csv the caller loads).
inline std::string EmaCompareOperationYaml(const EmaCompareOptions& o) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "name: ema_compare\n"
                "strategy_links:\n"
                "  - name: ema_cross_plain\n"
                "    strategy_blueprint: ema_cross_plain.yaml\n"
                "    environment:\n"
                "      data: {source: csv, path: bars.csv}\n"
                "      initial_capital: %.17g\n"
                "      fees_bps: 0\n"
                "      slippage_bps: 0\n",
                o.capital);
  return buf;
}

inline std::string EmaCompareBlueprintYaml(const EmaCompareOptions& o,
                                           const EmaComparePlugins& plugins = {}) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "name: ema_cross_plain\n"
                "description: EMA %d/%d crossover, long only, exit on the cross down, fixed size\n"
                "context_workers: []\n"
                "opportunity_workers:\n"
                "  - plugin: trend_follower\n"
                "    params: {fast_period: %d, slow_period: %d, direction: long_only}\n"
                "threat_workers: []\n"
                "planning_workers:\n"
                "  entry_planning:\n"
                "    - plugin: market_entry_immediate\n"
                "  size_planning:\n"
                "    - plugin: %s\n"
                "      params: {units: %.17g}\n"
                "execution_workers:\n"
                "  position_management:\n"
                "    - plugin: %s\n"
                "      params: {fast_period: %d, slow_period: %d}\n",
                o.fast, o.slow, o.fast, o.slow, plugins.sizer.c_str(), o.units,
                plugins.exit.c_str(), o.fast, o.slow);
  return buf;
}

// The strategy link to run on bars loaded by the caller.
inline Result<engine::StrategyLink> MakeEmaCompareLink(const EmaCompareOptions& o,
                                                       const EmaComparePlugins& plugins,
                                                       const engine::PluginRegistry& registry) {
  auto op = engine::ParseOperationTexts(
      EmaCompareOperationYaml(o), EmaCompareBlueprintYaml(o, plugins), "", "ema_compare", registry);
  if (!op.ok()) return op.status();
  return std::move(op->links.front());
}

// Bars as CSV: timestamp (epoch ms), open, high, low, close, volume; prices with 17 significant
// digits, so every reader that rounds correctly gets back the very same doubles.
inline std::string BarsToCsv(const engine::BarSeries& bars) {
  std::string out = "timestamp,open,high,low,close,volume\n";
  out.reserve(bars.size() * 120);
  char line[256];
  for (size_t i = 0; i < bars.size(); ++i) {
    const int n = std::snprintf(line, sizeof line, "%" PRId64 ",%.17g,%.17g,%.17g,%.17g,%.17g\n",
                                bars.ts_ms[i], bars.open[i], bars.high[i], bars.low[i],
                                bars.close[i], bars.volume[i]);
    out.append(line, static_cast<size_t>(n));
  }
  return out;
}

// One trade as both sides write it.
struct TradeRow {
  int64_t entry_bar = 0;
  int64_t exit_bar = 0;
  double entry_price = 0;
  double exit_price = 0;
  double pnl = 0;
};

inline std::vector<TradeRow> TradeRows(const engine::BacktestResult& r) {
  std::vector<TradeRow> rows;
  rows.reserve(r.trades.size());
  for (const auto& t : r.trades)
    rows.push_back({t.entry_bar, t.exit_bar, t.entry_price.v, t.exit_price.v, t.pnl.v});
  return rows;
}

// "entry_bar,exit_bar,entry_price,exit_price,pnl" rows (17 significant digits), the format
// ema_cross_numpy.py --trades-out writes (it adds the two times, which readers here ignore).
inline std::string TradeRowsCsv(const std::vector<TradeRow>& rows) {
  std::string out = "entry_bar,exit_bar,entry_price,exit_price,pnl\n";
  char line[160];
  for (const auto& t : rows) {
    const int n = std::snprintf(line, sizeof line, "%" PRId64 ",%" PRId64 ",%.17g,%.17g,%.17g\n",
                                t.entry_bar, t.exit_bar, t.entry_price, t.exit_price, t.pnl);
    out.append(line, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace s1mple::bench
