// The engine and the vectorised NumPy baseline (bench/python/ema_cross_numpy.py) run the same
// plain EMA-crossover strategy (bench/ema_compare.h) and must produce the same trade list: equal
// entry and exit bars, equal prices, equal pnl. If either side changes its semantics (fill
// timing, crossing test, end-of-data exit, EMA seed), these tests fail.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/ema_compare.h"
#include "engine/data.h"
#include "engine/operation.h"
#include "engine/plugins/builtin.h"
#include "tests/support/process.h"

namespace s1mple::bench {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  std::vector<TradeRow> trades;
  double final_equity = 0;
};

fs::path TempDir() {
  static int n = 0;
  fs::path d = fs::temp_directory_path() /
               ("s1mple-ema-compare-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::create_directories(d);
  return d;
}

// Parses a trades CSV by header name (either side's format).
std::vector<TradeRow> ReadTrades(const fs::path& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  std::map<std::string, size_t> col;
  {
    std::stringstream hs(line);
    std::string h;
    for (size_t i = 0; std::getline(hs, h, ','); ++i) col[h] = i;
  }
  std::vector<TradeRow> rows;
  while (std::getline(f, line)) {
    std::vector<std::string> v;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) v.push_back(cell);
    TradeRow r;
    r.entry_bar = std::stoll(v.at(col.at("entry_bar")));
    r.exit_bar = std::stoll(v.at(col.at("exit_bar")));
    r.entry_price = std::stod(v.at(col.at("entry_price")));
    r.exit_price = std::stod(v.at(col.at("exit_price")));
    r.pnl = std::stod(v.at(col.at("pnl")));
    rows.push_back(r);
  }
  return rows;
}

Outcome RunEngine(const engine::BarSeries& bars, const EmaCompareOptions& o) {
  engine::PluginRegistry registry = engine::MakeBuiltinRegistry();
  auto added = RegisterMissingBenchPlugins(registry);
  EXPECT_TRUE(added.ok()) << added.status().ToString();
  auto link = MakeEmaCompareLink(o, *added, registry);
  EXPECT_TRUE(link.ok()) << link.status().ToString();
  engine::RunOptions options;
  options.registry = &registry;
  auto r = engine::RunBacktest(*link, bars, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return {TradeRows(*r), r->equity.back().equity};
}

Outcome RunNumpy(const fs::path& csv, const EmaCompareOptions& o) {
  const fs::path trades = csv.parent_path() / "numpy_trades.csv";
  auto res = testing::Run(
      {"/usr/bin/python3", (testing::ProjectRoot() / "bench/python/ema_cross_numpy.py").string(),
       "--csv", csv.string(), "--fast", std::to_string(o.fast), "--slow", std::to_string(o.slow),
       "--repeat", "1", "--trades-out", trades.string(), "--json"});
  EXPECT_EQ(res.exit_code, 0) << res.err;
  Outcome s;
  s.trades = ReadTrades(trades);
  const auto j = nlohmann::json::parse(res.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << res.out;
  if (!j.is_discarded()) s.final_equity = j.value("final_equity", 0.0);
  return s;
}

// Writes the bars as the CSV both sides read and returns them as the engine parses them back
// (so both sides work on the very same doubles).
std::shared_ptr<const engine::BarSeries> WriteAndReload(const engine::BarSeries& bars,
                                                        const fs::path& csv) {
  const std::string text = BarsToCsv(bars);
  std::ofstream(csv, std::ios::binary) << text;
  auto parsed = engine::ParseCsvBars(text, csv.string());
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return *parsed;
}

void ExpectSameTrades(const Outcome& eng, const Outcome& np) {
  ASSERT_EQ(eng.trades.size(), np.trades.size());
  for (size_t i = 0; i < eng.trades.size(); ++i) {
    const TradeRow& a = eng.trades[i];
    const TradeRow& b = np.trades[i];
    SCOPED_TRACE("trade " + std::to_string(i));
    EXPECT_EQ(a.entry_bar, b.entry_bar);
    EXPECT_EQ(a.exit_bar, b.exit_bar);
    EXPECT_EQ(a.entry_price, b.entry_price);
    EXPECT_EQ(a.exit_price, b.exit_price);
    EXPECT_NEAR(a.pnl, b.pnl, 1e-9 * std::max(1.0, std::fabs(a.entry_price)));
  }
  EXPECT_NEAR(eng.final_equity, np.final_equity, 1e-6 * std::fabs(eng.final_equity));
}

TEST(EmaCompare, EngineAndNumpyTradeListsAreEqualOnSyntheticBars) {
  const fs::path dir = TempDir();
  engine::DataSpec spec;
  spec.seed = 7;
  spec.bars = 20000;
  spec.interval = engine::Interval::k1m;
  auto gen = engine::GenerateSyntheticBars(spec);
  ASSERT_TRUE(gen.ok()) << gen.status().ToString();
  auto bars = WriteAndReload(**gen, dir / "bars.csv");
  const EmaCompareOptions o;
  const Outcome eng = RunEngine(*bars, o);
  const Outcome np = RunNumpy(dir / "bars.csv", o);
  EXPECT_GT(eng.trades.size(), 100u) << "too few trades for the comparison to mean much";
  ExpectSameTrades(eng, np);
  fs::remove_all(dir);
}

TEST(EmaCompare, OtherPeriodsAgreeToo) {
  const fs::path dir = TempDir();
  engine::DataSpec spec;
  spec.seed = 99;
  spec.bars = 5000;
  spec.interval = engine::Interval::k1h;
  auto gen = engine::GenerateSyntheticBars(spec);
  ASSERT_TRUE(gen.ok()) << gen.status().ToString();
  auto bars = WriteAndReload(**gen, dir / "bars.csv");
  EmaCompareOptions o;
  o.fast = 3;
  o.slow = 50;
  ExpectSameTrades(RunEngine(*bars, o), RunNumpy(dir / "bars.csv", o));
  fs::remove_all(dir);
}

// A hand-made series: flat at 100, a rise (the fast EMA crosses above the slow one), a fall
// (crosses below), then a rise that is still open at the end. Both sides: entry at the open after
// each cross up, exit at the open after the cross down, the last trade closed at the last close.
TEST(EmaCompare, HandMadeCrossesFillAtNextOpenAndCloseAtEnd) {
  const fs::path dir = TempDir();
  engine::BarSeries raw;
  const int64_t t0 = 1577836800000;
  std::vector<double> closes;
  for (int i = 0; i < 30; ++i) closes.push_back(100.0 + (i % 2 == 0 ? 0.01 : -0.01));
  for (int i = 1; i <= 20; ++i) closes.push_back(100.0 + i);
  for (int i = 1; i <= 30; ++i) closes.push_back(120.0 - 1.5 * i);
  for (int i = 1; i <= 25; ++i) closes.push_back(75.0 + 2.0 * i);
  for (size_t i = 0; i < closes.size(); ++i) {
    const double c = closes[i];
    const double o = i == 0 ? c : closes[i - 1] + 0.25;  // opens differ from closes
    raw.Append(t0 + static_cast<int64_t>(i) * 60000, o, std::max(o, c) + 0.5, std::min(o, c) - 0.5,
               c, 1000);
  }
  auto bars = WriteAndReload(raw, dir / "bars.csv");
  EmaCompareOptions o;
  o.fast = 3;
  o.slow = 8;
  const Outcome eng = RunEngine(*bars, o);
  const Outcome np = RunNumpy(dir / "bars.csv", o);
  ExpectSameTrades(eng, np);
  ASSERT_GE(eng.trades.size(), 2u);
  const TradeRow& last = eng.trades.back();
  EXPECT_EQ(last.exit_bar, static_cast<int64_t>(closes.size()) - 1);
  EXPECT_EQ(last.exit_price, closes.back());
  for (const TradeRow& t : eng.trades) {
    EXPECT_EQ(t.entry_price, bars->open[static_cast<size_t>(t.entry_bar)]);
    EXPECT_DOUBLE_EQ(t.pnl, t.exit_price - t.entry_price);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::bench

namespace s1mple::bench {
namespace {

// When the engine ships a plugin of the same name with other params, the bench-local one steps
// aside under "bench_<name>" and the comparison's blueprint still validates.
TEST(EmaCompare, BenchPluginsStepAsideForBuiltinsWithOtherParams) {
  engine::PluginRegistry registry;  // just what the blueprint needs, plus the clash
  engine::RegisterTrendFollower(registry);
  engine::RegisterMarketEntryImmediate(registry);
  engine::PluginManifest m;
  m.name = "fixed_size_sizer";
  m.category = engine::WorkerCategory::kPlanning;
  m.subtype = "size_planning";
  m.phases = {engine::PlanningPhase::kSize};
  m.params = {engine::plugin::Float("quantity", 1.0, 0.0, 1e9, "a differently named param")};
  ASSERT_TRUE(
      registry.Register(std::move(m), engine::plugin::Make<detail::BenchFixedSizeSizer>()).ok());
  auto names = RegisterMissingBenchPlugins(registry);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(names->sizer, "bench_fixed_size_sizer");
  EXPECT_EQ(names->exit, "ema_cross_exit");
  EXPECT_EQ(names->bench_local, 2);
  auto link = MakeEmaCompareLink(EmaCompareOptions{}, *names, registry);
  EXPECT_TRUE(link.ok()) << link.status().ToString();
}

}  // namespace
}  // namespace s1mple::bench
