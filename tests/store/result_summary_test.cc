// Result summaries (store/result_summary.h): what they keep, and the store writing them with
// their results, scanning them, deleting them, and opening a store written before them.
#include "store/result_summary.h"

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/job_store.h"
#include "tests/store/old_format.h"
#include "tests/store/store_test_util.h"

namespace s1mple::store {
namespace {

using nlohmann::json;
using testing::TempDir;

const char kResult[] =
    R"({"name": "run 3", "metrics": {"sharpe_ratio": 0.125, "total_trades": 7},)"
    R"( "causality": {"opportunities_detected": 9, "top_rejection_reasons": [{"n": 1}]},)"
    R"( "equity": [[1000, 100.0], [2000, 101.5]], "buy_and_hold": [100.0, 99.0],)"
    R"( "trades": [{"pnl": 1.5, "note": "a } ] \" quote"}], "returns": [0.01, -0.02],)"
    R"( "opportunities": [], "bars": 400, "period": {"start": "2021-01-01T00:00:00Z"},)"
    R"( "warnings": ["few trades"]})";

TEST(ResultSummary, KeepsTheSmallMembersVerbatimInOrderAndDropsTheBulkOnes) {
  auto s = SummarizeResult(kResult);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s,
            R"({"name":"run 3","metrics":{"sharpe_ratio": 0.125, "total_trades": 7},)"
            R"("causality":{"opportunities_detected": 9, "top_rejection_reasons": [{"n": 1}]},)"
            R"("bars":400,"period":{"start": "2021-01-01T00:00:00Z"},"warnings":["few trades"]})");
  json whole = json::parse(kResult);
  for (const char* k : {"equity", "buy_and_hold", "trades", "returns", "opportunities"})
    whole.erase(k);
  EXPECT_EQ(json::parse(*s), whole);
  // A summary is its own summary (the explorer decodes stored summaries and full results alike).
  EXPECT_EQ(SummarizeResult(*s), s);
}

TEST(ResultSummary, AWrappedResultIsSummarizedOneLevelDown) {
  auto s = SummarizeResult(R"({"result": {"metrics": {"a": 1}, "equity": [[1, 2]]}, "id": 4})");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, R"({"result":{"metrics":{"a": 1}},"id":4})");
  EXPECT_EQ(SummarizeResult("{}"), "{}");
  EXPECT_EQ(SummarizeResult(" {\"metrics\": {}}\n"), "{\"metrics\":{}}");
}

TEST(ResultSummary, NoneForWhatIsNotAPlainJsonObject) {
  const std::string msgpack = "\x81\xa7metrics\x80";  // {"metrics": {}} as msgpack
  EXPECT_FALSE(SummarizeResult(msgpack).has_value());
  EXPECT_FALSE(SummarizeResult("[1, 2]").has_value());
  EXPECT_FALSE(SummarizeResult("{not json").has_value());
  EXPECT_FALSE(SummarizeResult(R"({"metrics": {"a": 1}})"
                               " trailing")
                   .has_value());
  EXPECT_FALSE(SummarizeResult(R"({"met\u0072ics": {"a": 1}})").has_value());  // escaped key
  EXPECT_FALSE(SummarizeResult("").has_value());
}

class ResultSummaryStoreTest : public ::testing::Test {
 protected:
  void Open() {
    Options o;
    o.sync = SyncPolicy::kNone;
    auto s = JobStore::Open(dir_.str(), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  std::map<JobIndex, std::string> Summaries(const SweepId& id, JobIndex from = 0,
                                            size_t limit = 0) {
    std::map<JobIndex, std::string> out;
    Status st = store_->ScanResultSummaries(id, from, limit, [&](JobIndex i, std::string_view v) {
      out.emplace(i, std::string(v));
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }
  void CompleteAll(const SweepId& id, const std::map<JobIndex, std::string>& results) {
    auto leased = store_->LeaseNext(id, "r1", results.size(), 60'000);
    ASSERT_TRUE(leased.ok());
    for (const auto& job : *leased) {
      auto o = store_->Complete(id, job.index, job.attempt, "r1", results.at(job.index));
      ASSERT_TRUE(o.ok());
      EXPECT_EQ(*o, Outcome::kDone);
    }
  }

  TempDir dir_;
  std::unique_ptr<JobStore> store_;
};

TEST_F(ResultSummaryStoreTest, EachJsonResultGetsItsSummaryInTheSameBatch) {
  Open();
  const SweepId id = testing::MakeSweep(*store_, 4);
  const std::string msgpack = "\x81\xa7metrics\x80";
  CompleteAll(id, {{0, kResult}, {1, msgpack}, {2, "{}"}, {3, R"({"metrics": {"x": 2}})"}});
  auto got = Summaries(id);
  EXPECT_EQ(got.size(), 3u);  // not the msgpack one
  EXPECT_EQ(got[0], *SummarizeResult(kResult));
  EXPECT_EQ(got[2], "{}");
  EXPECT_EQ(got[3], R"({"metrics":{"x": 2}})");
  EXPECT_EQ(Summaries(id, 2).size(), 2u);
  EXPECT_EQ(Summaries(id, 0, 1).size(), 1u);
  // The results themselves are untouched, and scanning them never meets a summary.
  std::map<JobIndex, std::string> results;
  ASSERT_TRUE(store_
                  ->ScanResults(id, 0, 0,
                                [&](JobIndex i, std::string_view v) {
                                  results.emplace(i, std::string(v));
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0], kResult);
  EXPECT_EQ(results[1], msgpack);
  testing::ExpectConsistent(*store_, id);
  // A second result for a done job writes nothing, its summary included.
  auto job = store_->GetJob(id, 3);
  ASSERT_TRUE(job.ok());
  auto dup = store_->Complete(id, 3, job->attempt, "r1", R"({"metrics": {"x": 99}})");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(*dup, Outcome::kDuplicate);
  EXPECT_EQ(Summaries(id)[3], R"({"metrics":{"x": 2}})");
  // Another sweep's summaries are its own.
  const SweepId other = testing::MakeSweep(*store_, 2);
  CompleteAll(other, {{0, "{\"a\": 1}"}, {1, "{\"b\": 2}"}});
  EXPECT_EQ(Summaries(other).size(), 2u);
  EXPECT_EQ(Summaries(id).size(), 3u);
  // Deleting a sweep deletes its summaries.
  ASSERT_TRUE(store_->DeleteSweep(id).ok());
  EXPECT_TRUE(Summaries(id).empty());
  EXPECT_EQ(Summaries(other).size(), 2u);
  testing::ExpectConsistent(*store_, other);
}

TEST_F(ResultSummaryStoreTest, AStoreWrittenBeforeSummariesOpensAndWorks) {
  Open();
  const SweepId id = testing::MakeSweep(*store_, 6);
  std::map<JobIndex, std::string> results;
  for (JobIndex i = 0; i < 6; ++i) results[i] = R"({"metrics": {"i": )" + std::to_string(i) + "}}";
  auto leased = store_->LeaseNext(id, "r1", 6, 60'000);
  ASSERT_TRUE(leased.ok());
  for (const auto& job : *leased) {
    if (job.index >= 4) continue;
    ASSERT_TRUE(store_->Complete(id, job.index, job.attempt, "r1", results[job.index]).ok());
  }
  store_.reset();
  // What an older build left: results without summaries.
  EXPECT_EQ(testing::DropResultSummaries(dir_.str()), 4u);
  Open();
  EXPECT_TRUE(Summaries(id).empty());
  testing::ExpectConsistent(*store_, id);
  auto r = store_->GetResult(id, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, results[2]);
  // Results recorded from now on get theirs.
  for (JobIndex i = 4; i < 6; ++i) {
    auto job = store_->GetJob(id, i);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(store_->Complete(id, i, job->attempt, "r1", results[i]).ok());
  }
  auto got = Summaries(id);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[4], R"({"metrics":{"i": 4}})");
  testing::ExpectConsistent(*store_, id);
}

TEST_F(ResultSummaryStoreTest, RecountFindsASummaryWithoutItsResult) {
  Open();
  const SweepId id = testing::MakeSweep(*store_, 2);
  CompleteAll(id, {{0, "{}"}, {1, "{}"}});
  store_.reset();
  testing::WithRawResults(dir_.str(), [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), cf, codec::JobKey(id, 1)).ok());
  });
  Open();
  auto report = store_->Recount(id);
  ASSERT_TRUE(report.ok());
  bool found = false;
  for (const auto& p : report->problems)
    found = found || p == "result summary without a result: " + id + "/1";
  EXPECT_TRUE(found) << ::testing::PrintToString(report->problems);
}

}  // namespace
}  // namespace s1mple::store
