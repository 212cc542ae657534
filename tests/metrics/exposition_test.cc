// The Prometheus text exposition writer: exact output, escaping, histograms, invalid names.
#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "tests/metrics/promtool.h"

namespace s1mple::metrics {
namespace {

TEST(Exposition, WritesHelpTypeAndSamplesInTheTextFormat) {
  TextWriter w;
  w.Family("s1mple_results_total", Type::kCounter, "Results recorded.");
  w.Sample({}, 384);
  w.Family("s1mple_sweep_jobs", Type::kGauge, "Jobs by state.");
  w.Sample({{"sweep", "sw-1"}, {"state", "done"}}, 12);
  w.Sample({{"sweep", "sw-1"}, {"state", "pending"}}, 0.5);
  EXPECT_TRUE(w.errors().empty());
  EXPECT_EQ(w.text(),
            "# HELP s1mple_results_total Results recorded.\n"
            "# TYPE s1mple_results_total counter\n"
            "s1mple_results_total 384\n"
            "# HELP s1mple_sweep_jobs Jobs by state.\n"
            "# TYPE s1mple_sweep_jobs gauge\n"
            "s1mple_sweep_jobs{sweep=\"sw-1\",state=\"done\"} 12\n"
            "s1mple_sweep_jobs{sweep=\"sw-1\",state=\"pending\"} 0.5\n");
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue(R"(a "b" \c)"
                             "\nd"),
            R"(a \"b\" \\c\nd)");
  TextWriter w;
  w.Family("m", Type::kGauge, "line one\nline \\two");
  w.Sample({{"name", "EMA \"fast\"\n"}}, 1);
  EXPECT_EQ(
      w.text(),
      "# HELP m line one\\nline \\\\two\n# TYPE m gauge\nm{name=\"EMA \\\"fast\\\"\\n\"} 1\n");
}

TEST(Exposition, FormatsValuesAsTheFormatSpellsThem) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(123456789012.0), "123456789012");
  EXPECT_EQ(FormatValue(0.0002), "0.0002");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Exposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Histogram h({0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.002, 0.05, 3.0}) h.Observe(v);
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.buckets, (std::vector<uint64_t>{2, 3, 4})) << "0.001 belongs to le=0.001";
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum, 3.0535);
  TextWriter w;
  w.Family("s1mple_write_seconds", Type::kHistogram, "Write latency.");
  w.Histogram({{"op", "batch"}}, s);
  EXPECT_EQ(w.text(),
            "# HELP s1mple_write_seconds Write latency.\n"
            "# TYPE s1mple_write_seconds histogram\n"
            "s1mple_write_seconds_bucket{op=\"batch\",le=\"0.001\"} 2\n"
            "s1mple_write_seconds_bucket{op=\"batch\",le=\"0.01\"} 3\n"
            "s1mple_write_seconds_bucket{op=\"batch\",le=\"0.1\"} 4\n"
            "s1mple_write_seconds_bucket{op=\"batch\",le=\"+Inf\"} 5\n"
            "s1mple_write_seconds_sum{op=\"batch\"} 3.0535\n"
            "s1mple_write_seconds_count{op=\"batch\"} 5\n");
}

TEST(Exposition, HistogramBoundsAreSortedAndObservedFromManyThreads) {
  EXPECT_EQ(Histogram::ExponentialBounds(0.5, 2, 3), (std::vector<double>{0.5, 1, 2}));
  Histogram h({2, 1, 2, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(h.Snapshot().bounds, (std::vector<double>{1, 2}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.Observe(1.5);
    });
  }
  for (auto& t : threads) t.join();
  const HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_EQ(s.buckets, (std::vector<uint64_t>{0, 40000}));
}

TEST(Exposition, InvalidNamesAndRepeatedFamiliesAreSkippedAndReported) {
  EXPECT_TRUE(IsValidMetricName("s1mple:jobs_total"));
  EXPECT_FALSE(IsValidMetricName("1jobs"));
  EXPECT_FALSE(IsValidMetricName("jobs-total"));
  EXPECT_TRUE(IsValidLabelName("sweep"));
  EXPECT_FALSE(IsValidLabelName("__name"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  TextWriter w;
  w.Family("bad-name", Type::kGauge, "x");
  w.Sample({}, 1);
  w.Family("good", Type::kGauge, "x");
  w.Sample({{"bad-label", "v"}}, 1);
  w.Sample({}, 2);
  w.Family("good", Type::kGauge, "again");
  w.Sample({}, 3);
  EXPECT_EQ(w.text(), "# HELP good x\n# TYPE good gauge\ngood 2\n");
  ASSERT_EQ(w.errors().size(), 3u);
  EXPECT_NE(w.errors()[0].find("bad-name"), std::string::npos);
  EXPECT_NE(w.errors()[1].find("bad-label"), std::string::npos);
  EXPECT_NE(w.errors()[2].find("written twice"), std::string::npos);
}

TEST(Exposition, ProcessMetricsGiveThisProcessResidentMemory) {
  const uint64_t rss = ProcessResidentBytes();
  EXPECT_GT(rss, 1u << 20) << "a gtest binary holds more than 1 MiB";
  EXPECT_LT(rss, 1ull << 34);
  TextWriter w;
  WriteProcessMetrics(w);
  EXPECT_NE(w.text().find("# TYPE process_resident_memory_bytes gauge\n"
                          "process_resident_memory_bytes "),
            std::string::npos);
  // Started within the last day, not at the epoch (the parse of /proc/self/stat is right).
  const std::string key = "\nprocess_start_time_seconds ";
  const size_t at = w.text().find(key);
  ASSERT_NE(at, std::string::npos);
  const double start = std::stod(w.text().substr(at + key.size()));
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 86400);
}

TEST(Exposition, PromtoolAcceptsEveryKindOfFamily) {
  TextWriter w;
  w.Family("s1mple_things_total", Type::kCounter, "Things.");
  w.Sample({{"class", "a\"b"}}, 3);
  w.Family("s1mple_level", Type::kGauge, "Level.");
  w.Sample({}, -2.5);
  Histogram h(Histogram::ExponentialBounds(0.0001, 2, 16));
  h.Observe(0.003);
  w.Family("s1mple_write_seconds", Type::kHistogram, "Write latency.");
  w.Histogram({}, h.Snapshot());
  WriteProcessMetrics(w);
  const PromtoolResult r = PromtoolCheckMetrics(w.text());
  ASSERT_TRUE(r.ran) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << w.text();
  EXPECT_EQ(r.output, "") << "no lint warnings";
}

}  // namespace
}  // namespace s1mple::metrics
