// Issue 14: what a stored result carries, and that the complete result of any job comes back.
// A real variant sweep (multi_strategy, every run over 1,000 trades) through the embedded
// session; then the store's result of a job is held against `s1mple job SWEEP/INDEX --export`
// + `s1mple run` on the export: the same metrics to the bit, its first 1,000 trades the stored
// ones, `trades_total` the full count, and the stored equity points a subset of the full curve.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/job_store.h"
#include "tests/support/process.h"

namespace s1mple {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

TEST(StoredResult, KeepsBoundedTradesAndEquityAndTheExportReproducesTheWhole) {
  const fs::path dir = fs::temp_directory_path() / ("s1mple-stored-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string store_dir = (dir / "store").string();
  auto sweep =
      testing::RunS1mple({"variant", "config/variants/opportunity_type_variants.yaml", "--store",
                          store_dir, "--out", (dir / "out").string(), "--no-progress"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;

  std::string id;
  std::map<uint64_t, std::string> stored;
  {
    store::Options so;
    so.read_only = true;
    auto st = store::JobStore::Open(store_dir, so);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    auto sweeps = (*st)->ListSweeps();
    ASSERT_EQ(sweeps.size(), 1u);
    id = sweeps[0].id;
    ASSERT_TRUE((*st)
                    ->ScanResults(id, 0, 0,
                                  [&](uint64_t index, std::string_view text) {
                                    stored[index] = std::string(text);
                                    return true;
                                  })
                    .ok());
  }
  ASSERT_EQ(stored.size(), 3u);

  for (const auto& [index, text] : stored) {
    SCOPED_TRACE("job " + std::to_string(index));
    EXPECT_LT(text.size(), 600u << 10) << "a stored result stays a few hundred kB";
    json kept = json::parse(text);
    ASSERT_EQ(kept["trades"].size(), 1000u);
    ASSERT_TRUE(kept.contains("trades_total"));
    EXPECT_EQ(kept["trades_total"], kept["metrics"]["total_trades"]);
    EXPECT_LE(kept["equity"].size(), 500u);

    const fs::path job = dir / ("job" + std::to_string(index));
    auto exported = testing::RunS1mple(
        {"job", id + "/" + std::to_string(index), "--store", store_dir, "--export", job.string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    auto run = testing::RunS1mple(
        {"run", (job / "operation.yaml").string(), "--out", (job / "out").string()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    json whole = ReadJson(job / "out" / "result.json");
    EXPECT_EQ(whole["metrics"], kept["metrics"]) << "bit-identical metrics";
    EXPECT_EQ(whole["causality"], kept["causality"]);
    ASSERT_EQ(whole["trades"].size(), kept["trades_total"].get<size_t>());
    EXPECT_FALSE(whole.contains("trades_total"));
    for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(whole["trades"][i], kept["trades"][i]) << i;
    std::map<int64_t, double> curve;
    for (const auto& p : whole["equity"]) curve[p[0].get<int64_t>()] = p[1].get<double>();
    EXPECT_GT(curve.size(), kept["equity"].size());
    for (const auto& p : kept["equity"]) {
      auto it = curve.find(p[0].get<int64_t>());
      ASSERT_NE(it, curve.end()) << p.dump();
      EXPECT_EQ(it->second, p[1].get<double>());
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace s1mple
