// s1mple run OPERATION.yaml [--out DIR] [--data FILE.csv] [--dump-context] [--json]
// Runs every strategy link of one operation and prints a short summary; with --out writes
// result.json, equity.csv, trades.csv (and context.csv) per link. Everything is loaded and
// validated, and every backtest has run, before any file is written: bad input (exit 2) or a
// failed run (exit 1) leaves nothing half-written.
//
// Maintenance: `s1mple run --plugins-md` prints docs/PLUGINS.md generated from the manifests.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "engine/operation.h"
#include "engine/result_csv.h"

namespace s1mple::cli {

namespace {

namespace fs = std::filesystem;
namespace eng = s1mple::engine;

struct RunArgs {
  std::string operation;
  std::string out_dir;
  std::string data_csv;
  bool dump_context = false;
  bool json = false;
  bool plugins_md = false;
  size_t max_equity_points = 0;
};

int ExitCodeFor(const Status& s) {
  return s.IsInvalidArgument() || s.IsNotFound() ? kExitUsage : kExitFailure;
}

std::string Fixed(const std::optional<double>& v, int digits = 2) {
  if (!v) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, *v);
  return buf;
}

void PrintSummary(const std::string& op_name, const eng::BacktestResult& r) {
  const auto& m = r.metrics;
  const auto& c = r.causality;
  std::ostringstream s;
  s << op_name << " / " << r.name << ": " << r.bars << " bars, "
    << eng::FormatIsoTimestamp(r.period_start) << " .. " << eng::FormatIsoTimestamp(r.period_end)
    << "\n";
  s << "  total_return " << Fixed(m.total_return) << " %   cagr " << Fixed(m.cagr)
    << " %   max_drawdown " << Fixed(m.max_drawdown) << " %\n";
  s << "  sharpe " << Fixed(m.sharpe_ratio) << "   sortino " << Fixed(m.sortino_ratio)
    << "   calmar " << Fixed(m.calmar) << "\n";
  s << "  trades " << m.total_trades << "   win_rate " << Fixed(m.win_rate) << " %   profit_factor "
    << Fixed(m.profit_factor) << "   avg_trade_duration " << Fixed(m.avg_trade_duration) << " h\n";
  s << "  opportunities " << c.opportunities_detected << " detected, " << c.opportunities_rejected
    << " rejected";
  if (!c.top_rejection_reasons.empty()) {
    s << " (";
    for (size_t i = 0; i < c.top_rejection_reasons.size() && i < 4; ++i)
      s << (i ? ", " : "") << c.top_rejection_reasons[i].reason << " "
        << c.top_rejection_reasons[i].count;
    s << ")";
  }
  s << "; threats " << c.threats_detected << "\n";
  std::cout << s.str();
}

int RunOperation(const RunArgs& args) {
  if (args.plugins_md) {
    std::cout << eng::GeneratePluginsMarkdown(eng::DefaultRegistry());
    return kExitOk;
  }
  if (args.operation.empty()) {
    PrintError("run: OPERATION.yaml is required (see s1mple run --help)");
    return kExitUsage;
  }
  if (args.dump_context && args.out_dir.empty()) {
    PrintError("run: --dump-context needs --out DIR");
    return kExitUsage;
  }
  auto op = eng::LoadOperationFile(args.operation);
  if (!op.ok()) {
    PrintError(op.status().message());
    return ExitCodeFor(op.status());
  }
  // Load every data set once (links sharing a data block share the bars).
  std::map<std::string, std::shared_ptr<const eng::BarSeries>> data;
  for (auto& link : op->links) {
    if (!args.data_csv.empty()) {
      link.environment.data = eng::DataSpec{};
      link.environment.data.source = eng::DataSpec::Source::kCsv;
      link.environment.data.path = args.data_csv;
    }
    const std::string key = link.environment.data.CacheKey();
    if (data.count(key)) continue;
    auto bars = eng::LoadData(link.environment.data);
    if (!bars.ok()) {
      PrintError(bars.status().message());
      return ExitCodeFor(bars.status());
    }
    data.emplace(key, *bars);
  }
  // Run everything before writing anything.
  eng::RunOptions options;
  options.capture_context = args.dump_context;
  std::vector<eng::BacktestResult> results;
  for (const auto& link : op->links) {
    auto r = eng::RunBacktest(link, *data.at(link.environment.data.CacheKey()), options);
    if (!r.ok()) {
      PrintError(link.name + ": " + r.status().message());
      return ExitCodeFor(r.status());
    }
    for (const auto& w : r->warnings)
      std::cerr << "s1mple: warning: " << link.name << ": " << w << "\n";
    results.push_back(std::move(r).value());
  }
  eng::JsonOptions json_options;
  json_options.max_equity_points = args.max_equity_points;
  if (args.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : results) all.push_back(eng::ToJson(r, json_options));
    std::cout << (results.size() == 1 ? all[0] : all).dump(2) << "\n";
  } else {
    for (const auto& r : results) PrintSummary(op->name, r);
  }
  if (args.out_dir.empty()) return kExitOk;

  for (const auto& r : results) {
    const fs::path dir =
        results.size() == 1 ? fs::path(args.out_dir) : fs::path(args.out_dir) / r.name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      PrintError(dir.string() + ": " + ec.message());
      return kExitFailure;
    }
    Status s =
        WriteFileAtomically(dir / "result.json", eng::ToJson(r, json_options).dump(2) + "\n");
    if (s.ok()) s = WriteFileAtomically(dir / "equity.csv", eng::EquityCsv(r));
    if (s.ok()) s = WriteFileAtomically(dir / "trades.csv", eng::TradesCsv(r));
    if (s.ok() && args.dump_context)
      s = WriteFileAtomically(dir / "context.csv", eng::ContextCsv(r));
    if (!s.ok()) {
      PrintError(s.message());
      return kExitFailure;
    }
    if (!args.json)
      std::cout << "  wrote " << (dir / "result.json").string() << ", equity.csv, trades.csv"
                << (args.dump_context ? ", context.csv" : "") << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RunArgs>();
  auto* sub = app.add_subcommand("run", "Run one backtest: s1mple run OPERATION.yaml [--out DIR]");
  sub->add_option("operation", args->operation, "operation.yaml to run");
  sub->add_option("--out", args->out_dir,
                  "write result.json, equity.csv, trades.csv here (per link subfolder if several)");
  sub->add_option("--data", args->data_csv, "run on this CSV instead of the operation's data");
  sub->add_flag("--dump-context", args->dump_context, "also write context.csv (needs --out)");
  sub->add_flag("--json", args->json, "print the result JSON instead of the summary");
  sub->add_option("--max-equity-points", args->max_equity_points,
                  "downsample the JSON equity curve to at most this many points (0 = all)");
  // Maintenance: regenerate docs/PLUGINS.md (s1mple run --plugins-md > docs/PLUGINS.md).
  sub->add_flag("--plugins-md", args->plugins_md, "")->group("");
  sub->callback([args, &ctx] { ctx.exit_code = RunOperation(*args); });
}

}  // namespace s1mple::cli
