// The Trade Explorer's decoding, JSON API, HTTP server and report.html over a real job store.
// (The page itself is tested in a browser by e2e.mjs.)
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/iso_time.h"
#include "explorer/api.h"
#include "explorer/decode.h"
#include "explorer/page.h"
#include "explorer/report.h"
#include "explorer/server.h"
#include "explorer/store_source.h"
#include "store/job_store.h"
#include "tests/explorer/summarize.h"
#include "tests/store/old_format.h"

namespace s1mple::explorer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---- decoding -------------------------------------------------------------------------------

TEST(ExplorerDecode, BlobIsJsonTextOrMsgpack) {
  const json doc = {{"metrics", {{"sharpe_ratio", 1.25}}}, {"equity", {{1, 2.5}}}};
  auto from_text = DecodeBlob(doc.dump(), "r");
  ASSERT_TRUE(from_text.ok()) << from_text.status().ToString();
  EXPECT_EQ(*from_text, doc);
  const std::vector<uint8_t> mp = json::to_msgpack(doc);
  auto from_mp = DecodeBlob(std::string(mp.begin(), mp.end()), "r");
  ASSERT_TRUE(from_mp.ok()) << from_mp.status().ToString();
  EXPECT_EQ(*from_mp, doc);
  auto empty = DecodeBlob("", "r");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, json::object());
}

TEST(ExplorerDecode, GarbageBlobIsCorruptionNamingIt) {
  auto bad = DecodeBlob("{not json", "job sw-1/7 result");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_NE(bad.status().message().find("job sw-1/7 result"), std::string::npos);
}

TEST(ExplorerDecode, ResultSummaryDropsTheBulkArraysOnly) {
  const json doc = {{"metrics", {{"sharpe_ratio", 1.5}}},
                    {"causality", {{"top_rejection_reasons", json::array({{{"count", 2}}})}}},
                    {"equity", {{1, 2.5}, {2, 3.5}}},
                    {"trades", {{{"pnl", 1.0}}}},
                    {"returns", {{"first_date", "2021-01-01"}, {"values", {0.01, -0.02}}}},
                    {"bars", 2}};
  json expected = doc;
  expected.erase("equity");
  expected.erase("trades");
  expected.erase("returns");
  auto text = DecodeResultSummary(doc.dump(), "r");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, expected);
  const std::vector<uint8_t> mp = json::to_msgpack(json{{"result", doc}});
  auto wrapped = DecodeResultSummary(std::string(mp.begin(), mp.end()), "r");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(*wrapped, json({{"result", expected}}));
  EXPECT_TRUE(DecodeResultSummary("{\"metrics\": [", "r").status().IsCorruption());
}

TEST(ExplorerDecode, EngineResultUnwrapsAndRequiresMetrics) {
  const json inner = {{"metrics", {{"total_return", 3.0}}}};
  auto wrapped = EngineResult(json{{"result", inner}}, "r");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(*wrapped, inner);
  EXPECT_FALSE(EngineResult(json{{"value", 1}}, "r").ok());
}

TEST(ExplorerDecode, ListAndMapOverridesFlattenToTheSameColumns) {
  const json map_form = json::parse(R"({"opportunity_workers": {"fvg_entry_detector":
      {"params": {"min_gap_size": 5, "require_structure_break": true}}},
      "operator_overrides": {"PlanningOperator": {"execution_strategy": "PARALLEL"}}})");
  const json list_form = json::parse(R"({"opportunity_workers": [{"plugin": "fvg_entry_detector",
      "params": {"min_gap_size": 5, "require_structure_break": true}}],
      "operator_overrides": {"PlanningOperator": {"execution_strategy": "PARALLEL"}}})");
  auto a = FlattenOverrides(map_form);
  auto b = FlattenOverrides(list_form);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, b);
  const std::map<std::string, json> cols(a.begin(), a.end());
  EXPECT_EQ(cols.at("fvg_entry_detector.min_gap_size"), 5);
  EXPECT_EQ(cols.at("fvg_entry_detector.require_structure_break"), true);
  EXPECT_EQ(cols.at("operator.PlanningOperator.execution_strategy"), "PARALLEL");
}

TEST(ExplorerDecode, ColumnNamesKeepPhaseAndBarePluginSlots) {
  EXPECT_EQ(ParamColumnName("planning_workers.exit_planning.atr_based_stops.params.atr_multiplier"),
            "exit_planning.atr_based_stops.atr_multiplier");
  auto cols = FlattenOverrides(
      json::parse(R"({"planning_workers": {"entry_planning": [{"plugin": "twap_entry"}]}})"));
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_EQ(cols[0].first, "entry_planning.plugin");
  EXPECT_EQ(cols[0].second, "twap_entry");
  EXPECT_TRUE(FlattenOverrides(json::object()).empty());
}

TEST(ExplorerDecode, DrawdownIsRelativeToRunningPeak) {
  const json dd = DrawdownCurve(json::parse("[[1,100],[2,120],[3,90],[4,130]]"));
  ASSERT_EQ(dd.size(), 4u);
  EXPECT_DOUBLE_EQ(dd[0][1].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(dd[1][1].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(dd[2][1].get<double>(), 90.0 / 120.0 - 1.0);
  EXPECT_DOUBLE_EQ(dd[3][1].get<double>(), 0.0);
  EXPECT_EQ(dd[2][0], 3);
}

TEST(ExplorerDecode, ReproduceCommandExportsThenRuns) {
  EXPECT_EQ(ReproduceCommand("sw-0123456789ab", 7),
            "s1mple job sw-0123456789ab/7 --export runs/sw-0123456789ab-7 && "
            "s1mple run runs/sw-0123456789ab-7/operation.yaml");
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00Z");
}

// ---- API over a real store -------------------------------------------------------------------

class ExplorerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-ui-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store::Options opts;
    opts.sync = store::SyncPolicy::kNone;
    opts.clock = clock_;
    auto st = store::JobStore::Open((dir_ / "store").string(), opts);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
    source_ = MakeStoreExplorerSource(*store_);
  }
  void TearDown() override {
    source_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  static json Result(int i) {
    return {
        {"metrics",
         {{"sharpe_ratio", 0.5 * i}, {"total_return", 10.0 - i}, {"max_drawdown", 2.0 + i}}},
        {"causality",
         {{"opportunities_detected", 10 + i},
          {"opportunities_rejected", i},
          {"threats_detected", 1},
          {"top_rejection_reasons", {{{"threat_type", "MAX_DRAWDOWN_BREACHED"}, {"count", i}}}}}},
        {"equity", {{1000, 100.0}, {2000, 110.0}, {3000, 99.0}}},
        {"trades", {{{"pnl", 5.0}}, {{"pnl", -2.0}}}},
        {"bars", 3}};
  }

  // An optimization sweep of `n` jobs varying one parameter (fixed: another); jobs < done_n get
  // results (every other one as msgpack, like a runner), job `fail` fails deterministically.
  std::string MakeSweep(int n, int done_n, int fail, std::string plan = {}) {
    store::SweepSpec spec;
    spec.name = "test sweep";
    spec.plan_text = plan.empty() ? "optimization_config:\n  name: test sweep\n" : plan;
    spec.plan_summary = testing::SummaryOfPlanText(spec.plan_text);
    auto id = store_->CreateSweep(spec);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    std::vector<std::string> blobs;
    for (int i = 0; i < n; ++i) {
      blobs.push_back(json{
          {"opportunity_workers",
           {{"fvg_entry_detector", {{"params", {{"min_gap_size", 3 + i % 4}, {"fixed_one", 1}}}}}}}}
                          .dump());
    }
    EXPECT_TRUE(store_->AddJobs(*id, 0, blobs).ok());
    EXPECT_TRUE(store_->SealSweep(*id, blobs.size()).ok());
    auto leased = store_->LeaseNext(*id, "r1", static_cast<size_t>(n), 60'000);
    EXPECT_TRUE(leased.ok());
    for (const auto& job : *leased) {
      const int i = static_cast<int>(job.index);
      if (i == fail) {
        EXPECT_TRUE(store_->Fail(*id, job.index, job.attempt, "r1", "bad config: x", false).ok());
      } else if (i < done_n) {
        std::string bytes = Result(i).dump();
        if (i % 2) {
          auto mp = json::to_msgpack(Result(i));
          bytes.assign(mp.begin(), mp.end());
        }
        EXPECT_TRUE(store_->Complete(*id, job.index, job.attempt, "r1", bytes).ok());
      }
    }
    return *id;
  }

  // An optimization sweep named `name` of these overrides, sealed; its id.
  std::string SealedSweep(const std::string& name, const std::vector<std::string>& blobs) {
    store::SweepSpec spec;
    spec.name = name;
    spec.plan_text = "optimization_config:\n  name: " + name + "\n";
    spec.plan_summary = testing::SummaryOfPlanText(spec.plan_text);
    auto id = store_->CreateSweep(spec);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(store_->AddJobs(*id, 0, blobs).ok());
    EXPECT_TRUE(store_->SealSweep(*id, blobs.size()).ok());
    return *id;
  }

  fs::path dir_;
  std::shared_ptr<store::ManualClock> clock_ = std::make_shared<store::ManualClock>();
  std::unique_ptr<store::JobStore> store_;
  std::unique_ptr<ExplorerSource> source_;
};

TEST_F(ExplorerStoreTest, SweepsListCountsAndRate) {
  const std::string id = MakeSweep(10, 4, 9);
  int64_t now = 1'700'000'000'000;
  ExplorerOptions opts;
  opts.now_ms = [&now] { return now; };
  ExplorerApi api(*source_, opts);
  auto first = api.Sweeps();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ((*first)["sweeps"].size(), 1u);
  const json& s = (*first)["sweeps"][0];
  EXPECT_EQ(s["id"], id);
  EXPECT_EQ(s["kind"], "optimization");
  EXPECT_EQ(s["state"], "active");
  EXPECT_EQ(s["counts"]["total"], 10);
  EXPECT_EQ(s["counts"]["done"], 4);
  EXPECT_EQ(s["counts"]["failed"], 1);
  EXPECT_EQ(s["counts"]["leased"], 5);
  EXPECT_DOUBLE_EQ(s["progress"].get<double>(), 0.5);
  EXPECT_TRUE((*first)["runners"].is_null());
  EXPECT_TRUE(s["eta_s"].is_null());  // no rate measured yet

  // Two more results over 2 seconds: 1 job/s, 3 left -> ETA 3 s.
  auto jobs = store_->GetJob(id, 4);
  ASSERT_TRUE(jobs.ok());
  ASSERT_TRUE(store_->Complete(id, 4, jobs->attempt, "r1", Result(4).dump()).ok());
  ASSERT_TRUE(store_->Complete(id, 5, jobs->attempt, "r1", Result(5).dump()).ok());
  now += 2000;
  auto second = api.Sweeps();
  ASSERT_TRUE(second.ok());
  EXPECT_NEAR((*second)["sweeps"][0]["rate_per_s"].get<double>(), 1.0, 1e-9);
  EXPECT_NEAR((*second)["sweeps"][0]["eta_s"].get<double>(), 3.0, 1e-9);
}

TEST_F(ExplorerStoreTest, RunnersComeFromTheProvider) {
  ExplorerOptions opts;
  opts.runners = [] { return std::vector<ExplorerRunner>{{"host-a:12", 8, 3, 120, 0}}; };
  ExplorerApi api(*source_, opts);
  auto doc = api.Sweeps();
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ((*doc)["runners"].size(), 1u);
  EXPECT_EQ((*doc)["runners"][0]["id"], "host-a:12");
  EXPECT_EQ((*doc)["runners"][0]["slots"], 8);
  EXPECT_EQ((*doc)["runners"][0]["busy"], 3);
}

TEST_F(ExplorerStoreTest, SweepDocumentHasVariedColumnsFixedParamsAndFailures) {
  const std::string id = MakeSweep(8, 8, 6, R"(optimization_config:
  name: "FVG"
  optimization_targets:
    primary_metric: total_return
)");
  ExplorerApi api(*source_);
  auto doc = api.Sweep(id);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["params"], json::array({"fvg_entry_detector.min_gap_size"}));
  EXPECT_EQ((*doc)["fixed_params"]["fvg_entry_detector.fixed_one"], 1);
  EXPECT_EQ((*doc)["plan"]["primary_metric"], "total_return");
  EXPECT_EQ((*doc)["state"], "done");
  ASSERT_EQ((*doc)["failures"].size(), 1u);
  EXPECT_EQ((*doc)["failures"][0]["index"], 6);
  EXPECT_EQ((*doc)["failures"][0]["reason"], "bad config: x");
}

TEST_F(ExplorerStoreTest, RunsArePagedWithMetricsFromJsonAndMsgpackResults) {
  const std::string id = MakeSweep(7, 5, -1);
  ExplorerApi api(*source_);
  auto page1 = api.Runs(id, 0, 3);
  ASSERT_TRUE(page1.ok()) << page1.status().ToString();
  EXPECT_EQ((*page1)["total"], 7);
  ASSERT_EQ((*page1)["runs"].size(), 3u);
  EXPECT_EQ((*page1)["next_offset"], 3);
  const json& r1 = (*page1)["runs"][1];  // msgpack result
  EXPECT_EQ(r1["index"], 1);
  EXPECT_EQ(r1["status"], "done");
  EXPECT_DOUBLE_EQ(r1["metrics"]["sharpe_ratio"].get<double>(), 0.5);
  EXPECT_EQ(r1["causality"]["opportunities_detected"], 11);
  EXPECT_EQ(r1["params"], json({{"fvg_entry_detector.min_gap_size", 4}}));

  auto page3 = api.Runs(id, 6, 3);
  ASSERT_TRUE(page3.ok());
  ASSERT_EQ((*page3)["runs"].size(), 1u);
  EXPECT_TRUE((*page3)["next_offset"].is_null());
  EXPECT_EQ((*page3)["runs"][0]["status"], "leased");
  EXPECT_TRUE((*page3)["runs"][0]["metrics"].is_null());
}

TEST_F(ExplorerStoreTest, CachedRowsOfFinishedRunsEqualFreshOnes) {
  const std::string id = MakeSweep(6, 4, 5);
  ExplorerApi cached(*source_);
  ExplorerOptions no_cache;
  no_cache.row_cache_bytes = 0;
  ExplorerApi fresh(*source_, no_cache);
  auto first = cached.Runs(id, 0, 0);
  auto second = cached.Runs(id, 0, 0);  // finished rows now come from the cache
  auto uncached = fresh.Runs(id, 0, 0);
  ASSERT_TRUE(first.ok() && second.ok() && uncached.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(*second, *uncached);
  // A leased job finishing later shows up with its result.
  auto job = store_->GetJob(id, 4);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(store_->Complete(id, 4, job->attempt, "r1", Result(4).dump()).ok());
  auto third = cached.Runs(id, 0, 0);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)["runs"][4]["status"], "done");
  EXPECT_DOUBLE_EQ((*third)["runs"][4]["metrics"]["sharpe_ratio"].get<double>(), 2.0);
}

// Counts the results a source hands out (the incremental refresh reads only new ones).
class CountingSource final : public ExplorerSource {
 public:
  explicit CountingSource(ExplorerSource& inner) : inner_(inner) {}
  Result<std::vector<ExplorerSweep>> ListSweeps() override { return inner_.ListSweeps(); }
  Result<ExplorerSweep> GetSweep(const std::string& id) override { return inner_.GetSweep(id); }
  Status ScanJobs(const std::string& id, uint64_t from, uint64_t limit, bool with_results,
                  const std::function<bool(const ExplorerJob&)>& fn) override {
    return inner_.ScanJobs(id, from, limit, with_results, [&](const ExplorerJob& j) {
      results += j.result ? 1 : 0;
      return fn(j);
    });
  }
  Result<ExplorerJob> GetJob(const std::string& id, uint64_t index) override {
    auto j = inner_.GetJob(id, index);
    results += j.ok() && j->result ? 1 : 0;
    return j;
  }
  Status ScanResults(const std::string& id, uint64_t from, uint64_t end,
                     const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.ScanResults(id, from, end, [&](uint64_t i, std::string_view b) {
      ++results;
      return fn(i, b);
    });
  }
  uint64_t results = 0;

 private:
  ExplorerSource& inner_;
};

// The rows of a /table document, rebuilt as the page does (ui/src/app.js, tableRows).
json RowsOfTable(const json& t) {
  json rows = json::array();
  const json& c = t["columns"];
  std::set<uint64_t> no_m, no_c;
  for (const auto& i : t["metrics_null"]) no_m.insert(i.get<uint64_t>());
  for (const auto& i : t["causality_null"]) no_c.insert(i.get<uint64_t>());
  for (uint64_t i = 0; i < t["count"].get<uint64_t>(); ++i) {
    if (t["rows"].contains(std::to_string(i))) {
      rows.push_back(t["rows"][std::to_string(i)]);
      continue;
    }
    json r = {{"index", c["index"][i]},       {"status", c["status"][i]},
              {"attempts", c["attempts"][i]}, {"name", c["name"][i]},
              {"failure", c["failure"][i]},   {"params", json::object()}};
    for (size_t k = 0; k < t["params"].size(); ++k) r["params"][t["params"][k]] = c["params"][k][i];
    r["metrics"] = nullptr;
    if (!no_m.count(i)) {
      r["metrics"] = json::object();
      for (size_t k = 0; k < t["metrics"].size(); ++k)
        r["metrics"][t["metrics"][k]] = c["metrics"][k][i];
    }
    r["causality"] = nullptr;
    if (!no_c.count(i)) {
      r["causality"] = json::object();
      for (const char* k : {"opportunities_detected", "opportunities_rejected", "threats_detected",
                            "top_rejection_reasons"})
        r["causality"][k] = c[k][i];
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

TEST_F(ExplorerStoreTest,
       KeptRowsAnswerExactlyWhatDecodingAgainGivesAndRefreshReadsOnlyNewResults) {
  // 300 runs: 249 done (every other result msgpack), one failed, the rest leased; then a result
  // of another shape (no causality, fewer metrics) and a corrupt one, sent as whole rows.
  const std::string id = MakeSweep(300, 250, 7);
  auto complete = [&](uint64_t index, const std::string& bytes) {
    auto job = store_->GetJob(id, index);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(store_->Complete(id, index, job->attempt, "r1", bytes).ok());
  };
  complete(260, json{{"metrics", {{"sharpe_ratio", 0.25}}}, {"bars", 1}}.dump());
  complete(261, "{not json");
  CountingSource counting(*source_);
  ExplorerApi cached(counting);
  ExplorerOptions no_cache;
  no_cache.row_cache_bytes = 0;
  ExplorerApi fresh(*source_, no_cache);

  auto cold = cached.RunsText(id, 0, 0);
  ASSERT_TRUE(cold.ok()) << cold.status().ToString();
  EXPECT_EQ(counting.results, 251u);     // every result once (one range scan)
  EXPECT_EQ(cached.KeptRows(id), 251u);  // finished runs, not the corrupt one
  auto warm = cached.RunsText(id, 0, 0);
  auto uncached = fresh.RunsText(id, 0, 0);
  ASSERT_TRUE(warm.ok() && uncached.ok());
  EXPECT_EQ(*cold, *warm);
  EXPECT_EQ(*warm, *uncached);
  EXPECT_EQ(counting.results, 252u);  // only the corrupt result is read again
  // The text is what dumping the documents gives (the rows written from cells included).
  const json doc = json::parse(*warm);
  EXPECT_EQ(doc.dump(), *warm);
  ASSERT_EQ(doc["runs"].size(), 300u);
  EXPECT_EQ(doc["runs"][7]["status"], "failed");
  EXPECT_TRUE(doc["runs"][260]["causality"].is_null());
  EXPECT_TRUE(doc["runs"][261].contains("error"));
  EXPECT_DOUBLE_EQ(doc["runs"][3]["metrics"]["sharpe_ratio"].get<double>(), 1.5);
  // Pages read one by one give the same rows.
  json paged = json::array();
  for (uint64_t offset = 0; offset < 300; offset += 7) {
    auto p = cached.Runs(id, offset, 7);
    ASSERT_TRUE(p.ok());
    for (const auto& r : (*p)["runs"]) paged.push_back(r);
  }
  EXPECT_EQ(paged, doc["runs"]);
  // The columns hold the same rows, kept or not.
  for (ExplorerApi* api : {&cached, &fresh}) {
    auto table = api->Table(id, 0, 0);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    EXPECT_EQ((*table)["count"], 300);
    EXPECT_TRUE((*table)["next_offset"].is_null());
    EXPECT_EQ(RowsOfTable(*table), doc["runs"]);
    auto part = api->Table(id, 250, 20);
    ASSERT_TRUE(part.ok());
    EXPECT_EQ((*part)["next_offset"], 270);
    EXPECT_EQ(RowsOfTable(*part),
              json(std::vector<json>(doc["runs"].begin() + 250, doc["runs"].begin() + 270)));
  }

  // A result recorded since: the refresh reads it (and the corrupt one), nothing else.
  const uint64_t before = counting.results;
  complete(270, Result(3).dump());
  auto table = cached.Table(id, 0, 0);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(counting.results - before, 2u);
  EXPECT_EQ((*table)["columns"]["status"][270], "done");
  EXPECT_EQ(cached.KeptRows(id), 252u);
  auto again = fresh.RunsText(id, 0, 0);
  auto now = cached.RunsText(id, 0, 0);
  ASSERT_TRUE(again.ok() && now.ok());
  EXPECT_EQ(*now, *again);
  EXPECT_EQ(RowsOfTable(*table), json::parse(*now)["runs"]);

  // Deleting the sweep drops its rows (its jobs still in the memtable: DeleteSweep flushes).
  ASSERT_TRUE(store_->DeleteSweep(id).ok());
  EXPECT_TRUE(cached.Runs(id, 0, 0).status().IsNotFound());
  EXPECT_EQ(cached.KeptRows(id), 0u);
}

// The same source without result summaries: every row is decoded from the full result, as
// for a store written before summaries existed.
class FullResultsSource final : public ExplorerSource {
 public:
  explicit FullResultsSource(ExplorerSource& inner) : inner_(inner) {}
  Result<std::vector<ExplorerSweep>> ListSweeps() override { return inner_.ListSweeps(); }
  Result<ExplorerSweep> GetSweep(const std::string& id) override { return inner_.GetSweep(id); }
  Status ScanJobs(const std::string& id, uint64_t from, uint64_t limit, bool with_results,
                  const std::function<bool(const ExplorerJob&)>& fn) override {
    return inner_.ScanJobs(id, from, limit, with_results, fn);
  }
  Result<ExplorerJob> GetJob(const std::string& id, uint64_t index) override {
    return inner_.GetJob(id, index);
  }
  Status ScanResults(const std::string& id, uint64_t from, uint64_t end,
                     const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.ScanResults(id, from, end, fn);
  }

 private:
  ExplorerSource& inner_;
};

// Counts what a source hands out, full results and summaries apart.
class SummaryCountingSource final : public ExplorerSource {
 public:
  explicit SummaryCountingSource(ExplorerSource& inner) : inner_(inner) {}
  Result<std::vector<ExplorerSweep>> ListSweeps() override { return inner_.ListSweeps(); }
  Result<ExplorerSweep> GetSweep(const std::string& id) override { return inner_.GetSweep(id); }
  Status ScanJobs(const std::string& id, uint64_t from, uint64_t limit, bool with_results,
                  const std::function<bool(const ExplorerJob&)>& fn) override {
    return inner_.ScanJobs(id, from, limit, with_results, [&](const ExplorerJob& j) {
      results += j.result ? 1 : 0;
      return fn(j);
    });
  }
  Result<ExplorerJob> GetJob(const std::string& id, uint64_t index) override {
    auto j = inner_.GetJob(id, index);
    results += j.ok() && j->result ? 1 : 0;
    return j;
  }
  Status ScanResults(const std::string& id, uint64_t from, uint64_t end,
                     const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.ScanResults(id, from, end, [&](uint64_t i, std::string_view b) {
      ++results;
      return fn(i, b);
    });
  }
  Status ScanResultSummaries(const std::string& id, uint64_t from, uint64_t end,
                             const std::function<bool(uint64_t, std::string_view)>& fn) override {
    return inner_.ScanResultSummaries(id, from, end, [&](uint64_t i, std::string_view b) {
      ++summaries;
      summary_bytes += b.size();
      return fn(i, b);
    });
  }
  // Atomic: the server's request and warm-up threads read through one source.
  std::atomic<uint64_t> results = 0, summaries = 0, summary_bytes = 0;

 private:
  ExplorerSource& inner_;
};

// Every answer of the runs table, read through `a` and `b` (fresh apis, so nothing is kept
// from an earlier read), must be the same text: /table whole and in pages, and /runs; and the
// same as the document path gives (rows built as JSON documents first, direct_rows off) over
// either source.
void ExpectSameTables(ExplorerSource& a, ExplorerSource& b, const std::string& id, uint64_t total) {
  ExplorerOptions documents;
  documents.direct_rows = false;
  for (ExplorerSource* src : {&a, &b}) {
    ExplorerApi direct(*src), reference(*src, documents);
    auto d = direct.TableText(id, 0, 0);
    auto r = reference.TableText(id, 0, 0);
    ASSERT_TRUE(d.ok() && r.ok());
    EXPECT_EQ(*d, *r);
    auto dr = direct.RunsText(id, 0, 5000);
    auto rr = reference.RunsText(id, 0, 5000);
    ASSERT_TRUE(dr.ok() && rr.ok());
    EXPECT_EQ(*dr, *rr);
  }
  ExplorerApi api_a(a), api_b(b);
  auto ta = api_a.TableText(id, 0, 0);
  auto tb = api_b.TableText(id, 0, 0);
  ASSERT_TRUE(ta.ok() && tb.ok()) << ta.status().ToString() << tb.status().ToString();
  EXPECT_EQ(*ta, *tb);
  for (uint64_t offset = 0; offset < total; offset += 64) {
    auto pa = api_a.TableText(id, offset, 64);
    auto pb = api_b.TableText(id, offset, 64);
    ASSERT_TRUE(pa.ok() && pb.ok());
    EXPECT_EQ(*pa, *pb) << "offset " << offset;
  }
  auto ra = api_a.RunsText(id, 0, 5000);
  auto rb = api_b.RunsText(id, 0, 5000);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(*ra, *rb);
  // And the kept rows (a second read) say the same.
  auto again = api_a.TableText(id, 0, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *ta);
}

TEST_F(ExplorerStoreTest, TableFromResultSummariesEqualsTheTableFromFullResults) {
  // A constrained optimization: 300 runs, every other result msgpack (no summary), one failed,
  // runs 200.. leased; drawdown 2 + i breaks the constraint from run 2 on. Then results of
  // other shapes: wrapped in {"result": ...}, without causality, with an escaped key (no
  // summary), a corrupt one, and a done run whose overrides do not decode.
  const std::string id = MakeSweep(300, 200, 7, R"(optimization_config:
  name: constrained
  optimization_targets: {primary_metric: sharpe_ratio}
  constraints: {max_drawdown: 3.5}
)");
  auto complete = [&](uint64_t index, const std::string& bytes) {
    auto job = store_->GetJob(id, index);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(store_->Complete(id, index, job->attempt, "r1", bytes).ok());
  };
  complete(200, json{{"result", Result(200)}, {"runner", "r1"}}.dump());
  complete(202, json{{"metrics", {{"sharpe_ratio", 0.25}}}, {"bars", 1}}.dump());
  complete(204, R"({"metrics": {"sharpe_ratio": 1}, "equity": [], "tr\u0061des": []})");
  complete(206, "{not json");
  complete(208, R"({"metrics": {"sharpe_ratio": 1e400}})");
  for (uint64_t i = 210; i < 260; i += 2) complete(i, Result(static_cast<int>(i)).dump(2));
  // Numbers of every spelling (written as cells without the parser, or with it), other metric
  // names (a whole row), a causality of another shape, a metric name with an escape.
  complete(262, R"({"metrics": {"a": -0, "b": 1e2, "c": 12345678901234567890, "d": 0.10,)"
                R"( "e": -1.5E-7, "f": 1e-400, "g": "s\u00e9", "h": true, "i": null,)"
                R"( "j": 123456789012345678, "k": [1, {"x": 2.50}], "l": 0, "m": -7,)"
                R"( "n": "plain / text", "o": "ü", "p": "tab\there", "q": false}})");
  complete(264, R"({"metrics": {"sharpe_ratio": 1, "total_return": 2, "max_drawdown": 3},)"
                R"( "causality": {"opportunities_detected": 1}})");
  complete(266, R"({"metrics": {"sharpe_ratio": 1, "total_return": 2, "max_dr\u0061wdown": 3}})");
  complete(270,
           R"({"metrics": {"sharpe_ratio": 0.50, "total_return": 1E2, "max_drawdown": -2.50e0},)"
           R"( "causality": {"threats_detected": 1, "opportunities_detected": 3.0,)"
           R"( "opportunities_rejected": -0, "top_rejection_reasons": [ ]}})");
  complete(268, R"({"metrics": {"sharpe_ratio": 1, "total_return": 2, "max_drawdown": 3},)"
                R"( "causality": null, "bars": [1, 2], "name": "x"})");

  SummaryCountingSource counting(*source_);
  FullResultsSource full(*source_);
  ExpectSameTables(counting, full, id, 300);
  // The JSON results were read from their summaries (MakeSweep's 100 and 28 of the ones above:
  // the escaped key and the corrupt one have none); the 99 msgpack ones, those two and the one
  // whose summary does not decode (1e400) were read whole, one by one (they are scattered).
  EXPECT_GT(counting.summaries, 0u);
  ExplorerApi api(counting);
  counting.results = counting.summaries = 0;
  auto t = api.Table(id, 0, 0);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(counting.summaries, 100u + 28u + 5u);
  EXPECT_EQ(counting.results, 99u + 3u);
  const json rows = RowsOfTable(*t);
  EXPECT_EQ(rows[7]["status"], "failed");
  EXPECT_EQ(rows[7]["failure"], "bad config: x");
  EXPECT_EQ(rows[200]["metrics"]["sharpe_ratio"], 100.0);
  EXPECT_TRUE(rows[202]["causality"].is_null());
  EXPECT_TRUE(rows[206].contains("error"));
  EXPECT_TRUE(rows[208].contains("error"));
  EXPECT_EQ(rows[250]["metrics"]["max_drawdown"], 252.0);  // breaks the constraint
  EXPECT_FALSE(rows[270].contains("error"));  // in cells, the numbers written as Dump does
  EXPECT_EQ(rows[270]["metrics"]["total_return"], 100.0);
  EXPECT_EQ(rows[268]["metrics"]["sharpe_ratio"], 1);
  EXPECT_EQ(rows[299]["status"], "leased");
}

TEST_F(ExplorerStoreTest, TableFromResultSummariesEqualsFullResultsForValidationAndVariants) {
  // A validation sweep: 2 configurations x 3 segments, each job's overrides carrying its
  // segment as `period` (producer/expansion.h), so the table has period columns.
  std::vector<std::string> blobs;
  const char* starts[] = {"2021-01-01T00:00:00Z", "2021-07-01T00:00:00Z", "2022-01-01T00:00:00Z"};
  for (int seg = 0; seg < 3; ++seg)
    for (int c = 0; c < 2; ++c)
      blobs.push_back(json{{"period", {{"start", starts[seg]}, {"end", "2022-06-01T00:00:00Z"}}},
                           {"trend_workers", {{"trend_follower", {{"params", {{"fast", 5 + c}}}}}}}}
                          .dump());
  const std::string folds = SealedSweep("folds", blobs);
  // A variant sweep of three named variants, one failed.
  store::SweepSpec vspec;
  vspec.name = "exits";
  vspec.kind = store::SweepKind::kVariant;
  vspec.plan_text = R"(variant_config:
  name: exits
  variants:
    - name: baseline
      overrides: {}
    - name: wide
      overrides: {threat_workers: [{plugin: max_drawdown_monitor, params: {max_drawdown_percent: 4}}]}
    - name: tight
      overrides: {threat_workers: [{plugin: max_drawdown_monitor, params: {max_drawdown_percent: 1}}]}
)";
  vspec.plan_summary = testing::SummaryOfPlanText(vspec.plan_text);
  auto variants = store_->CreateSweep(vspec);
  ASSERT_TRUE(variants.ok());
  std::vector<std::string> vblobs = {
      "{}",
      R"({"threat_workers": [{"plugin": "max_drawdown_monitor", "params": {"max_drawdown_percent": 4}}]})",
      R"({"threat_workers": [{"plugin": "max_drawdown_monitor", "params": {"max_drawdown_percent": 1}}]})"};
  ASSERT_TRUE(store_->AddJobs(*variants, 0, vblobs).ok());
  ASSERT_TRUE(store_->SealSweep(*variants, vblobs.size()).ok());
  for (const auto& [sweep, n] : {std::pair{SweepId(folds), 6}, std::pair{*variants, 3}}) {
    auto leased = store_->LeaseNext(sweep, "r1", static_cast<size_t>(n), 60'000);
    ASSERT_TRUE(leased.ok());
    for (const auto& job : *leased) {
      const int i = static_cast<int>(job.index);
      if (sweep == *variants && i == 2) {
        ASSERT_TRUE(store_->Fail(sweep, job.index, job.attempt, "r1", "no data", false).ok());
      } else {
        ASSERT_TRUE(store_->Complete(sweep, job.index, job.attempt, "r1", Result(i).dump()).ok());
      }
    }
  }
  SummaryCountingSource counting(*source_);
  FullResultsSource full(*source_);
  ExpectSameTables(counting, full, folds, 6);
  ExpectSameTables(counting, full, *variants, 3);
  ExplorerApi api(counting);
  auto t = api.Table(folds, 0, 0);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)["params"], json::array({"period.start", "trend_follower.fast"}));
  EXPECT_EQ(RowsOfTable(*t)[4]["params"]["period.start"], starts[2]);
  auto v = api.Table(*variants, 0, 0);
  ASSERT_TRUE(v.ok());
  const json vrows = RowsOfTable(*v);
  EXPECT_EQ(vrows[1]["name"], "wide");
  EXPECT_EQ(vrows[2]["status"], "failed");
}

TEST_F(ExplorerStoreTest, RowsFromTheSweepDocumentsFlattenedParametersEqualTheRowsFlattenedAgain) {
  // The sweep document's pass keeps each job's varied parameters for the rows (within a quarter
  // of row_cache_bytes); with no room for them the rows flatten each job's overrides again.
  // Jobs that lack a column, carry an extra one, or whose overrides do not decode.
  std::vector<std::string> blobs;
  for (int i = 0; i < 120; ++i) {
    json params = {{"fast", 5 + i % 7}, {"slow", 20.5 + i % 3}, {"fixed", "x"}};
    if (i % 11 == 0) params.erase("slow");
    if (i % 13 == 0) params["extra"] = {1, 2};
    blobs.push_back(
        i % 17 == 5 ? std::string("{not json")
                    : json{{"trend_workers", {{"trend_follower", {{"params", params}}}}}}.dump());
  }
  const std::string id = SealedSweep("shapes", blobs);
  auto leased = store_->LeaseNext(id, "r1", blobs.size(), 60'000);
  ASSERT_TRUE(leased.ok());
  for (const auto& job : *leased)
    ASSERT_TRUE(
        store_
            ->Complete(id, job.index, job.attempt, "r1", Result(static_cast<int>(job.index)).dump())
            .ok());
  ExplorerOptions no_room, documents;
  no_room.row_cache_bytes = 0;
  documents.direct_rows = false;
  ExplorerApi kept(*source_), flattened(*source_, no_room), reference(*source_, documents);
  ASSERT_TRUE(kept.Sweep(id).ok());  // the pass that keeps the parameters
  auto a = kept.TableText(id, 0, 0);
  auto b = flattened.TableText(id, 0, 0);
  auto r = reference.TableText(id, 0, 0);
  ASSERT_TRUE(a.ok() && b.ok() && r.ok());
  EXPECT_EQ(*a, *r);
  EXPECT_EQ(*b, *r);
  EXPECT_EQ(flattened.KeptRows(id), 0u);
  EXPECT_EQ(kept.KeptRows(id), 120u - 7u);  // the runs whose overrides do not decode are errors
  const json rows = RowsOfTable(*kept.Table(id, 0, 0));
  EXPECT_EQ(rows[22]["params"].count("trend_follower.slow"), 0u);
  EXPECT_EQ(rows[26]["params"]["trend_follower.extra[1]"], 2);  // arrays flatten by element
  EXPECT_TRUE(rows[5].contains("error"));
}

TEST_F(ExplorerStoreTest, ColumnsFromTheOverridesTextEqualTheColumnsOfTheirDocuments) {
  // The columns pass reads overrides stored as JSON text without the parser where it can
  // (nested objects of numbers, plain strings and literals). Overrides of every other shape go
  // to the documents. Either way the sweep document's columns and the rows' parameters must be
  // what the documents say (the oracle below: DecodeBlob and FlattenOverrides of each job).
  std::vector<std::string> blobs;
  for (int i = 0; i < 48; ++i) {
    const std::string fast = std::to_string(5 + i % 4);
    switch (i % 12) {
      case 0:  // keys out of order, whitespace, a number the same as 1.5 in another spelling
        blobs.push_back(R"( { "w" : { "z": 1.50, "a-b": 2, "a": {"x": )" + fast +
                        R"(, "e": {}, "l": [ ]}, "s": "plain / text" }, "c": {"k": 7} } )");
        break;
      case 1:  // an escape in a key, a non-ASCII string, a worker list
        blobs.push_back(R"({"w": {"z": 15e-1, "a-b": 2, "\u0061": {"x": )" + fast +
                        R"(, "e": {}, "l": []}, "s": "caf\u00e9"}, "t": [{"plugin": "p", "k": 1}],)"
                        R"( "c": {"k": 7.0}})");
        break;
      case 2:  // a duplicate key (the later wins), integers of every size
        blobs.push_back(R"({"w": {"z": 1.5, "z": 2.5, "a-b": -0, "a": {"x": 123456789012345678901,)"
                        R"( "e": {}, "l": []}, "s": "ü"}, "c": {"k": 7}})");
        break;
      case 3:  // msgpack
        blobs.push_back([&] {
          auto bytes = json::to_msgpack(
              json{{"w", {{"z", 1.5}, {"a-b", 2}, {"a", {{"x", 5 + i % 4}}}, {"s", "m"}}},
                   {"c", {{"k", 7}}}});
          return std::string(bytes.begin(), bytes.end());
        }());
        break;
      case 4:  // does not decode
        blobs.push_back(R"({"w": {"z": 1.5,)");
        break;
      case 5:  // an array of scalars, a number out of range, an exponent
        blobs.push_back(R"({"w": {"z": 1e400, "q": [1, 2.50], "a": {"x": 1E2}}, "c": {"k": 7}})");
        break;
      default:  // the common shape: the fast path
        blobs.push_back(R"({"w":{"a":{"e":{},"l":[],"x":)" + fast +
                        R"(},"a-b":2,"s":"plain / text","z":1.5},"y":true,"n":null,"c":{"k":7}})");
    }
  }
  // The oracle: a column varies when two jobs' values differ (as documents compare) or a job
  // lacks it (a job whose overrides do not decode lacks every column); its first value is the
  // lowest index's. Returns the fixed columns.
  auto check = [&](const std::string& name, const std::vector<std::string>& texts) {
    const std::string id = SealedSweep(name, texts);
    std::vector<std::string> order;
    std::map<std::string, json> first;
    std::map<std::string, bool> differs;
    std::map<std::string, size_t> count;
    for (const auto& blob : texts) {
      auto doc = DecodeBlob(blob, "overrides");
      if (!doc.ok()) continue;
      for (const auto& [col, value] : FlattenOverrides(*doc)) {
        if (!first.count(col)) {
          order.push_back(col);
          first[col] = value;
        } else if (first[col] != value) {
          differs[col] = true;
        }
        ++count[col];
      }
    }
    json varied = json::array(), fixed = json::object();
    for (const auto& col : order) {
      if (differs[col] || count[col] != texts.size())
        varied.push_back(col);
      else
        fixed[col] = first[col];
    }
    EXPECT_GE(varied.size(), 5u);
    ExplorerApi api(*source_);
    auto doc = api.Sweep(id);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    if (!doc.ok()) return fixed;
    EXPECT_EQ((*doc)["params"], varied);
    EXPECT_EQ((*doc)["fixed_params"], fixed);

    // The rows: from the parameters kept by that pass, flattened again, and as documents.
    auto leased = store_->LeaseNext(id, "r1", texts.size(), 60'000);
    EXPECT_TRUE(leased.ok());
    for (const auto& job : *leased)
      EXPECT_TRUE(store_
                      ->Complete(id, job.index, job.attempt, "r1",
                                 Result(static_cast<int>(job.index)).dump())
                      .ok());
    ExplorerOptions no_room, documents;
    no_room.row_cache_bytes = 0;
    documents.direct_rows = false;
    ExplorerApi kept(*source_), flattened(*source_, no_room), reference(*source_, documents);
    EXPECT_TRUE(kept.Sweep(id).ok());
    auto a = kept.TableText(id, 0, 0);
    auto b = flattened.TableText(id, 0, 0);
    auto r = reference.TableText(id, 0, 0);
    EXPECT_TRUE(a.ok() && b.ok() && r.ok());
    if (!a.ok() || !b.ok() || !r.ok()) return fixed;
    EXPECT_EQ(*a, *r);
    EXPECT_EQ(*b, *r);
    const json rows = RowsOfTable(json::parse(*a));
    for (size_t i = 0; i < texts.size(); ++i) {
      auto blob = DecodeBlob(texts[i], "overrides");
      if (!blob.ok()) {
        EXPECT_TRUE(rows[i].contains("error")) << i;
        continue;
      }
      json want = json::object();
      for (const auto& [col, value] : FlattenOverrides(*blob))
        if (std::find(varied.begin(), varied.end(), col) != varied.end()) want[col] = value;
      EXPECT_EQ(rows[i]["params"], want) << name << " job " << i << ": " << texts[i];
    }
    return fixed;
  };
  std::vector<std::string> decoding;
  for (const auto& blob : blobs)
    if (DecodeBlob(blob, "overrides").ok()) decoding.push_back(blob);
  EXPECT_EQ(check("texts", decoding), json({{"c.k", 7}}));  // 7.0 in one job: the same value
  EXPECT_EQ(check("with-broken", blobs), json::object());   // a job without any column
}

TEST_F(ExplorerStoreTest, TheWarmUpsPassesOverPartsOfABigSweepMergeAsOnePass) {
  // 40,000 jobs (the warm-up splits sweeps of 20,000 and more): a column fixed in the first half
  // that changes in the second, one that appears only in the second half, one that every job
  // has but one; some runs done, one whose overrides do not decode.
  constexpr int kJobs = 40'000;
  std::vector<std::string> blobs;
  for (int i = 0; i < kJobs; ++i) {
    json params = {{"fast", 5 + i % 7}, {"mode", i < 30'000 ? "a" : "b"}, {"same", 1}};
    if (i >= 25'000) params["late"] = i % 3;
    if (i == 100) params.erase("same");
    blobs.push_back(
        i == 31'000 ? std::string("{not json")
                    : json{{"trend_workers", {{"trend_follower", {{"params", params}}}}}}.dump());
  }
  const std::string id = SealedSweep("big", blobs);
  auto leased = store_->LeaseNext(id, "r1", kJobs, 600'000);
  ASSERT_TRUE(leased.ok());
  for (const auto& job : *leased) {
    if (job.index % 97 != 0 && job.index != 31'000) continue;
    const std::string bytes = Result(static_cast<int>(job.index)).dump();
    ASSERT_TRUE(store_->Complete(id, job.index, job.attempt, "r1", bytes).ok());
  }
  ExplorerApi warmed(*source_), one_pass(*source_);
  warmed.WarmRows(id, {}, 2);
  auto a = warmed.Sweep(id);
  auto b = one_pass.Sweep(id);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)["params"], (*b)["params"]);
  EXPECT_EQ((*a)["fixed_params"], (*b)["fixed_params"]);
  EXPECT_EQ((*a)["params"], json::array({"trend_follower.fast", "trend_follower.mode",
                                         "trend_follower.same", "trend_follower.late"}));
  // The same rows (a page's "metrics" header may name what another page's rows taught the
  // layout: jobs without `late` are whole rows either way).
  for (uint64_t offset : {0, 25'000}) {
    auto ta = warmed.Table(id, offset, 0);
    auto tb = one_pass.Table(id, offset, 0);
    ASSERT_TRUE(ta.ok() && tb.ok());
    EXPECT_EQ(RowsOfTable(*ta), RowsOfTable(*tb)) << "offset " << offset;
  }
  EXPECT_EQ(warmed.KeptRows(id), one_pass.KeptRows(id));
  EXPECT_EQ(warmed.KeptRows(id), 413u);  // every done run, the undecodable one an error
  const json rows = RowsOfTable(*warmed.Table(id, 25'000, 0));
  EXPECT_EQ(rows[30'070 - 25'000]["params"]["trend_follower.mode"], "b");
  EXPECT_EQ(rows[30'070 - 25'000]["params"]["trend_follower.late"], 30'070 % 3);
}

TEST_F(ExplorerStoreTest, AStoreWrittenBeforeResultSummariesIsStillServed) {
  const std::string id = MakeSweep(40, 40, -1);
  ExplorerApi before(*source_);
  auto expected = before.TableText(id, 0, 0);
  ASSERT_TRUE(expected.ok());
  // Close the store, take the summaries out (what a build before them wrote), open it again.
  source_.reset();
  store_.reset();
  EXPECT_EQ(store::testing::DropResultSummaries((dir_ / "store").string()), 20u);
  store::Options opts;
  opts.sync = store::SyncPolicy::kNone;
  opts.clock = clock_;
  auto reopened = store::JobStore::Open((dir_ / "store").string(), opts);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(*reopened);
  source_ = MakeStoreExplorerSource(*store_);
  SummaryCountingSource counting(*source_);
  ExplorerApi after(counting);
  auto got = after.TableText(id, 0, 0);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, *expected);
  EXPECT_EQ(counting.summaries, 0u);
  EXPECT_EQ(counting.results, 40u);  // every result read whole (one range scan)
}

TEST_F(ExplorerStoreTest, RunHasEquityDrawdownTradesAndReproduceCommand) {
  const std::string id = MakeSweep(3, 3, -1);
  ExplorerApi api(*source_);
  auto run = api.Run(id, 2);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ((*run)["equity"].size(), 3u);
  EXPECT_DOUBLE_EQ((*run)["drawdown"][2][1].get<double>(), 99.0 / 110.0 - 1.0);
  EXPECT_EQ((*run)["trades"].size(), 2u);
  EXPECT_EQ((*run)["bars"], 3);
  EXPECT_EQ((*run)["reproduce"], ReproduceCommand(id, 2));
  EXPECT_EQ(
      (*run)["overrides"]["opportunity_workers"]["fvg_entry_detector"]["params"]["min_gap_size"],
      5);
  EXPECT_EQ((*run)["params"]["fvg_entry_detector.fixed_one"], 1);  // all params for one run

  EXPECT_TRUE(api.Run(id, 99).status().IsNotFound());
  EXPECT_TRUE(api.Sweep("sw-000000000000").status().IsNotFound());
}

TEST_F(ExplorerStoreTest, CorruptResultIsShownOnItsRowNotFatal) {
  store::SweepSpec spec;
  spec.name = "corrupt";
  spec.plan_text = "optimization_config: {name: corrupt}";
  auto id = store_->CreateSweep(spec);
  ASSERT_TRUE(id.ok());
  std::vector<std::string> blobs = {"{}", "{}"};
  ASSERT_TRUE(store_->AddJobs(*id, 0, blobs).ok());
  ASSERT_TRUE(store_->SealSweep(*id, 2).ok());
  auto leased = store_->LeaseNext(*id, "r", 2, 60'000);
  ASSERT_TRUE(leased.ok());
  ASSERT_TRUE(store_->Complete(*id, 0, 1, "r", "\xc1garbage").ok());
  ASSERT_TRUE(store_->Complete(*id, 1, 1, "r", Result(1).dump()).ok());
  ExplorerApi api(*source_);
  auto runs = api.Runs(*id, 0, 0);
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  EXPECT_TRUE((*runs)["runs"][0].contains("error"));
  EXPECT_NE((*runs)["runs"][0]["error"].get<std::string>().find("job " + *id + "/0"),
            std::string::npos);
  EXPECT_FALSE((*runs)["runs"][1].contains("error"));
}

TEST_F(ExplorerStoreTest, VariantRunsAreNamedFromThePlan) {
  store::SweepSpec spec;
  spec.name = "exits";
  spec.kind = store::SweepKind::kVariant;
  spec.plan_text = R"(variant_config:
  name: exits
  variants:
    - name: baseline
      overrides: {}
    - name: wide
      overrides: {threat_workers: [{plugin: max_drawdown_monitor, params: {max_drawdown_percent: 4}}]}
)";
  spec.plan_summary = testing::SummaryOfPlanText(spec.plan_text);
  auto id = store_->CreateSweep(spec);
  ASSERT_TRUE(id.ok());
  std::vector<std::string> blobs = {"{}", R"({"threat_workers": [{"plugin": "max_drawdown_monitor",
               "params": {"max_drawdown_percent": 4}}]})"};
  ASSERT_TRUE(store_->AddJobs(*id, 0, blobs).ok());
  ASSERT_TRUE(store_->SealSweep(*id, 2).ok());
  ExplorerApi api(*source_);
  auto doc = api.Sweep(*id);
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ((*doc)["variants"].size(), 2u);
  EXPECT_EQ((*doc)["params"], json::array({"max_drawdown_monitor.max_drawdown_percent"}));
  auto runs = api.Runs(*id, 0, 0);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ((*runs)["runs"][0]["name"], "baseline");
  EXPECT_EQ((*runs)["runs"][1]["name"], "wide");
  EXPECT_EQ((*runs)["runs"][1]["params"]["max_drawdown_monitor.max_drawdown_percent"], 4);
}

// ---- HTTP server --------------------------------------------------------------------------------

TEST(ExplorerServerAddress, LoopbackOnlyUnlessAllowed) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.3.2.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0"));
  EXPECT_FALSE(IsLoopbackHost("example.org"));
  auto hp = ParseHostPort("[::1]:8080");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 8080);
  EXPECT_TRUE(ParseHostPort("127.0.0.1").status().IsInvalidArgument());
  EXPECT_TRUE(ParseHostPort("127.0.0.1:99999").status().IsInvalidArgument());
  EXPECT_TRUE(ParseHostPort(":80").status().IsInvalidArgument());
}

TEST_F(ExplorerStoreTest, ServerRefusesNonLoopbackWithoutOptIn) {
  ExplorerServerOptions opts;
  opts.address = "0.0.0.0:0";
  ExplorerServer server(*store_, opts);
  Status st = server.Start();
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("not loopback"), std::string::npos);
}

TEST_F(ExplorerStoreTest, ServerServesPageAndApi) {
  const std::string id = MakeSweep(4, 4, -1);
  ExplorerServerOptions opts;
  opts.address = "127.0.0.1:0";
  ExplorerServer server(*store_, opts);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/");

  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(10, 0);
  auto page = cli.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, std::string(ExplorerPageHtml()));
  EXPECT_NE(page->body.find("Trade Explorer"), std::string::npos);

  auto sweeps = cli.Get("/api/sweeps");
  ASSERT_TRUE(sweeps);
  EXPECT_EQ(sweeps->status, 200);
  EXPECT_EQ(json::parse(sweeps->body)["sweeps"][0]["id"], id);

  auto runs = cli.Get(("/api/sweeps/" + id + "/runs?offset=1&limit=2").c_str());
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->status, 200);
  const json rdoc = json::parse(runs->body);
  EXPECT_EQ(rdoc["runs"].size(), 2u);
  EXPECT_EQ(rdoc["runs"][0]["index"], 1);

  auto run = cli.Get(("/api/sweeps/" + id + "/runs/3").c_str());
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, 200);
  EXPECT_EQ(json::parse(run->body)["index"], 3);

  auto missing = cli.Get("/api/sweeps/sw-000000000000");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body).contains("error"));
  auto bad = cli.Get(("/api/sweeps/" + id + "/runs?limit=x").c_str());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto nope = cli.Get("/api/nothing");
  ASSERT_TRUE(nope);
  EXPECT_EQ(nope->status, 404);

  server.Stop();
  server.Stop();  // idempotent
  EXPECT_FALSE(httplib::Client("127.0.0.1", server.port()).Get("/api/sweeps"));
}

// Waits (up to 10 s) until `done` holds.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// A server on any free loopback port whose warm-up looks at the sweeps every 20 ms.
ExplorerServerOptions QuickWarmUp() {
  ExplorerServerOptions opts;
  opts.address = "127.0.0.1:0";
  opts.warm_poll_ms = 20;
  return opts;
}

TEST_F(ExplorerStoreTest, ServerWarmsTheRowsOfFinishedSweepsBeforeTheyAreOpened) {
  // 300 finished runs (one failed; the odd ones msgpack, read whole) and a sweep still running.
  const std::string id = MakeSweep(300, 300, 7);
  const std::string running = MakeSweep(50, 20, -1);
  SummaryCountingSource counting(*source_);
  ExplorerServer server(counting, QuickWarmUp());
  ASSERT_TRUE(server.Start().ok());
  // At start every sealed sweep is warmed, the running one's finished runs too: 150 + 10
  // summaries, 149 + 10 whole results (the failed run has neither).
  ASSERT_TRUE(Eventually([&] { return counting.summaries == 160u && counting.results == 159u; }))
      << counting.summaries << " summaries, " << counting.results << " results";
  // Opening the table now reads no result: every finished row is kept.
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(10, 0);
  auto table = cli.Get(("/api/sweeps/" + id + "/table").c_str());
  ASSERT_TRUE(table);
  ASSERT_EQ(table->status, 200);
  EXPECT_EQ(counting.summaries, 160u);
  EXPECT_EQ(counting.results, 159u);
  ExplorerApi fresh(*source_);
  EXPECT_EQ(table->body, *fresh.TableText(id, 0, 0));
  // The running sweep's last 30 runs finish: it is warmed again without a request, reading only
  // the new ones (15 summaries, 15 whole).
  auto leased = store_->ScanJobs(running, 20, 0, [&](const store::JobInfo& job) {
    const int i = static_cast<int>(job.index);
    std::string bytes = Result(i).dump();
    if (i % 2) {
      auto mp = json::to_msgpack(Result(i));
      bytes.assign(mp.begin(), mp.end());
    }
    EXPECT_TRUE(store_->Complete(running, job.index, job.attempt, "r1", bytes).ok());
    return true;
  });
  ASSERT_TRUE(leased.ok());
  EXPECT_TRUE(Eventually([&] { return counting.summaries == 175u && counting.results == 174u; }))
      << counting.summaries << " summaries, " << counting.results << " results";
  server.Stop();
}

// A source whose job scans throw (a bug, an allocation failure): the warm-up thread must not end
// the process, and the request that meets the same throw answers 500.
class ThrowingScansSource final : public ExplorerSource {
 public:
  explicit ThrowingScansSource(ExplorerSource& inner) : inner_(inner) {}
  Result<std::vector<ExplorerSweep>> ListSweeps() override { return inner_.ListSweeps(); }
  Result<ExplorerSweep> GetSweep(const std::string& id) override { return inner_.GetSweep(id); }
  Status ScanJobs(const std::string&, uint64_t, uint64_t, bool,
                  const std::function<bool(const ExplorerJob&)>&) override {
    ++scans;
    throw std::runtime_error("scan failed");
  }
  Result<ExplorerJob> GetJob(const std::string& id, uint64_t index) override {
    return inner_.GetJob(id, index);
  }
  std::atomic<int> scans = 0;

 private:
  ExplorerSource& inner_;
};

TEST_F(ExplorerStoreTest, AWarmUpThatThrowsLeavesTheServerServing) {
  const std::string id = MakeSweep(30, 30, -1);
  ThrowingScansSource throwing(*source_);
  ExplorerServer server(throwing, QuickWarmUp());
  ASSERT_TRUE(server.Start().ok());
  ASSERT_TRUE(Eventually([&] { return throwing.scans > 0; }));
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(10, 0);
  auto table = cli.Get(("/api/sweeps/" + id + "/table").c_str());
  ASSERT_TRUE(table);
  EXPECT_EQ(table->status, 500);
  EXPECT_NE(table->body.find("scan failed"), std::string::npos);
  auto sweeps = cli.Get("/api/sweeps");
  ASSERT_TRUE(sweeps);
  EXPECT_EQ(sweeps->status, 200);
  server.Stop();
}

TEST_F(ExplorerStoreTest, TwoRequestsForTheSameRowsBuildThemOnce) {
  const std::string id = MakeSweep(400, 400, -1);
  SummaryCountingSource counting(*source_);
  ExplorerApi api(counting);
  std::string a, b;
  std::thread first([&] { a = *api.TableText(id, 0, 0); });
  std::thread second([&] { b = *api.TableText(id, 0, 0); });
  first.join();
  second.join();
  EXPECT_EQ(a, b);
  // What one request reads (the msgpack results, every other one, in one range scan), and no
  // more: the second request found the rows kept.
  SummaryCountingSource alone(*source_);
  ExplorerApi once(alone);
  EXPECT_EQ(*once.TableText(id, 0, 0), a);
  EXPECT_EQ(alone.summaries, 200u);
  EXPECT_EQ(alone.results, 399u);
  EXPECT_EQ(counting.summaries, alone.summaries);
  EXPECT_EQ(counting.results, alone.results);
}

// Brotli at httplib's quality takes seconds for the 1 MB page; the server answers gzip.
TEST_F(ExplorerStoreTest, ServerCompressesWithGzipEvenWhenBrotliIsAccepted) {
  ExplorerServerOptions opts;
  opts.address = "127.0.0.1:0";
  ExplorerServer server(*store_, opts);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(10, 0);
  auto page = cli.Get("/", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(page->body, std::string(ExplorerPageHtml()));
}

TEST_F(ExplorerStoreTest, ServerReportsAPortInUse) {
  ExplorerServerOptions opts;
  opts.address = "127.0.0.1:0";
  ExplorerServer first(*store_, opts);
  ASSERT_TRUE(first.Start().ok());
  opts.address = "127.0.0.1:" + std::to_string(first.port());
  ExplorerServer second(*store_, opts);
  EXPECT_TRUE(second.Start().IsIOError());
}

// ---- report.html -------------------------------------------------------------------------------

TEST_F(ExplorerStoreTest, ReportEmbedsTheSnapshotAndNeedsNoNetwork) {
  const std::string id = MakeSweep(5, 5, -1, R"(optimization_config:
  name: "tricky </script> name"
)");
  const fs::path path = dir_ / "report.html";
  ReportOptions ro;
  ro.max_detailed_runs = 2;
  ASSERT_TRUE(WriteReportHtml(*store_, id, path, ro).ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string html = ss.str();
  const std::string open = "<script type=\"application/json\" id=\"snapshot\">";
  const size_t at = html.find(open);
  ASSERT_NE(at, std::string::npos);
  const size_t end = html.find("</script>", at);
  ASSERT_NE(end, std::string::npos);
  const json snap = json::parse(html.substr(at + open.size(), end - at - open.size()));
  EXPECT_EQ(snap["sweep_id"], id);
  EXPECT_EQ(snap["sweep"]["plan"]["text"].get<std::string>().find("</script>") != std::string::npos,
            true);
  EXPECT_EQ(snap["runs"]["runs"].size(), 5u);
  // The two best by Sharpe (jobs 4 and 3) carry their curves.
  EXPECT_EQ(snap["details"].size(), 2u);
  EXPECT_TRUE(snap["details"].contains("4"));
  EXPECT_TRUE(snap["details"].contains("3"));
  // Offline: nothing is loaded from anywhere.
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  // The one <link> is the icon, inline as a data: URL (no /favicon.ico request).
  const size_t link = html.find("<link");
  ASSERT_NE(link, std::string::npos);
  const std::string icon = "<link rel=\"icon\" href=\"data:";
  EXPECT_EQ(html.compare(link, icon.size(), icon), 0);
  EXPECT_EQ(html.find("<link", link + 1), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(path.string() + ".tmp")));
}

// The sweep document gives the page the plan's constraints and direction; report.html embeds
// the curves of the best configuration under the constraints even when better runs that break
// them fill the other detail slots.
TEST_F(ExplorerStoreTest, ConstraintsReachThePageAndTheReportsDetailedRuns) {
  // Sharpe 0.5 i, drawdown 2 + i: jobs 4, 3, 2 break max_drawdown 3.5; job 1 is the best
  // configuration.
  const std::string id = MakeSweep(5, 5, -1, R"(optimization_config:
  name: constrained
  optimization_targets: {primary_metric: sharpe_ratio}
  constraints: {max_drawdown: 3.5}
)");
  ExplorerApi api(*source_);
  auto doc = api.Sweep(id);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["plan"]["direction"], "maximize");
  ASSERT_EQ((*doc)["plan"]["constraints"].size(), 1u);
  EXPECT_EQ((*doc)["plan"]["constraints"][0]["max"], 3.5);
  ReportOptions ro;
  ro.max_detailed_runs = 1;
  auto snap = BuildReportSnapshot(*source_, id, ro);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_EQ((*snap)["details"].size(), 1u);
  EXPECT_TRUE((*snap)["details"].contains("1")) << (*snap)["details"].dump();
}

// report.html is written streaming (runs page by page); its snapshot is the document
// BuildReportSnapshot builds, for a sweep bigger than one runs page.
TEST_F(ExplorerStoreTest, StreamedReportEqualsTheSnapshotDocument) {
  const std::string id = MakeSweep(12000, 12000, 7);
  const fs::path path = dir_ / "big.html";
  ASSERT_TRUE(WriteReportHtml(*store_, id, path).ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string html = ss.str();
  const std::string open = "<script type=\"application/json\" id=\"snapshot\">";
  const size_t at = html.find(open);
  ASSERT_NE(at, std::string::npos);
  const size_t end = html.find("</script>", at);
  json streamed = json::parse(html.substr(at + open.size(), end - at - open.size()));
  auto built = BuildReportSnapshot(*source_, id);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(streamed["runs"]["runs"].size(), 12000u);
  EXPECT_EQ(streamed["runs"], (*built)["runs"]);
  EXPECT_EQ(streamed["details"], (*built)["details"]);
  EXPECT_EQ(streamed["sweep"], (*built)["sweep"]);
  EXPECT_EQ(streamed["details"].size(), 50u);
  EXPECT_TRUE(streamed["details"].contains("11999"));  // the best Sharpe
  EXPECT_FALSE(streamed["details"].contains("7"));     // failed
}

TEST_F(ExplorerStoreTest, ReportOfUnknownSweepIsNotFoundAndWritesNothing) {
  const fs::path path = dir_ / "none.html";
  EXPECT_TRUE(WriteReportHtml(*store_, "sw-000000000000", path).IsNotFound());
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace s1mple::explorer
