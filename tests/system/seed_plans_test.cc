// Every plan under config/optimizations/ and config/variants/ (the seeds' twelve and the demos)
// runs to its outputs through the real `s1mple` binary, both on the embedded default and with
// --broker (a real `s1mple broker` process and a real `s1mple runner` process on loopback):
// results.csv with one row per job (indexes 0..N-1 once each), optimization_result.json or
// variant_comparison.json that parses and counts every job, and report.html whose embedded
// snapshot parses and lists every run. Both modes give the same table, row for row (run ids
// aside: they carry the sweep id).
//
// The 448-job ICT plan (100,000 bars a job, ~30 s for both modes on 2 cores) is in the `long`
// binary (S1MPLE_SEED_PLANS_LONG); the default run keeps comprehensive_robustness_test, a
// variant plan on ict_smc whose results need several RESULTS pages of full equity curves.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/system/daemon_process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

struct SeedPlan {
  const char* file;
  bool variant;
};
void PrintTo(const SeedPlan& p, std::ostream* os) {
  *os << p.file;
}

#ifdef S1MPLE_SEED_PLANS_LONG
const SeedPlan kPlans[] = {{"config/optimizations/comprehensive_ict_optimization.yaml", false}};
#else
const SeedPlan kPlans[] = {
    {"config/optimizations/demo_ema_cross.yaml", false},
    {"config/optimizations/demo_tpe.yaml", false},
    {"config/optimizations/demo_halving.yaml", false},
    {"config/optimizations/optimize_event_workflows.yaml", false},
    {"config/optimizations/optimize_fvg_params.yaml", false},
    {"config/optimizations/optimize_operator_strategies.yaml", false},
    {"config/optimizations/optimize_opportunity_types.yaml", false},
    {"config/optimizations/optimize_planning_phases.yaml", false},
    {"config/variants/comprehensive_robustness_test.yaml", true},
    {"config/variants/event_chain_variants.yaml", true},
    {"config/variants/exit_strategy_variants.yaml", true},
    {"config/variants/fvg_strategy_variants.yaml", true},
    {"config/variants/operator_strategy_variants.yaml", true},
    {"config/variants/opportunity_type_variants.yaml", true},
};
#endif

// A command bounded by timeout(1), so a hang fails the test with its output.
CommandResult Exec(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"timeout", "-k", "5", "300"});
  return Run(argv);
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> ReadCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

// The snapshot report.html embeds, parsed; discarded when missing or malformed.
json ReportSnapshot(const fs::path& html_file) {
  const std::string html = Slurp(html_file);
  const std::string open = "<script type=\"application/json\" id=\"snapshot\">";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return json(json::value_t::discarded);
  const size_t from = begin + open.size();
  const size_t end = html.find("</script>", from);
  if (end == std::string::npos) return json(json::value_t::discarded);
  // The writer escapes "</" as "<\/" inside the script element: a JSON escape of "/".
  return json::parse(html.substr(from, end - from), nullptr, false);
}

class SeedPlansTest : public ::testing::TestWithParam<SeedPlan> {
 protected:
  // One broker and one runner (2 slots) for every plan's --broker run.
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("s1mple-seed-plans-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    const fs::path endpoint_file = *dir_ / "endpoint";
    broker_ = new DaemonProcess({S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store",
                                 (*dir_ / "broker-store").string(), "--sync", "none",
                                 "--endpoint-file", endpoint_file.string()},
                                *dir_ / "broker.log");
    endpoint_ = new std::string(WaitForEndpoint(endpoint_file));
    runner_ = new DaemonProcess(
        {S1mpleBin(), "runner", "--connect", *endpoint_, "--slots", "2", "--name", "seed-runner"},
        *dir_ / "runner.log");
  }
  static void TearDownTestSuite() {
    delete runner_;  // SIGKILL and reaped
    delete broker_;
    delete endpoint_;
    if (::testing::UnitTest::GetInstance()->failed_test_count() == 0) fs::remove_all(*dir_);
    delete dir_;
  }

  // The job count `--dry-run` reports.
  static uint64_t Jobs(const SeedPlan& plan) {
    auto r = Exec({S1mpleBin(), plan.variant ? "variant" : "optimize", plan.file, "--dry-run",
                   "--first", "0"});
    std::smatch m;
    if (r.exit_code != 0 || !std::regex_search(r.out, m, std::regex("jobs: ([0-9]+)"))) {
      ADD_FAILURE() << plan.file << ": --dry-run failed\n" << r.out << r.err;
      return 0;
    }
    return std::stoull(m[1].str());
  }

  // Checks one run's outputs in `out`; returns its results.csv rows (run ids without the
  // sweep id) for the comparison between modes.
  static std::vector<std::string> CheckOutputs(const SeedPlan& plan, const CommandResult& r,
                                               const fs::path& out, uint64_t jobs,
                                               const std::string& mode) {
    const std::string what = std::string(plan.file) + " (" + mode + ")";
    std::vector<std::string> rows;
    EXPECT_EQ(r.exit_code, 0) << what << "\n" << r.out << r.err;
    std::smatch m;
    const std::string sweep =
        std::regex_search(r.out, m, std::regex("sweep (sw-[0-9a-f]{12}):")) ? m[1].str() : "";
    EXPECT_FALSE(sweep.empty()) << what << ": no sweep id in\n" << r.out;

    // results.csv: a header and one row per job, indexes 0..jobs-1 once each.
    const auto csv = ReadCsv(Slurp(out / "results.csv"));
    EXPECT_EQ(csv.size(), jobs + 1) << what << ": results.csv rows";
    if (csv.empty()) return rows;
    size_t index_col = 0, status_col = 0;
    for (size_t i = 0; i < csv[0].size(); ++i) {
      if (csv[0][i] == "index") index_col = i;
      if (csv[0][i] == "status") status_col = i;
    }
    std::set<uint64_t> indexes;
    const std::regex id("sw-[0-9a-f]{12}");
    for (size_t i = 1; i < csv.size(); ++i) {
      EXPECT_EQ(csv[i].size(), csv[0].size()) << what << ": row " << i;
      if (csv[i].size() <= std::max(index_col, status_col)) continue;
      indexes.insert(std::stoull(csv[i][index_col]));
      EXPECT_EQ(csv[i][status_col], "ok") << what << ": row " << i;
      std::string joined;
      for (size_t c = 0; c < csv[i].size(); ++c)
        if (csv[0][c] != "attempts") joined += std::regex_replace(csv[i][c], id, "SWEEP") + ",";
      rows.push_back(joined);
    }
    EXPECT_EQ(indexes.size(), jobs) << what << ": distinct indexes";
    if (!indexes.empty()) {
      EXPECT_EQ(*indexes.rbegin(), jobs - 1) << what;
    }

    // The result JSON. The statistics cover every run, or a halving search's last rung (the
    // runs at full fidelity, docs/PLANS.md "search").
    uint64_t judged = jobs;
    const fs::path json_file =
        out / (plan.variant ? "variant_comparison.json" : "optimization_result.json");
    const json doc = json::parse(Slurp(json_file), nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << what << ": " << json_file << " does not parse";
    if (!doc.is_discarded()) {
      EXPECT_EQ(doc.value(plan.variant ? "test_id" : "optimization_id", ""), sweep) << what;
      EXPECT_EQ(doc.value(plan.variant ? "total_variants" : "total_combinations", uint64_t{0}),
                jobs)
          << what;
      EXPECT_EQ(doc.value("successful_runs", uint64_t{0}), jobs) << what;
      EXPECT_EQ(doc.value("missing_runs", uint64_t{1}), 0u) << what;
      EXPECT_EQ(doc["results"].size(), jobs) << what;
      if (!plan.variant && doc["search"].contains("rungs")) {
        judged = doc["search"]["rungs"].back().value("jobs", uint64_t{0});
        EXPECT_GT(judged, 0u) << what << ": no run at full fidelity";
      }
      // The statistics of the daily returns (docs/STATISTICS.md), the same in both modes.
      const char* block = plan.variant ? "statistics" : "overfitting";
      EXPECT_TRUE(doc.contains(block)) << what << ": no " << block << " block";
      if (plan.variant) {
        EXPECT_EQ(doc[block]["variants"].size(), jobs - 1) << what;
        for (const auto& v : doc[block]["variants"])
          if (v["sharpe_difference"].is_number()) {
            EXPECT_LE(v["ci_low"].get<double>(), v["ci_high"].get<double>()) << what;
            EXPECT_GE(v["holm_p_value"].get<double>(), v["p_value"].get<double>()) << what;
          }
      } else {
        EXPECT_EQ(doc[block].value("trials", uint64_t{0}), judged) << what;
        EXPECT_EQ(doc[block].value("runs_with_returns", uint64_t{0}), judged) << what;
        EXPECT_TRUE(doc[block]["probability_of_backtest_overfitting"].is_object() || jobs < 2)
            << what << ": " << doc[block].dump();
      }
      rows.push_back(std::regex_replace(doc.value(block, json()).dump(), id, "SWEEP"));
    }

    // returns.csv (--returns): `date`, then one column per run, one row per day.
    const auto returns = ReadCsv(Slurp(out / "returns.csv"));
    EXPECT_GT(returns.size(), 1u) << what << ": returns.csv rows";
    if (!returns.empty()) {
      EXPECT_EQ(returns[0].size(), judged + 1) << what << ": returns.csv columns";
      EXPECT_EQ(returns[0][0], "date") << what;
      const std::regex date("[0-9]{4}-[0-9]{2}-[0-9]{2}");
      for (size_t i = 1; i < returns.size(); ++i) {
        EXPECT_TRUE(std::regex_match(returns[i][0], date)) << what << ": " << returns[i][0];
        std::string joined;
        for (const auto& cell : returns[i]) joined += cell + ",";
        rows.push_back(joined);
      }
      std::string header;
      for (const auto& cell : returns[0]) header += std::regex_replace(cell, id, "SWEEP") + ",";
      rows.push_back(header);
    }

    // report.html: its snapshot lists every run.
    const json snap = ReportSnapshot(out / "report.html");
    EXPECT_FALSE(snap.is_discarded()) << what << ": report.html has no snapshot that parses";
    if (!snap.is_discarded()) {
      EXPECT_EQ(snap["sweep"]["id"], sweep) << what;
      EXPECT_EQ(snap["sweep"]["kind"], plan.variant ? "variant" : "optimization") << what;
      EXPECT_EQ(snap["runs"]["runs"].size(), jobs) << what;
      EXPECT_GE(snap["details"].size(), std::min<uint64_t>(jobs, 1)) << what;
    }
    // No temporary file is left.
    for (const auto& e : fs::directory_iterator(out)) {
      const auto ext = e.path().extension();
      EXPECT_TRUE(ext != ".tmp" && ext != ".part") << what << ": left " << e.path();
    }
    return rows;
  }

  static fs::path* dir_;
  static DaemonProcess* broker_;
  static DaemonProcess* runner_;
  static std::string* endpoint_;
};

fs::path* SeedPlansTest::dir_ = nullptr;
DaemonProcess* SeedPlansTest::broker_ = nullptr;
DaemonProcess* SeedPlansTest::runner_ = nullptr;
std::string* SeedPlansTest::endpoint_ = nullptr;

TEST_P(SeedPlansTest, RunsToItsOutputsEmbeddedAndWithABroker) {
  const SeedPlan& plan = GetParam();
  ASSERT_TRUE(endpoint_->rfind("tcp://127.0.0.1:", 0) == 0) << broker_->Log();
  const uint64_t jobs = Jobs(plan);
  ASSERT_GT(jobs, 0u);
  const std::string name = fs::path(plan.file).stem().string();
  const std::string command = plan.variant ? "variant" : "optimize";

  const fs::path embedded_out = *dir_ / (name + "-embedded");
  auto embedded =
      Exec({S1mpleBin(), command, plan.file, "--store", (*dir_ / (name + "-store")).string(),
            "--out", embedded_out.string(), "--no-progress", "--returns"});
  const auto embedded_rows = CheckOutputs(plan, embedded, embedded_out, jobs, "embedded");

  const fs::path broker_out = *dir_ / (name + "-broker");
  auto remote = Exec({S1mpleBin(), command, plan.file, "--broker", *endpoint_, "--out",
                      broker_out.string(), "--no-progress", "--returns"});
  const auto broker_rows = CheckOutputs(plan, remote, broker_out, jobs, "--broker");
  if (::testing::Test::HasFailure()) {
    ADD_FAILURE() << "broker log:\n" << broker_->Log() << "\nrunner log:\n" << runner_->Log();
  }
  EXPECT_EQ(embedded_rows, broker_rows) << plan.file << ": both modes give the same table";
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedPlansTest, ::testing::ValuesIn(kPlans),
                         [](const ::testing::TestParamInfo<SeedPlan>& p) {
                           std::string n = fs::path(p.param.file).stem().string();
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace s1mple::testing
