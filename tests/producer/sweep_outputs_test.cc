// A real sweep through the sweep session (embedded broker and runner, store on disk), then its
// outputs: results.csv loads into pandas, and `s1mple job SWEEP/INDEX --export` from the store
// reproduces a job with identical metrics.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/calendar.h"
#include "tests/support/process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SweepOutputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("s1mple-sweep-outputs-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    auto r = RunS1mple({"variant", "config/variants/fvg_strategy_variants.yaml", "--store",
                        (*dir_ / "store").string(), "--out", (*dir_ / "out").string(), "--runners",
                        "2", "--returns"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path* dir_;
};
fs::path* SweepOutputs::dir_ = nullptr;

TEST_F(SweepOutputs, VariantComparisonHasEveryVariantInPlanOrder) {
  auto result = json::parse(Slurp(*dir_ / "out" / "variant_comparison.json"));
  ASSERT_EQ(result["results"].size(), 3u);
  EXPECT_EQ(result["results"][0]["variant_name"], "baseline");
  EXPECT_EQ(result["results"][2]["variant_name"], "relaxed_fvg");
  EXPECT_EQ(result["successful_runs"], 3);
  for (const char* q :
       {"best_sharpe", "best_return", "lowest_drawdown", "most_trades", "most_defensive"}) {
    EXPECT_TRUE(result["comparative_analysis"][q].is_string()) << q;
  }
}

TEST_F(SweepOutputs, ResultsCsvLoadsIntoPandas) {
  // Debian's interpreter, where python3-pandas installs (a pyenv or venv python3 on PATH may
  // not see it).
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  auto check = s1mple::testing::Run(
      {python, "-c",
       "import sys\n"
       "try:\n  import pandas\n"
       "except ImportError as e:\n  print('no pandas:', e); sys.exit(3)\n"
       "df = pandas.read_csv(sys.argv[1])\n"
       "assert len(df) == 3, len(df)\n"
       "assert list(df['variant']) == ['baseline', 'strict_fvg', 'relaxed_fvg'] or "
       "sorted(df['variant']) == ['baseline', 'relaxed_fvg', 'strict_fvg']\n"
       "assert df['total_trades'].dtype.kind == 'i', df.dtypes\n"
       "assert df['sharpe_ratio'].dtype.kind == 'f', df.dtypes\n"
       "assert df['meets_constraints'].dtype.kind == 'b', df.dtypes\n"
       "print('ok')\n",
       (*dir_ / "out" / "results.csv").string()});
  if (check.exit_code == 3) {
    GTEST_SKIP() << "python3-pandas is not installed (scripts/setup): " << check.out << check.err;
  }
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(SweepOutputs, ReturnsCsvLoadsIntoPandasWithADateIndex) {
  // returns.csv (--returns): `date` as the index, one column per run_id, daily simple returns
  // whose Sharpe ratio is each run's sharpe_ratio (METRICS.md's calendar, periods_per_year of
  // the base operation: 365).
  const auto result = json::parse(Slurp(*dir_ / "out" / "variant_comparison.json"));
  std::string expected;
  for (const auto& run : result["results"])
    expected +=
        run["run_id"].get<std::string>() + "=" + json(run["metrics"]["sharpe_ratio"]).dump() + ";";
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  auto check = s1mple::testing::Run(
      {python, "-c",
       "import sys, math\n"
       "try:\n  import pandas\n"
       "except ImportError as e:\n  print('no pandas:', e); sys.exit(3)\n"
       "df = pandas.read_csv(sys.argv[1], index_col=0)\n"
       "assert df.index.name == 'date', df.index.name\n"
       "idx = pandas.to_datetime(df.index, format='%Y-%m-%d')\n"
       "assert idx.is_monotonic_increasing and idx.is_unique\n"
       "want = dict(kv.split('=') for kv in sys.argv[2].split(';') if kv)\n"
       "assert list(df.columns) == list(want), (list(df.columns), list(want))\n"
       "for run, sharpe in want.items():\n"
       "  r = df[run].dropna(); assert r.dtype.kind == 'f'\n"
       "  got = r.mean() / r.std(ddof=1) * math.sqrt(365)\n"
       "  assert abs(got - float(sharpe)) < 1e-6 * max(1, abs(got)), (run, got, sharpe)\n"
       "print(len(df), 'days')\n",
       (*dir_ / "out" / "returns.csv").string(), expected});
  if (check.exit_code == 3) {
    GTEST_SKIP() << "python3-pandas is not installed (scripts/setup): " << check.out << check.err;
  }
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(SweepOutputs, VariantStatisticsAgainstTheBaseline) {
  const auto result = json::parse(Slurp(*dir_ / "out" / "variant_comparison.json"));
  const auto& s = result["statistics"];
  EXPECT_EQ(s["baseline"], "baseline");
  ASSERT_EQ(s["variants"].size(), 2u);
  EXPECT_EQ(s["variants"][0]["variant"], "strict_fvg");
  for (const auto& v : s["variants"]) {
    ASSERT_TRUE(v["sharpe_difference"].is_number()) << v.dump();
    EXPECT_LE(v["ci_low"].get<double>(), v["sharpe_difference"].get<double>() + 1e-12);
    EXPECT_GE(v["ci_high"].get<double>(), v["ci_low"].get<double>());
    EXPECT_GT(v["p_value"].get<double>(), 0);
    EXPECT_LE(v["p_value"].get<double>(), 1);
    EXPECT_GE(v["holm_p_value"].get<double>(), v["p_value"].get<double>());
    EXPECT_GT(v["observations"].get<int64_t>(), 100);
  }
  // Seeded: writing the outputs again from the store gives the same numbers to the bit.
  auto again = RunS1mple({"results", result["test_id"], "--store", (*dir_ / "store").string(),
                          "--out", (*dir_ / "again").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto second = json::parse(Slurp(*dir_ / "again" / "variant_comparison.json"));
  EXPECT_EQ(second["statistics"], s);
  EXPECT_FALSE(fs::exists(*dir_ / "again" / "returns.csv"));  // only with --returns
}

TEST_F(SweepOutputs, JobExportedFromTheStoreRunsToIdenticalMetrics) {
  auto result = json::parse(Slurp(*dir_ / "out" / "variant_comparison.json"));
  const auto& strict = result["results"][1];
  const std::string run_id = strict["run_id"];
  auto exported = RunS1mple(
      {"job", run_id, "--store", (*dir_ / "store").string(), "--export", (*dir_ / "job").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto run = RunS1mple({"run", (*dir_ / "job" / "operation.yaml").string(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json::parse(run.out)["metrics"], strict["metrics"]);
  auto shown = RunS1mple({"job", run_id, "--store", (*dir_ / "store").string()});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("configuration: variant=strict_fvg"), std::string::npos) << shown.out;
}

TEST_F(SweepOutputs, UnknownSweepOrIndexIsAnError) {
  auto r = RunS1mple({"job", "sw-000000000000/0", "--store", (*dir_ / "store").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("s1mple: error: ", 0), 0u) << r.err;
  r = RunS1mple({"job", "not-a-job", "--store", (*dir_ / "store").string()});
  EXPECT_EQ(r.exit_code, 2);
}

// The calendar trap in a sweep: stock bars (no weekend) under an operation that keeps
// periods_per_year: 365 warn once per distinct text in optimization_result.json's `warnings`
// (with the number of runs) and on stderr (docs/METRICS.md, "The calendar").
TEST(SweepCalendar, StockBarsUnderA365DayOperationWarnInTheSweepOutputs) {
  const fs::path dir =
      fs::temp_directory_path() / ("s1mple-sweep-calendar-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "stock.csv");
    csv << "timestamp,open,high,low,close,volume\n";
    const engine::DayNumber monday = engine::DayFromCivil(2023, 1, 2);
    double p = 100;
    int i = 0;
    for (int d = 0; d < 7 * 60; ++d) {  // 60 weeks of weekday sessions, 7 hourly bars each
      if (engine::Weekday(monday + d) >= 5) continue;
      for (int h = 14; h <= 20; ++h, ++i) {
        const double next = p * (1 + 0.003 * ((i / 17) % 2 ? -1 : 1));
        csv << engine::FormatIsoDate(monday + d) << "T" << (h < 10 ? "0" : "") << h << ":00:00Z,"
            << p << "," << std::max(p, next) + 0.05 << "," << std::min(p, next) - 0.05 << ","
            << next << ",1000\n";
        p = next;
      }
    }
  }
  const fs::path root = fs::current_path();
  {
    std::ofstream op(dir / "op.yaml");
    op << "name: stock_calendar\noperators: " << (root / "config/operators.yaml").string()
       << "\nstrategy_links:\n  - name: ema_cross\n    strategy_blueprint: "
       << (root / "config/strategies/ema_cross.yaml").string()
       << "\n    environment:\n      data: {source: csv, path: stock.csv}\n"
          "      initial_capital: 10000\n      periods_per_year: 365\n";
    std::ofstream plan(dir / "plan.yaml");
    plan << "optimization_config:\n  name: calendar\n  base_operation: op.yaml\n"
            "  parameter_space:\n    - worker_category: opportunity_workers\n"
            "      worker_plugin: trend_follower\n"
            "      parameters:\n        fast_period: {values: [6, 8, 10]}\n";
  }
  auto r = RunS1mple({"optimize", (dir / "plan.yaml").string(), "--store", (dir / "st").string(),
                      "--out", (dir / "out").string(), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("s1mple: warning: periods_per_year is 365 but the data has no bars on "
                       "Saturdays or Sundays"),
            std::string::npos)
      << r.err;
  const auto doc = json::parse(Slurp(dir / "out" / "optimization_result.json"));
  ASSERT_EQ(doc["warnings"].size(), 1u) << doc["warnings"].dump();
  EXPECT_NE(doc["warnings"][0]["warning"].get<std::string>().find("1.20x too high"),
            std::string::npos);
  EXPECT_EQ(doc["warnings"][0]["runs"], 3);
  // With periods_per_year: 252 the same bars give no warning.
  {
    std::string op = Slurp(dir / "op.yaml");
    op.replace(op.find("365"), 3, "252");
    std::ofstream(dir / "op.yaml") << op;
  }
  auto ok = RunS1mple({"optimize", (dir / "plan.yaml").string(), "--store", (dir / "st").string(),
                       "--out", (dir / "out252").string(), "--no-progress"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err.find("periods_per_year"), std::string::npos) << ok.err;
  EXPECT_TRUE(json::parse(Slurp(dir / "out252" / "optimization_result.json"))["warnings"].empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple::testing
