// Market data: a columnar OHLCV series, the data block of an operation, and its loaders.
//
// A BarSeries is immutable once loaded and shared (shared_ptr<const BarSeries>) between every
// backtest that uses it: a runner parses a data set once (keyed by DataSpec::CacheKey or by the
// artifact hash of its bytes) and reuses it for thousands of jobs. Thread-safe to read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/types.h"

namespace s1mple::engine {

// Bars in time order (strictly increasing timestamps), one column per field. Every invariant is
// checked by the loaders: prices > 0, low <= min(open, close), high >= max(open, close),
// volume >= 0.
struct BarSeries {
  std::vector<int64_t> ts_ms;  // bar open time, ms since the epoch (UTC)
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  std::vector<double> volume;

  size_t size() const { return ts_ms.size(); }
  bool empty() const { return ts_ms.empty(); }
  void Reserve(size_t n);
  void Append(int64_t ts, double o, double h, double l, double c, double v);
};

// Bar intervals the synthetic source can generate (also used to describe CSV data).
enum class Interval : uint8_t { k1m, k5m, k15m, k1h, k4h, k1d };
std::string_view IntervalName(Interval i);
int64_t IntervalMs(Interval i);
std::optional<Interval> ParseInterval(std::string_view name);  // "1m".."1d"

// Where the bars of a strategy link come from: the operation's `data:` block.
//   data: {source: csv, path: FILE}
//   data: {source: synthetic, seed: N, bars: N, interval: 1h, start: 2020-01-01}
struct DataSpec {
  enum class Source : uint8_t { kCsv, kSynthetic };
  Source source = Source::kSynthetic;

  // csv: the path as written in the YAML and resolved against the directory of the file that
  // names it (LoadOperationFile does this; ParseOperationTexts leaves it as written, since a
  // runner gets the CSV bytes as an artifact).
  std::filesystem::path path;

  // synthetic (defaults documented in docs/CONFIGURATION.md)
  uint64_t seed = 42;
  int64_t bars = 10000;  // 1 .. 50,000,000
  Interval interval = Interval::k1h;
  TimestampMs start{1577836800000};  // 2020-01-01T00:00:00Z

  // A stable key naming this data set: equal keys mean equal bars. Synthetic:
  // "synthetic:seed=42;bars=10000;interval=1h;start=1577836800000"; csv: "csv:" + path.
  std::string CacheKey() const;
};

// Options for loading data.
struct LoadOptions {
  // Base directory a relative csv path resolves against (empty: the current directory).
  std::filesystem::path base_dir;
};

// Loads the bars a DataSpec names: reads and parses the CSV file, or generates synthetic bars.
// Errors name the file and CSV line (or the synthetic field at fault).
[[nodiscard]] Result<std::shared_ptr<const BarSeries>> LoadData(const DataSpec& spec,
                                                                const LoadOptions& options = {});

// Parses CSV bytes already in memory (e.g. a runner's cached artifact). `origin` names them in
// errors ("job sw-12/7 data"). Format: a header row with timestamp, open, high, low, close,
// volume (case-insensitive, any column order, extra columns ignored; "time", "date", "datetime"
// are accepted for timestamp); timestamps ISO-8601 ("2020-01-01", "2020-01-01T09:30:00Z",
// "2020-01-01 09:30:00", with optional fraction and +hh:mm offset) or epoch seconds / epoch
// milliseconds (integers with 12 or more digits are milliseconds). Rejects, naming the line:
// missing fields or timestamps, unsorted or duplicate timestamps, non-positive prices,
// high < low, high below open/close, low above open/close, negative volume, no bars.
[[nodiscard]] Result<std::shared_ptr<const BarSeries>> ParseCsvBars(std::string_view csv,
                                                                    std::string_view origin);

// Deterministic synthetic bars: the same spec gives bit-identical bars on every machine (own
// PRNG-to-normal code, no std::normal_distribution). A Markov chain switches between regimes
// (calm, trending up, trending down, volatile) with their own drift and volatility; OHLC come
// from the close-to-close path with intrabar ranges, volume rises with volatility.
[[nodiscard]] Result<std::shared_ptr<const BarSeries>> GenerateSyntheticBars(const DataSpec& spec);

// ISO-8601 date or date-time -> ms since the epoch (UTC unless an offset is given).
[[nodiscard]] Result<TimestampMs> ParseIsoTimestamp(std::string_view text);
// ms since the epoch -> "2020-01-01T00:00:00Z" (milliseconds added only when non-zero).
std::string FormatIsoTimestamp(TimestampMs ts);

}  // namespace s1mple::engine
