// explorer_fixture: a job store with real sweeps, served by the Trade Explorer, for the browser
// test (tests/ui/e2e.mjs) and for looking at the page by hand.
//
//   explorer_fixture --store DIR --out DIR [--port N] [--serve]
//
// Builds in a fresh store at DIR (removed first):
//  - a finished optimization sweep: 12 configurations of the ema_cross blueprint (trend_follower
//    fast/slow periods x ATR stop width), each a REAL backtest run in-process through the engine
//    on synthetic data, plus one job that timed out on every attempt (FAILED, attempt history);
//  - a finished variant sweep: 4 variants (baseline, wide stops, high R:R, tight drawdown guard);
//  - an optimization sweep still running: some jobs done, some leased, the rest pending.
// Results are stored as the runner sends them: the engine's ToJson (equity downsampled) as
// JSON text. Writes OUT/report.html (optimization) and OUT/report-variant.html, then with
// --serve starts the explorer on 127.0.0.1 (port 0 = a free one), prints one JSON line
// {"url", "optimization", "variant", "running", "report", "report_variant"} and serves until
// stdin closes or SIGTERM/SIGINT; "advance N" on stdin runs N more jobs of the running sweep.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/operation.h"
#include "engine/overrides.h"
#include "explorer/report.h"
#include "explorer/server.h"
#include "producer/expansion.h"
#include "producer/plan_loader.h"
#include "producer/plan_summary.h"
#include "store/job_store.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using s1mple::Result;
using s1mple::Status;

// The base operation of every fixture job: the ema_cross blueprint on ~2.7 years of 4h
// synthetic bars.
constexpr const char* kOperation = R"(name: explorer_fixture
strategy_links:
  - name: ema_cross
    strategy_blueprint: strategy_blueprint.yaml
    environment:
      data: {source: synthetic, seed: 7, bars: 6000, interval: 4h, start: 2021-01-01}
      initial_capital: 10000
      fees_bps: 5
      slippage_bps: 2
      periods_per_year: 2190
)";

constexpr const char* kOptimizationPlan = R"(# config/optimizations/explorer_fixture_sweep.yaml
optimization_config:
  name: "EMA cross parameter sweep"
  description: "Trend follower periods and ATR stop width on synthetic 4h bars"
  base_operation: "config/operations/ema_cross.yaml"
  parameter_space:
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period:
          values: [8, 12, 16]
        slow_period:
          values: [30, 50]
    - worker_category: "planning_workers"
      worker_phase: "exit_planning"
      worker_plugin: "atr_based_stops"
      parameters:
        atr_multiplier:
          values: [1.5, 3.0]
  optimization_targets:
    primary_metric: "sharpe_ratio"
    secondary_metrics: ["total_return", "max_drawdown", "win_rate"]
  parallel_config:
    timeout_per_run: 300
)";

constexpr const char* kVariantPlan = R"(# config/variants/explorer_fixture_exits.yaml
variant_config:
  name: "Exit strategy comparison"
  description: "Stops, targets and the drawdown guard, head to head on the same bars"
  base_operation: "config/operations/ema_cross.yaml"
  variants:
    - name: "baseline"
      description: "The blueprint as it is"
      overrides: {}
    - name: "wide_stops"
      description: "3.5 ATR stops"
      overrides:
        planning_workers:
          exit_planning:
            - plugin: "atr_based_stops"
              params:
                atr_multiplier: 3.5
            - plugin: "fixed_rr_exit"
    - name: "high_rr"
      description: "3.5R targets"
      overrides:
        planning_workers:
          exit_planning:
            - plugin: "atr_based_stops"
            - plugin: "fixed_rr_exit"
              params:
                risk_reward_ratio: 3.5
    - name: "tight_guard"
      description: "Stop trading at 4% drawdown"
      overrides:
        threat_workers:
          - plugin: "max_drawdown_monitor"
            params:
              max_drawdown_percent: 4.0
  comparison_config:
    metrics: ["sharpe_ratio", "total_return", "max_drawdown", "win_rate", "total_trades", "avg_trade_duration"]
)";

constexpr const char* kRunningPlan = R"(# config/optimizations/explorer_fixture_risk.yaml
optimization_config:
  name: "Overnight risk sweep"
  base_operation: "config/operations/ema_cross.yaml"
  parameter_space:
    - worker_category: "planning_workers"
      worker_phase: "size_planning"
      worker_plugin: "fixed_risk_sizer"
      parameters:
        risk_per_trade_percent:
          start: 0.5
          end: 2.0
          step: 0.25
    - worker_category: "opportunity_workers"
      worker_plugin: "trend_follower"
      parameters:
        fast_period:
          values: [10, 20, 30]
)";

std::string ReadFile(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return {};
  std::string s;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

// Runs one job of the fixture in-process: base texts + overrides -> engine -> ToJson text.
Result<std::string> RunJob(const s1mple::engine::ConfigTexts& base, const json& overrides,
                           const std::string& origin) {
  auto texts = s1mple::engine::ApplyOverrides(base, overrides);
  if (!texts.ok()) return texts.status();
  auto op = s1mple::engine::ParseOperationTexts(kOperation, texts->blueprint_yaml,
                                                texts->operators_yaml, origin);
  if (!op.ok()) return op.status();
  const auto& link = op->links.at(0);
  static std::shared_ptr<const s1mple::engine::BarSeries> bars;  // one data set for all jobs
  if (!bars) {
    auto loaded = s1mple::engine::LoadData(link.environment.data);
    if (!loaded.ok()) return loaded.status();
    bars = *loaded;
  }
  auto result = s1mple::engine::RunBacktest(link, *bars);
  if (!result.ok()) return result.status();
  s1mple::engine::JsonOptions jo;
  jo.max_equity_points = 600;
  return s1mple::engine::ToJson(*result, jo).dump();
}

json MapOverride(int fast, int slow, double atr) {
  return {{"opportunity_workers",
           {{"trend_follower", {{"params", {{"fast_period", fast}, {"slow_period", slow}}}}}}},
          {"planning_workers",
           {{"exit_planning", {{"atr_based_stops", {{"params", {{"atr_multiplier", atr}}}}}}}}}};
}

// Fails with a message on stderr (the e2e test shows it).
int Die(const std::string& what, const Status& st) {
  std::cerr << "explorer_fixture: " << what << ": " << st.ToString() << std::endl;
  return 1;
}

// The plan summary the producer sends with a plan (producer/plan_summary.h).
Result<std::string> SummaryOf(const std::string& plan_text) {
  s1mple::producer::PlanLoadOptions load;
  load.require_base_operation = false;
  auto plan = s1mple::producer::ParsePlanText(plan_text, "fixture plan", load);
  if (!plan.ok()) return plan.status();
  auto space =
      s1mple::producer::JobSpace::Make(std::make_shared<const s1mple::producer::Plan>(*plan));
  if (!space.ok()) return space.status();
  return s1mple::producer::PlanSummaryText(*space);
}

struct Sweep {
  std::string id;
  std::vector<json> overrides;
};

Result<Sweep> Create(s1mple::store::JobStore& store, const std::string& name,
                     s1mple::store::SweepKind kind, const std::string& plan,
                     std::vector<json> overrides) {
  s1mple::store::SweepSpec spec;
  spec.name = name;
  spec.kind = kind;
  spec.plan_text = plan;
  // What the producer stores with the sweep (the explorer reads this, not the plan YAML).
  if (auto summary = SummaryOf(plan); summary.ok()) {
    spec.plan_summary = *summary;
  } else {
    return summary.status();
  }
  spec.max_attempts = 3;
  spec.timeout_per_run_ms = 300'000;
  auto id = store.CreateSweep(spec);
  if (!id.ok()) return id.status();
  std::vector<std::string> blobs;
  for (const auto& o : overrides) blobs.push_back(o.dump());
  S1MPLE_RETURN_IF_ERROR(store.AddJobs(*id, 0, blobs));
  S1MPLE_RETURN_IF_ERROR(store.SealSweep(*id, blobs.size()));
  return Sweep{*id, std::move(overrides)};
}

// Leases `n` jobs and runs them; `fail_index` (if leased) times out on every attempt instead.
Status RunSome(s1mple::store::JobStore& store, const Sweep& sweep,
               const s1mple::engine::ConfigTexts& base, size_t n, int64_t fail_index = -1) {
  const std::string runner = "fixture-runner-1";
  auto leased = store.LeaseNext(sweep.id, runner, n, 3'600'000);
  if (!leased.ok()) return leased.status();
  for (const auto& job : *leased) {
    const std::string origin = "job " + sweep.id + "/" + std::to_string(job.index);
    if (static_cast<int64_t>(job.index) == fail_index) {
      s1mple::store::Attempt attempt = job.attempt;
      for (;;) {
        auto out = store.Fail(sweep.id, job.index, attempt, runner,
                              "timeout: no result within timeout_per_run (300000 ms)", true);
        if (!out.ok()) return out.status();
        if (*out != s1mple::store::Outcome::kRetry) break;
        auto again = store.LeaseNext(sweep.id, runner, 1, 3'600'000);
        if (!again.ok()) return again.status();
        if (again->empty() || (*again)[0].index != job.index) {
          return Status::Internal("retry of the failing job was not leased first");
        }
        attempt = (*again)[0].attempt;
      }
      continue;
    }
    auto result = RunJob(base, sweep.overrides.at(job.index), origin);
    if (!result.ok()) {
      auto out =
          store.Fail(sweep.id, job.index, job.attempt, runner, result.status().message(), false);
      if (!out.ok()) return out.status();
      continue;
    }
    auto out = store.Complete(sweep.id, job.index, job.attempt, runner, *result);
    if (!out.ok()) return out.status();
  }
  return Status::Ok();
}

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) {
  g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_dir, out_dir;
  int port = 0;
  bool serve = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--store" && i + 1 < argc)
      store_dir = argv[++i];
    else if (a == "--out" && i + 1 < argc)
      out_dir = argv[++i];
    else if (a == "--port" && i + 1 < argc)
      port = std::stoi(argv[++i]);
    else if (a == "--serve")
      serve = true;
    else {
      std::cerr << "usage: explorer_fixture --store DIR --out DIR [--port N] [--serve]\n";
      return 2;
    }
  }
  if (store_dir.empty() || out_dir.empty()) {
    std::cerr << "usage: explorer_fixture --store DIR --out DIR [--port N] [--serve]\n";
    return 2;
  }
  const char* root_env = std::getenv("S1MPLE_ROOT");
  const fs::path root = root_env ? fs::path(root_env) : fs::current_path();
  s1mple::engine::ConfigTexts base{ReadFile(root / "config/strategies/ema_cross.yaml"),
                                   ReadFile(root / "config/operators.yaml")};
  if (base.blueprint_yaml.empty()) {
    std::cerr << "explorer_fixture: cannot read config/strategies/ema_cross.yaml under " << root
              << " (set S1MPLE_ROOT)\n";
    return 1;
  }

  fs::remove_all(store_dir);
  fs::create_directories(out_dir);
  s1mple::store::Options opts;
  opts.sync = s1mple::store::SyncPolicy::kNone;
  auto store = s1mple::store::JobStore::Open(store_dir, opts);
  if (!store.ok()) return Die("open store", store.status());
  auto& st = **store;

  std::vector<json> opt_overrides;
  for (int fast : {8, 12, 16})
    for (int slow : {30, 50})
      for (double atr : {1.5, 3.0}) opt_overrides.push_back(MapOverride(fast, slow, atr));
  opt_overrides.push_back(MapOverride(12, 50, 2.0));  // the job that times out
  auto opt = Create(st, "EMA cross parameter sweep", s1mple::store::SweepKind::kOptimization,
                    kOptimizationPlan, opt_overrides);
  if (!opt.ok()) return Die("create optimization sweep", opt.status());
  if (Status s = RunSome(st, *opt, base, opt_overrides.size(), 12); !s.ok()) {
    return Die("run optimization sweep", s);
  }

  std::vector<json> var_overrides;
  for (const auto& v : YAML::Load(kVariantPlan)["variant_config"]["variants"]) {
    var_overrides.push_back(s1mple::engine::YamlToJson(v["overrides"]));
  }
  auto var = Create(st, "Exit strategy comparison", s1mple::store::SweepKind::kVariant,
                    kVariantPlan, var_overrides);
  if (!var.ok()) return Die("create variant sweep", var.status());
  if (Status s = RunSome(st, *var, base, var_overrides.size()); !s.ok()) {
    return Die("run variant sweep", s);
  }

  std::vector<json> run_overrides;
  for (int k = 0; k <= 6; ++k) {
    for (int fast : {10, 20, 30}) {
      run_overrides.push_back(
          {{"planning_workers",
            {{"size_planning",
              {{"fixed_risk_sizer", {{"params", {{"risk_per_trade_percent", 0.5 + 0.25 * k}}}}}}}}},
           {"opportunity_workers", {{"trend_follower", {{"params", {{"fast_period", fast}}}}}}}});
    }
  }
  auto running = Create(st, "Overnight risk sweep", s1mple::store::SweepKind::kOptimization,
                        kRunningPlan, run_overrides);
  if (!running.ok()) return Die("create running sweep", running.status());
  if (Status s = RunSome(st, *running, base, 8); !s.ok()) return Die("run running sweep", s);
  if (auto l = st.LeaseNext(running->id, "fixture-runner-2", 3, 3'600'000); !l.ok()) {
    return Die("lease", l.status());
  }

  const fs::path report = fs::path(out_dir) / "report.html";
  const fs::path report_variant = fs::path(out_dir) / "report-variant.html";
  if (Status s = s1mple::explorer::WriteReportHtml(st, opt->id, report); !s.ok()) {
    return Die("write report", s);
  }
  if (Status s = s1mple::explorer::WriteReportHtml(st, var->id, report_variant); !s.ok()) {
    return Die("write variant report", s);
  }

  json info = {{"optimization", opt->id},
               {"variant", var->id},
               {"running", running->id},
               {"report", fs::absolute(report).string()},
               {"report_variant", fs::absolute(report_variant).string()}};
  if (!serve) {
    std::cout << info.dump() << std::endl;
    return 0;
  }

  s1mple::explorer::ExplorerServerOptions so;
  so.address = "127.0.0.1:" + std::to_string(port);
  // What a broker would report: two runners, one of them busy with the running sweep.
  so.api.runners = [] {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return std::vector<s1mple::explorer::ExplorerRunner>{
        {"fixture-runner-1 (this host)", 2, 0, 33, now - 1200},
        {"fixture-runner-2 (this host)", 4, 3, 0, now - 300}};
  };
  s1mple::explorer::ExplorerServer server(st, so);
  if (Status s = server.Start(); !s.ok()) return Die("start explorer", s);
  info["url"] = server.url();
  std::cout << info.dump() << std::endl;

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  // Serve until stdin closes (the test's pipe) or a signal. A line "advance N" on stdin runs
  // the next N jobs of the running sweep (as a runner would) and answers "advanced N".
  std::string pending;
  while (!g_stop) {
    pollfd p{0, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r <= 0) continue;
    char buf[256];
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.rfind("advance ", 0) == 0) {
        const size_t count = std::stoul(line.substr(8));
        if (Status s = RunSome(st, *running, base, count); !s.ok()) return Die("advance", s);
        std::cout << "advanced " << count << std::endl;
      }
    }
  }
  server.Stop();
  return 0;
}
