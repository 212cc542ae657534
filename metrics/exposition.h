// The Prometheus text exposition format (version 0.0.4), written by hand: Debian 12 packages no
// prometheus-cpp, and what the daemons expose is a few dozen samples built at scrape time from
// counters they keep anyway. Reference: prometheus.io/docs/instrumenting/exposition_formats.
//
//  - TextWriter builds one exposition: Family() writes "# HELP" and "# TYPE" once per metric
//    name, Sample()/Histogram() its samples. Label values are escaped (\\, \", \n); values are
//    written as integers when they are whole, else in the shortest form that reads back as the
//    same double, "+Inf", "-Inf" and "NaN" as the format spells them. A family name or label name
//    outside the format's alphabet is a programming error: the writer skips it and records it in
//    errors() (tests check errors() is empty), so a scrape never fails on it.
//  - Histogram is a fixed-bucket histogram that any thread may Observe() and another read.
//
// Thread-safety: a TextWriter belongs to one thread; Histogram is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"

namespace s1mple::metrics {

// The Content-Type of a /metrics answer in this format.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { kCounter, kGauge, kHistogram };

// Label pairs in the order written: {{"sweep", "sw-1"}, {"state", "done"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved).
bool IsValidLabelName(std::string_view name);
// A label value as it goes between the quotes.
std::string EscapeLabelValue(std::string_view value);
// A sample value as the format spells it.
std::string FormatValue(double value);

// What a Histogram holds at one moment: cumulative counts per upper bound (the "+Inf" bucket is
// `count`).
struct HistogramSnapshot {
  std::vector<double> bounds;     // upper bounds, ascending
  std::vector<uint64_t> buckets;  // cumulative: observations <= bounds[i]
  uint64_t count = 0;
  double sum = 0;
};

class Histogram {
 public:
  // `bounds`: upper bounds, strictly ascending and finite (sorted and de-duplicated if not).
  explicit Histogram(std::vector<double> bounds);
  // Bounds from `start` multiplying by `factor`, `n` of them (e.g. 0.0001, 2, 16: 0.1 ms .. 3.3 s).
  static std::vector<double> ExponentialBounds(double start, double factor, int n);

  void Observe(double value);
  HistogramSnapshot Snapshot() const;

 private:
  mutable Mutex mu_;
  std::vector<double> bounds_;                    // immutable after construction
  std::vector<uint64_t> counts_ GUARDED_BY(mu_);  // per bucket (not cumulative), last = +Inf
  double sum_ GUARDED_BY(mu_) = 0;
};

class TextWriter {
 public:
  // Starts the family `name`: its HELP and TYPE lines. A name given twice is skipped the second
  // time (with its samples) and recorded in errors().
  void Family(std::string_view name, Type type, std::string_view help);
  // One sample of the current family. `suffix` is appended to the family name ("_bucket", ...).
  void Sample(const Labels& labels, double value, std::string_view suffix = {});
  // The _bucket, _sum and _count samples of the current family (a kHistogram).
  void Histogram(const Labels& labels, const HistogramSnapshot& h);

  // The exposition so far, and what was skipped as invalid.
  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string out_;
  std::string family_;  // current family name; empty: skipping
  std::vector<std::string> seen_;
  std::vector<std::string> errors_;
};

// The resident set size of this process in bytes (from /proc/self/statm), 0 when unreadable.
uint64_t ProcessResidentBytes();
// The process_* families every daemon exposes: process_resident_memory_bytes and
// process_start_time_seconds (the standard names from the Prometheus client libraries).
void WriteProcessMetrics(TextWriter& w);

}  // namespace s1mple::metrics
