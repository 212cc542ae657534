// `s1mple run`: the real binary on the example operation, its outputs, and bad input.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/engine/engine_test_util.h"
#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;

fs::path OutDir(const std::string& name) {
  fs::path p =
      fs::temp_directory_path() / ("s1mple-run-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  return p;
}

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(CliRun, ExampleWritesResultEquityTradesAndContext) {
  fs::path out = OutDir("example");
  auto r = RunS1mple(
      {"run", "config/operations/ema_cross.yaml", "--out", out.string(), "--dump-context"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ema_cross_demo / ema_cross: 20000 bars"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sharpe"), std::string::npos);
  auto j = nlohmann::json::parse(engine::testing::ReadText((out / "result.json").string()));
  EXPECT_EQ(j["bars"], 20000);
  EXPECT_EQ(j["equity"].size(), 20000u);
  EXPECT_TRUE(j["metrics"].contains("sharpe_ratio"));
  EXPECT_TRUE(j["causality"].contains("top_rejection_reasons"));
  const std::string equity = engine::testing::ReadText((out / "equity.csv").string());
  EXPECT_EQ(equity.rfind("timestamp,equity\n2020-01-01T00:00:00Z,10000\n", 0), 0u)
      << equity.substr(0, 80);
  EXPECT_EQ(Lines(equity), 20001u);
  const std::string trades = engine::testing::ReadText((out / "trades.csv").string());
  EXPECT_EQ(trades.rfind("entry_time,exit_time,entry_price,exit_price,side,size,pnl,fees,"
                         "opportunity_id,exit_reason\n",
                         0),
            0u);
  EXPECT_EQ(Lines(trades), j["trades"].size() + 1);
  const std::string context = engine::testing::ReadText((out / "context.csv").string());
  const std::string header = context.substr(0, context.find('\n'));
  for (const char* col :
       {"timestamp", "open", "close", "ema_50", "atr_14", "rsi_14", "ema_12", "ema_26"})
    EXPECT_NE(header.find(col), std::string::npos) << col << " in " << header;
  EXPECT_EQ(Lines(context), 20001u);
  fs::remove_all(out);
}

TEST(CliRun, JsonOutputIsTheResult) {
  auto r =
      RunS1mple({"run", "config/operations/ema_cross.yaml", "--json", "--max-equity-points", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_LE(j["equity"].size(), 50u);
  EXPECT_EQ(j["name"], "ema_cross");
}

TEST(CliRun, DataFlagRunsTheSameOperationOnACsv) {
  fs::path dir = OutDir("csv");
  fs::create_directories(dir);
  std::ofstream csv(dir / "bars.csv");
  csv << "timestamp,open,high,low,close,volume\n";
  double p = 100;
  for (int i = 0; i < 1200; ++i) {
    const double next = p * (1 + 0.01 * ((i / 40) % 2 ? -1 : 1));
    csv << 1577836800 + i * 3600 << "," << p << "," << std::max(p, next) + 0.5 << ","
        << std::min(p, next) - 0.5 << "," << next << ",10\n";
    p = next;
  }
  csv.close();
  auto r =
      RunS1mple({"run", "config/operations/ema_cross.yaml", "--data", (dir / "bars.csv").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1200 bars"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

struct Bad {
  const char* name;
  std::string op;  // operation.yaml text (blueprint written beside it as b.yaml)
  std::string bp;
  std::string csv;  // data.csv beside it, when not empty
  const char* expect;
};

class CliRunRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(CliRunRejects, OneLineExitTwoNothingWritten) {
  const Bad& c = GetParam();
  fs::path dir = OutDir(std::string("bad-") + c.name);
  fs::create_directories(dir);
  std::ofstream(dir / "op.yaml") << c.op;
  std::ofstream(dir / "b.yaml") << c.bp;
  if (!c.csv.empty()) std::ofstream(dir / "data.csv") << c.csv;
  fs::path out = dir / "out";
  auto r = RunS1mple({"run", (dir / "op.yaml").string(), "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("s1mple: error: ", 0), 0u) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(dir);
}

const std::string kOp =
    "strategy_links:\n  - strategy_blueprint: b.yaml\n    environment:\n"
    "      data: {source: synthetic, bars: 1500}\n";
const std::string kCsvOp =
    "strategy_links:\n  - strategy_blueprint: b.yaml\n    environment:\n"
    "      data: {source: csv, path: data.csv}\n";
const std::string kBp = "opportunity_workers:\n  - plugin: trend_follower\n";
const std::string kHead = "timestamp,open,high,low,close,volume\n";

INSTANTIATE_TEST_SUITE_P(
    Engine, CliRunRejects,
    ::testing::Values(
        Bad{"unknown_plugin", kOp, "opportunity_workers:\n  - plugin: nope\n", "",
            "b.yaml: opportunity_workers[0].plugin: unknown plugin 'nope'; known"},
        Bad{"unknown_param", kOp, kBp + "    params: {speed: 1}\n", "",
            "b.yaml: opportunity_workers[0].params.speed: unknown parameter 'speed'"},
        Bad{"mistyped_param", kOp, kBp + "    params: {fast_period: fast}\n", "",
            "b.yaml: opportunity_workers[0].params.fast_period: expected int"},
        Bad{"out_of_bounds", kOp, kBp + "    params: {slow_period: 999999}\n", "",
            "b.yaml: opportunity_workers[0].params.slow_period: 999999 is above the maximum"},
        Bad{"missing_blueprint",
            "strategy_links:\n  - strategy_blueprint: gone.yaml\n    "
            "environment:\n      data: {source: synthetic}\n",
            kBp, "", "gone.yaml: cannot open file"},
        Bad{"missing_csv", kCsvOp, kBp, "", "data.csv: cannot open data file"},
        Bad{"unsorted_csv", kCsvOp, kBp, kHead + "2020-01-02,1,2,1,1,1\n2020-01-01,1,2,1,1,1\n",
            "data.csv:3: timestamp"},
        Bad{"duplicate_csv", kCsvOp, kBp, kHead + "2020-01-01,1,2,1,1,1\n2020-01-01,1,2,1,1,1\n",
            "data.csv:3: duplicate timestamp"},
        Bad{"missing_timestamp_csv", kCsvOp, kBp, kHead + "2020-01-01,1,2,1,1,1\n,1,2,1,1,1\n",
            "data.csv:3: missing timestamp"},
        Bad{"nonpositive_csv", kCsvOp, kBp, kHead + "2020-01-01,1,2,1,0,1\n",
            "data.csv:2: close 0 is not a positive price"},
        Bad{"high_below_low_csv", kCsvOp, kBp, kHead + "2020-01-01,1,1,2,1,1\n",
            "data.csv:2: high is below low"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(CliRun, MissingOperationIsExitTwo) {
  auto r = RunS1mple({"run", "config/operations/nope.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config/operations/nope.yaml: cannot open file"), std::string::npos)
      << r.err;
}

TEST(CliRun, FewBarsWarnsOnStderr) {
  fs::path dir = OutDir("few");
  fs::create_directories(dir);
  std::ofstream(dir / "b.yaml") << kBp;
  std::ofstream(dir / "op.yaml") << "strategy_links:\n  - strategy_blueprint: b.yaml\n    "
                                    "environment:\n      data: {source: synthetic, bars: 300}\n";
  auto r = RunS1mple({"run", (dir / "op.yaml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("s1mple: warning:"), std::string::npos);
  EXPECT_NE(r.err.find("fewer than 1000"), std::string::npos);
  fs::remove_all(dir);
}

TEST(CliRun, PluginsMdPrintsTheGeneratedReference) {
  auto r = RunS1mple({"run", "--plugins-md"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, engine::testing::ReadText("docs/PLUGINS.md"));
}

}  // namespace
}  // namespace s1mple::testing
